#!/usr/bin/env python3
"""The screening and the map on the starter's page, in a real headless
Chromium against a real gilded serving the Ghent sample:

- #/landing asks the questions of schemas/screening.json, in English first;
  sending without the required answers marks them and sends nothing;
- the answers make the report POST /api/v1/screen gives for them: the same
  steps in the same order, the same offers, in place and to prepare;
- the answers are kept in this browser and sent only as the body of that
  POST (answers and lang, nothing else); a reload fills the form again;
- the language switch makes the report again in Dutch (the file's texts);
- on a phone (390x844), a freelancer from outside the EEA: "How will you
  work here?" first; answering "self-employed" hides a company's
  questions (stage, team, funding, …) and shows a freelancer's; the
  report is the API's, with the professional card step listing the
  directory's card offers with their sites, and none of a company's
  steps; the page is no wider than the phone;
- on that phone, a failed submit lists what is missing in a box at the
  top of the form that covers nothing (not the submit button); an error
  under a question goes as soon as it is answered, the box once none is
  left;
- "Make my to-do list from these answers" under the report saves the
  report's profile as the questionnaire would (the schema's fields, the
  page's language), opens the to-do list (the API's for that profile) and
  fills the questionnaire; with a list there already it asks first, and
  "No" keeps the old one;
- "and N more in the directory" is a link: it shows every offer of that
  step (the API's, per_step=0), with the focus on the first one that was
  not shown; Back returns to the report of three a step;
- #/map shows the node's /map.svg (loaded, in the page's language), the
  sector filter changes it and the table under it, and the print
  stylesheet hides the menu and the controls but not the picture;
- the browser asks nothing of anyone but the node; a screenshot of the
  report is left in meson-logs/test_web_landing.png.

Needs chromium, chromium-driver and python3-selenium (contrib/deps.sh);
without them the test fails, it does not skip."""
import json
import os
import shutil
import urllib.request

# browser (imported first) runs this test under the python3 that has selenium
from browser import click_one, console_errors, session
from harness import GHENT, SLOW, SOURCE, Harness, TestFailure, check, ghent_records, run

try:
    from selenium import webdriver
    from selenium.common.exceptions import (ElementClickInterceptedException,
                                            ElementNotInteractableException,
                                            StaleElementReferenceException, TimeoutException,
                                            WebDriverException)
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait
except ImportError as e:
    webdriver = None
    SELENIUM_ERROR = str(e)

DEPS = ('run contrib/deps.sh (or apt-get install chromium chromium-driver python3-selenium) '
        'to install it')
WEB_ROOT = os.path.realpath(os.path.join(SOURCE, 'daemon', 'web'))
SCREENING = json.load(open(os.path.join(SOURCE, 'schemas', 'screening.json')))
RULES = {r['id']: r for r in SCREENING['rules']}
WAIT = 30 * SLOW

ANSWERS = {
    'work': 'company', 'home_country': 'Canada', 'stage': 'market', 'product_in_market': True, 'team_size': 3,
    'funding': 'small', 'sectors': ['photonics'], 'why': ['talent', 'research'],
    'wants': ['office', 'permits', 'funding'], 'relocating': True, 'nationality': 'some_non_eu',
    'entity_here': False,
}
ROUTE = ['landing-desk-contact', 'why-here-write', 'market-in', 'entity-decide', 'permits-non-eu',
         'office-find', 'team-in', 'funding-grants', 'research-reason']
# a freelancer from outside the EEA, just arrived, on a phone
FREELANCER = {
    'work': 'self_employed', 'home_country': 'India', 'offering': 'clients', 'sectors': ['services'],
    'why': ['market', 'living'], 'wants': ['office'], 'eea_citizen': False, 'registered': False,
}
FREELANCER_ROUTE = ['newcomer-city', 'why-here-write', 'card-apply', 'bank-account', 'register-self',
                    'vat-activate', 'office-self']
COMPANY_ONLY = [q['id'] for q in SCREENING['questions']
                if any(c == {'q': 'work', 'in': ['company', 'branch']} for c in q.get('when', []))]
PHONE = {'width': 390, 'height': 844, 'deviceScaleFactor': 2, 'mobile': True}
PROFILE_FIELDS = set(json.load(open(os.path.join(SOURCE, 'schemas', 'profile.schema.json')))['properties'])


def start_browser(profile):
    if webdriver is None:
        raise TestFailure('python3-selenium is not installed (%s): %s' % (SELENIUM_ERROR, DEPS))
    browser = next((p for p in (shutil.which('chromium'), shutil.which('chromium-browser'),
                                shutil.which('google-chrome')) if p), None)
    driver = next((p for p in (shutil.which('chromedriver'), '/usr/lib/chromium/chromedriver')
                   if p and os.access(p, os.X_OK)), None)
    if not browser or not driver:
        raise TestFailure('chromium or chromedriver is not installed: ' + DEPS)
    opts = webdriver.ChromeOptions()
    opts.binary_location = browser
    for a in ('--headless=new', '--no-sandbox', '--disable-dev-shm-usage', '--window-size=1280,1000',
              '--lang=en-US', '--no-first-run', '--disable-extensions', '--disable-sync',
              '--disable-background-networking', '--disable-component-update',
              '--user-data-dir=' + profile):
        opts.add_argument(a)
    opts.add_experimental_option('prefs', {'intl.accept_languages': 'en-US,en'})
    opts.set_capability('goog:loggingPrefs', {'performance': 'ALL', 'browser': 'ALL'})
    try:
        d = webdriver.Chrome(service=Service(driver), options=opts)
    except WebDriverException as e:
        raise TestFailure('could not start headless chromium: %s (%s)' % (e.msg, DEPS))
    d.set_page_load_timeout(WAIT)
    d.set_script_timeout(WAIT)
    return d


class Page:
    def __init__(self, d, origin):
        self.d, self.origin = d, origin
        self.requests, self.console = [], []

    def wait(self, what, fn):
        try:
            # a view drawn again under an element found a moment ago: look
            # again; one just drawn may not take a click until it settles
            return WebDriverWait(self.d, WAIT, poll_frequency=0.05,
                                 ignored_exceptions=(StaleElementReferenceException,
                                                     ElementNotInteractableException,
                                                     ElementClickInterceptedException)).until(lambda d: fn())
        except TimeoutException:
            raise TestFailure('timed out waiting for %s (page at %s; status: %r)'
                              % (what, self.d.current_url, self.status()))

    def css(self, sel):
        return self.d.find_elements(By.CSS_SELECTOR, sel)

    click = click_one

    def one(self, sel):
        found = self.css(sel)
        check(len(found) == 1, 'expected one %s, found %d' % (sel, len(found)))
        return found[0]

    def status(self):
        try:
            return self.d.find_element(By.ID, 'status').text
        except WebDriverException:
            return None

    def logs(self, keep=True):
        for e in self.d.get_log('performance'):
            m = json.loads(e['message'])['message']
            if keep and m.get('method') == 'Network.requestWillBeSent':
                r = m['params']['request']
                self.requests.append((r.get('method'), r.get('url'), r.get('postData')))
        for e in self.d.get_log('browser'):
            if keep:
                self.console.append(e)


def fill(p, answers):
    for q in SCREENING['questions']:
        v = answers.get(q['id'])
        if v is None:
            continue
        if q['type'] in ('text', 'number'):
            box = p.one('#lq-' + q['id'])
            box.clear()
            box.send_keys(str(v))
        elif q['type'] == 'yesno':
            p.click('input[name="lq-%s"][value="%s"]' % (q['id'], 'yes' if v else 'no'))
        else:
            for x in v if isinstance(v, list) else [v]:
                p.click('input[name="lq-%s"][value="%s"]' % (q['id'], x))


def steps(p):
    """[(rule, status, [offer ids], title)] of the report drawn, or None:
    read in one script, so that a view drawn again meanwhile is no matter."""
    got = p.d.execute_script(
        'return Array.from(document.querySelectorAll(\'[data-test="landing-steps"] [data-test="landing-step"]\'))'
        '.map(li => [li.getAttribute("data-rule"), li.getAttribute("data-status"),'
        ' Array.from(li.querySelectorAll(\'[data-test="landing-offer"]\')).map(o => o.getAttribute("data-offer")),'
        ' li.querySelector(".step-title").textContent]);')
    return [tuple(g) for g in got] or None


def api_report(origin, lang, answers=ANSWERS, per_step=3):
    req = urllib.request.Request(origin + '/api/v1/screen?per_step=%d' % per_step, method='POST',
                                 data=json.dumps({'answers': answers, 'lang': lang}).encode(),
                                 headers={'Content-Type': 'application/json'})
    return json.load(urllib.request.urlopen(req, timeout=WAIT))


def check_report(p, origin, lang, answers=ANSWERS, route=ROUTE):
    want = api_report(origin, lang, answers)
    check([s['rule'] for s in want['steps']] == route, 'the API\'s route %r' % [s['rule'] for s in want['steps']])
    def drawn():
        got = steps(p)
        return got if got and len(got) == len(route) and got[0][3].endswith(RULES[route[0]]['title'][lang]) \
            else None
    got = p.wait('the report in %s' % lang, drawn)
    check([g[0] for g in got] == route, 'the page\'s route %r' % [g[0] for g in got])
    sample = {o['id'] for o in ghent_records('offer')}
    for g, s in zip(got, want['steps']):
        check(g[1] == s['status'], 'step %s: %s on the page, %s from the API' % (g[0], g[1], s['status']))
        check(g[2] == [o['id'] for o in s['offers']], 'step %s: offers %r on the page, %r from the API'
              % (g[0], g[2], [o['id'] for o in s['offers']]))
        check(all(o in sample for o in g[2]), 'step %s lists offers not in the sample' % g[0])
    check(any(g[2] for g in got), 'no step lists an offer')
    for t, rule in zip([g[3] for g in got], route):
        check(t.endswith(RULES[rule]['title'][lang]), 'step title %r, not the file\'s %s one' % (t, lang))
    return want


def main():
    with Harness('web-landing') as h:
        conf = h.write_config('a', '[federation]\nopen = true\n[web]\nlisten = 127.0.0.1:0\n'
                                   'root = %s\nrate = 100000\nburst = 100000\n' % WEB_ROOT)
        a = h.node('a', args=['--config', conf])
        d = start_browser(os.path.join(h.dir, 'chromium-profile'))
        with session(h, d):
            a.start()
            origin = 'http://' + a.json('status')['daemon']['web']['listen']
            a.gilde('publish', *GHENT)
            shots = os.environ.get('GILDE_BUILD_ROOT')
            shots = os.path.join(shots, 'meson-logs') if shots and os.path.isdir(shots) else h.dir
            p = Page(d, origin)
            p.logs(keep=False)
            walk(p, origin, os.path.join(shots, 'test_web_landing.png'))
            map_walk(p, origin, os.path.join(shots, 'test_web_landing_map.png'))
            phone_walk(p, origin, os.path.join(shots, 'test_web_landing_phone.png'))
            p.logs()
            # the browser's own resources (chrome://, a search field's clear icon) never leave it
            outside = [u for _, u, _ in p.requests
                       if not (u.startswith(origin + '/') or u.startswith(('data:', 'chrome://')))]
            check(not outside, 'the browser asked outside the node: %r' % outside)
            errors = console_errors(p)
            check(not errors, 'the console shows errors: %r' % errors)
            print('ok: %d requests, all to %s' % (len(p.requests), origin))


def walk(p, origin, shot):
    d = p.d
    d.get(origin + '/#/landing')
    p.wait('the screening', lambda: p.css('[data-test="landing-form"] .landing-q'))
    check(d.execute_script('return document.documentElement.lang') == 'en', 'the page is not in English')
    # the view may be drawn once more as the page settles: wait for its heading
    p.wait('the English heading', lambda: [h.text for h in p.css('#view-landing h1')] == [SCREENING['title']['en']])
    check(len(p.css('.landing-q')) == len(SCREENING['questions']), 'questions on the page: %d of %d'
          % (len(p.css('.landing-q')), len(SCREENING['questions'])))
    check(p.one('a[data-nav="landing"]').get_attribute('aria-current') == 'page', 'the menu does not mark the view')

    # nothing answered: the required questions are marked, nothing is sent
    p.logs()
    before = len(p.requests)
    p.click('[data-test="landing-submit"]')
    p.wait('the errors', lambda: p.css('.landing-q .field-error:not([hidden])'))
    # how one works here not answered: the questions that depend on it are not shown
    required = sum(1 for q in SCREENING['questions'] if q['required'] and not q.get('when'))
    check(len(p.css('.landing-q .field-error:not([hidden])')) == required, 'marked %d of %d required'
          % (len(p.css('.landing-q .field-error:not([hidden])')), required))
    p.logs()
    check(not [r for r in p.requests[before:] if '/api/v1/screen' in r[1] and r[0] == 'POST'],
          'the page sent unanswered questions')

    # the answers: the report the API gives
    fill(p, ANSWERS)
    p.click('[data-test="landing-submit"]')
    check_report(p, origin, 'en')
    check(d.switch_to.active_element.get_attribute('id') == 'landing-report-title', 'the focus is not on the report')
    stored = json.loads(d.execute_script('return localStorage.getItem("gilde.landing")') or 'null')
    check(stored == ANSWERS, 'the answers kept in this browser: %r' % stored)
    d.execute_script('document.getElementById("landing-report-title").scrollIntoView()')
    d.save_screenshot(shot)
    print('screenshot: ' + shot)

    # a reload fills the form again; the switch makes the report in Dutch
    d.refresh()
    p.wait('the form again', lambda: p.css('input[name="lq-stage"][value="market"]'))
    check(p.one('input[name="lq-stage"][value="market"]').is_selected() and
          p.one('input[name="lq-work"][value="company"]').is_selected() and
          p.one('#lq-home_country').get_attribute('value') == 'Canada', 'the reload lost the answers')
    check(all(p.one('.landing-q[data-q="%s"]' % q).is_displayed() for q in COMPANY_ONLY) and
          not p.one('.landing-q[data-q="eea_citizen"]').is_displayed(), 'a company\'s questions are not shown')
    p.click('[data-test="landing-submit"]')
    check_report(p, origin, 'en')
    p.click('[data-test="lang-switch"]')
    p.wait('the Dutch heading', lambda: [h.text for h in p.css('#view-landing h1')] == [SCREENING['title']['nl']])
    check_report(p, origin, 'nl')
    check(p.one('[data-test="landing-make-plan"]').text == 'Maak mijn takenlijst met deze antwoorden',
          'the button under the Dutch report says %r' % p.one('[data-test="landing-make-plan"]').text)
    check(p.one('a[data-nav="landing"]').get_attribute('textContent') == 'Starten in Gent vanuit het buitenland', 'the menu item is not in Dutch')

    # what was sent: the answers and the language, to the node, nothing more
    p.logs()
    posts = [r for r in p.requests if r[0] == 'POST']
    check(len(posts) >= 3, 'expected a POST per report: %r' % [r[1] for r in posts])
    for _, url, body in posts:
        check(url.startswith(origin + '/api/v1/screen?'), 'a POST to %s' % url)
        check(json.loads(body) in ({'answers': ANSWERS, 'lang': 'en'}, {'answers': ANSWERS, 'lang': 'nl'}),
              'the page sent %r' % body)


def shown(p, qid):
    return p.d.execute_script('const f = document.querySelector(\'.landing-q[data-q="\' + arguments[0] + \'"]\');'
                              'return !!f && !f.hidden && f.offsetParent !== null;', qid)


def phone_walk(p, origin, shot):
    """A freelancer from outside the EEA on a phone, and the link to every
    offer of a step."""
    d = p.d
    d.execute_cdp_cmd('Emulation.setDeviceMetricsOverride', PHONE)
    d.execute_cdp_cmd('Emulation.setTouchEmulationEnabled', {'enabled': True, 'maxTouchPoints': 5})
    try:
        d.get(origin + '/#/landing')
        d.execute_script('localStorage.clear(); localStorage.setItem("gilde.lang", \'"en"\')')
        d.refresh()
        p.wait('the screening', lambda: p.css('[data-test="landing-form"] .landing-q'))
        first = p.css('.landing-q')[0]
        check(first.get_attribute('data-q') == 'work' and
              first.find_element(By.TAG_NAME, 'legend').text.startswith('How will you work here?'),
              'the first question is %r' % first.text[:80])
        # nothing chosen yet: neither a company's questions nor a freelancer's
        check(not any(shown(p, q) for q in COMPANY_ONLY + ['eea_citizen', 'registered']),
              'questions shown before "How will you work here?" is answered')
        p.click('input[name="lq-work"][value="self_employed"]')
        p.wait('a freelancer\'s questions', lambda: shown(p, 'eea_citizen') and shown(p, 'registered'))
        check(COMPANY_ONLY and not any(shown(p, q) for q in COMPANY_ONLY),
              'a freelancer is shown %r' % [q for q in COMPANY_ONLY if shown(p, q)])
        check({'stage', 'team_size', 'funding'} <= set(COMPANY_ONLY), 'company questions %r' % COMPANY_ONLY)
        check(p.css('input[name="lq-offering"][value="clients"]'), 'no answer for services to clients')
        phone_errors(p)
        p.click('[data-test="landing-submit"]')
        want = check_report(p, origin, 'en', FREELANCER, FREELANCER_ROUTE)
        stored = json.loads(d.execute_script('return localStorage.getItem("gilde.landing")') or 'null')
        check(stored == FREELANCER, 'the freelancer\'s answers kept: %r' % stored)
        # the card: the directory's offers for it, each with its site
        card = p.one('[data-test="landing-step"][data-rule="card-apply"]')
        ids = [o.get_attribute('data-offer') for o in card.find_elements(By.CSS_SELECTOR, '[data-test="landing-offer"]')]
        check(set(ids) == {'xerius-beroepskaart', 'vlaanderen-economische-migratie-beroepskaart'},
              'the card step lists %r' % ids)
        urls = {o['id']: o['url'] for s in want['steps'] for o in s['offers']}
        for o in card.find_elements(By.CSS_SELECTOR, '[data-test="landing-offer"]'):
            hrefs = [a.get_attribute('href') for a in o.find_elements(By.CSS_SELECTOR, 'a[href^="http"]')]
            check(urls[o.get_attribute('data-offer')] in hrefs, 'the card offer %s links %r'
                  % (o.get_attribute('data-offer'), hrefs))
        check('partners of step' not in card.text, 'the card step points elsewhere: %r' % card.text)
        text = p.one('[data-test="landing-steps"]').text
        for word in ('notary', ' BV', 'pilot plant', 'co-founder', 'Invest in Flanders'):
            check(word not in text, 'the freelancer\'s report says %r' % word)
        width = d.execute_script('return document.documentElement.scrollWidth')
        check(width <= PHONE['width'], 'the report is %d px wide on a %d px phone' % (width, PHONE['width']))
        d.execute_script('document.querySelector(\'[data-rule="card-apply"]\').scrollIntoView()')
        d.save_screenshot(shot)
        print('screenshot: ' + shot)

        # "and N more in the directory": a link to every offer of the step
        step = next(s for s in want['steps'] if s['more'] > 0)
        link = p.one('[data-rule="%s"] a[data-test="landing-more"]' % step['rule'])
        check(link.text == 'and %d more in the directory' % step['more'], 'the link says %r' % link.text)
        d.execute_script('arguments[0].scrollIntoView({block: "center"})', link)
        link.click()
        p.wait('the link to be followed', lambda: d.current_url.endswith('#/landing?more=' + step['rule']))
        every = next(s for s in api_report(origin, 'en', FREELANCER, 0)['steps'] if s['rule'] == step['rule'])
        check(len(every['offers']) == len(step['offers']) + step['more'], 'the API lists %d of %d'
              % (len(every['offers']), len(step['offers']) + step['more']))

        def all_shown():
            got = dict((g[0], g[2]) for g in (steps(p) or []))
            return got if got.get(step['rule']) == [o['id'] for o in every['offers']] else None
        got = p.wait('every offer of step %s' % step['rule'], all_shown)
        # the other steps still show three at most, with their links
        for s in want['steps']:
            if s['rule'] != step['rule']:
                check(got[s['rule']] == [o['id'] for o in s['offers']], 'step %s shows %r' % (s['rule'], got[s['rule']]))
        check(not p.css('[data-rule="%s"] a[data-test="landing-more"]' % step['rule']), 'the link is still there')
        focus = d.switch_to.active_element
        check(focus.tag_name == 'h4' and focus.text == every['offers'][len(step['offers'])]['name'],
              'the focus is on %r, not the first offer not shown before' % focus.text)
        d.back()
        p.wait('the report of three a step', lambda: d.current_url.endswith('#/landing') and
               dict((g[0], g[2]) for g in (steps(p) or [])).get(step['rule']) == [o['id'] for o in step['offers']])
        check(p.css('[data-rule="%s"] a[data-test="landing-more"]' % step['rule']), 'the link is gone after Back')
        phone_plan(p, origin)
    finally:
        d.execute_cdp_cmd('Emulation.clearDeviceMetricsOverride', {})
        d.execute_cdp_cmd('Emulation.setTouchEmulationEnabled', {'enabled': False})


def error_shown(p, qid):
    return p.d.execute_script('const e = document.getElementById("lq-" + arguments[0] + "-error");'
                              'return !!e && !e.hidden && e.offsetParent !== null;', qid)


def summary_boxes(p):
    """The boxes on screen that say some answers are missing or do not fit:
    [left, top, right, bottom, id, text] of each."""
    return p.d.execute_script(
        'return Array.from(document.querySelectorAll("body *")).filter(e => e.getClientRects().length &&'
        ' Array.from(e.children).some(c => !c.children.length && c.textContent.startsWith(arguments[0])))'
        '.map(e => { const r = e.getBoundingClientRect();'
        ' return [r.left, r.top, r.right, r.bottom, e.id, e.textContent]; });', 'Some answers are missing')


def overlaps(a, b):
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def check_summary_clear(p, what):
    """No box that says answers are missing covers the submit button,
    wherever the button is on the screen."""
    d = p.d
    button = p.one('[data-test="landing-submit"]')
    for block in ('end', 'center', 'start'):
        d.execute_script('arguments[0].scrollIntoView({block: arguments[1]})', button, block)
        r = d.execute_script('const r = arguments[0].getBoundingClientRect();'
                             'return [r.left, r.top, r.right, r.bottom];', button)
        for box in summary_boxes(p):
            check(not overlaps(box[:4], r), '%s: the box %r %r covers the submit button %r (scrolled to %s)'
                  % (what, box[4], box[:4], r, block))


def phone_errors(p):
    """A freelancer who sends before answering everything: the new required
    questions at the bottom are marked; each mark goes as soon as its
    question is answered, the box that lists them once none is left."""
    d = p.d
    fill(p, dict((k, v) for k, v in FREELANCER.items() if k not in ('work', 'eea_citizen', 'registered')))
    p.click('[data-test="landing-submit"]')
    p.wait('the errors', lambda: error_shown(p, 'eea_citizen') and error_shown(p, 'registered'))
    boxes = summary_boxes(p)
    check(boxes, 'no box says which answers are missing')
    check_summary_clear(p, 'after the failed submit')
    # the first missing answer: its mark goes at once, the other stays
    fill(p, {'eea_citizen': FREELANCER['eea_citizen']})
    check(not error_shown(p, 'eea_citizen'), 'the error under an answered question stays')
    check(error_shown(p, 'registered'), 'the error under a question not answered went')
    check(summary_boxes(p), 'the box went while an answer is still missing')
    check_summary_clear(p, 'with one answer missing')
    # the last: no error left, no box
    fill(p, {'registered': FREELANCER['registered']})
    check(not error_shown(p, 'registered'), 'the error under the last answered question stays')
    left = [e.text for e in p.css('.landing-q .field-error:not([hidden])')]
    check(not left, 'errors left: %r' % left)
    check(not summary_boxes(p), 'the box stays once every answer is there: %r' % [b[5] for b in summary_boxes(p)])
    d.execute_script('window.scrollTo(0, 0)')


FORM_SHOWS = '''
const p = arguments[0], f = document.getElementById("questionnaire"), bad = [];
const on = (n, v) => { const i = f.querySelector('input[name="' + n + '"][value="' + v + '"]');
                       return !!i && i.checked; };
const yn = ["student", "international", "research", "takeover", "bank_refused", "jobseeker", "prototype",
            "staff_from_abroad", "experienced"];
const box = {area: "area", school: "school", employees: "employees", company_age: "company-age"};
for (const [k, v] of Object.entries(p)) {
  let ok = true;
  if (k === "phase" || k === "activity" || k === "premises") ok = on(k, v);
  else if (k === "sectors") ok = v.every((s) => on("sector", s));
  else if (k === "languages") ok = v.every((s) => on("speaks", s));
  else if (yn.includes(k)) ok = on(k, v ? "yes" : "no");
  else if (k === "side_activity") ok = on("side", v ? "side" : "main");
  else if (k in box) ok = document.getElementById(box[k]).value === String(v);
  if (!ok) bad.push(k);
}
return bad;'''


def phone_plan(p, origin):
    """The report's answers make the to-do list; a list there already is
    replaced only if the starter says so."""
    d = p.d
    check(d.execute_script('return localStorage.getItem("gilde.profile")') is None, 'a to-do list before the test')
    report = api_report(origin, 'en', FREELANCER)
    # the report's answers, not its needs: the list is the adviser's path
    want = dict((k, v) for k, v in report['profile'].items() if k in PROFILE_FIELDS and k != 'needs')
    want['lang'] = 'en'
    check(want.get('international') is True and want.get('activity') == 'freelance' and report['profile'].get('needs'),
          'the API\'s profile %r' % report['profile'])
    button = p.one('[data-test="landing-make-plan"]')
    check(button.text == 'Make my to-do list from these answers' and 'primary' in button.get_attribute('class'),
          'the button under the report: %r, %r' % (button.text, button.get_attribute('class')))
    d.execute_script('arguments[0].scrollIntoView({block: "center"})', button)
    button.click()
    p.wait('the to-do list', lambda: d.current_url.endswith('#/plan') and p.css('[data-test="todo-item"]'))
    saved = json.loads(d.execute_script('return localStorage.getItem("gilde.profile")') or 'null')
    check(saved == want, 'the profile saved %r, the report\'s %r' % (saved, want))
    match = json.load(urllib.request.urlopen(urllib.request.Request(
        origin + '/api/v1/match', method='POST', data=json.dumps(want).encode(),
        headers={'Content-Type': 'application/json'}), timeout=WAIT))
    needs = [li.get_attribute('data-need') for li in p.css('[data-test="todo-item"]')]
    check(needs == [it['need'] for it in match['items']], 'the list\'s steps %r, the API\'s %r'
          % (needs, [it['need'] for it in match['items']]))
    check(p.css('[data-test="todo-item"] [data-test="offer"]'), 'the list shows no offer')
    check(match['needs_from'] == 'paths' and len(needs) > len(report['profile']['needs']),
          'the list is not the paths\' (%s, %r)' % (match['needs_from'], needs))
    check(not p.one('#plan-empty').is_displayed(), 'the page says there is no list')
    # the questionnaire shows those answers
    d.get(origin + '/#/')
    p.wait('the questionnaire', lambda: p.css('#questionnaire input[name="phase"]'))
    bad = d.execute_script(FORM_SHOWS, want)
    check(bad == [], 'the questionnaire does not show %r of %r' % (bad, want))

    # a list there already: asked first; No keeps it
    old = {'phase': 'idea', 'sectors': ['creative'], 'lang': 'en'}
    d.execute_script('localStorage.setItem("gilde.profile", arguments[0])', json.dumps(old))
    d.get(origin + '/#/landing')
    d.refresh()
    p.wait('the form again', lambda: p.css('input[name="lq-work"][value="self_employed"]:checked'))
    p.click('[data-test="landing-submit"]')
    p.wait('the report', lambda: p.css('[data-test="landing-make-plan"]'))
    p.click('[data-test="landing-make-plan"]')
    p.wait('the question', lambda: p.css('[data-test="landing-replace-no"]'))
    check(json.loads(d.execute_script('return localStorage.getItem("gilde.profile")')) == old,
          'the list was replaced before the starter answered')
    check(d.current_url.endswith('#/landing'), 'the page left the report before the answer')
    p.click('[data-test="landing-replace-no"]')
    p.wait('the answer taken', lambda: not p.css('[data-test="landing-replace-no"]'))
    check(json.loads(d.execute_script('return localStorage.getItem("gilde.profile")')) == old,
          'No replaced the list')
    check(d.current_url.endswith('#/landing'), 'No left the report for %s' % d.current_url)
    # and Yes replaces it
    p.click('[data-test="landing-make-plan"]')
    p.click('[data-test="landing-replace-yes"]')
    p.wait('the new to-do list', lambda: d.current_url.endswith('#/plan') and p.css('[data-test="todo-item"]'))
    saved = json.loads(d.execute_script('return localStorage.getItem("gilde.profile")') or 'null')
    check(saved == want, 'Yes saved %r' % saved)


def map_walk(p, origin, shot):
    d = p.d
    d.get(origin + '/#/map')
    img = p.wait('the map', lambda: p.css('img[data-test="map-img"]'))[0]
    p.wait('the picture to load', lambda: d.execute_script('return arguments[0].complete && '
                                                           'arguments[0].naturalWidth', img) > 300)
    src = img.get_attribute('src')
    check(src.startswith(origin + '/map.svg') and 'lang=nl' in src, 'the picture is %r' % src)
    all_rows = len(p.css('[data-test="map-table"] tbody tr'))
    whole = json.load(urllib.request.urlopen(origin + '/api/v1/map', timeout=WAIT))
    check(all_rows == whole['partners_shown'] == len(whole['partners']), 'table rows %d, map %d'
          % (all_rows, whole['partners_shown']))
    hubs = {li.get_attribute('data-hub') for li in p.css('[data-test="map-hubs"] li')}
    check(hubs == {h['id'] for h in whole['hubs']} and 'tech-lane-ghent-science-park' in hubs, 'hubs %r' % hubs)

    Select(p.one('[data-test="map-sector"]')).select_by_value('photonics')
    p.wait('the photonics map', lambda: d.current_url.endswith('#/map?sector=photonics') and
           'sector=photonics' in (d.execute_script('const i = document.querySelector(\'img[data-test="map-img"]\');'
                                                   'return i ? i.getAttribute("src") : "";') or ''))
    img = p.one('img[data-test="map-img"]')
    p.wait('the photonics picture', lambda: d.execute_script('return arguments[0].complete && '
                                                             'arguments[0].naturalWidth', img) > 300)
    one = json.load(urllib.request.urlopen(origin + '/api/v1/map?sector=photonics', timeout=WAIT))
    p.wait('the photonics table', lambda: len(p.css('[data-test="map-table"] tbody tr')) == one['partners_shown'])
    check(one['partners_shown'] < whole['partners_shown'], 'the filter keeps every partner')
    svg = urllib.request.urlopen(img.get_attribute('src'), timeout=WAIT).read().decode()
    check('fotonica' in svg.lower(), 'the picture is not the Dutch photonics map')
    d.save_screenshot(shot)

    # printing: no menu, no controls; the picture stays
    d.execute_cdp_cmd('Emulation.setEmulatedMedia', {'media': 'print'})
    try:
        shown = d.execute_script(
            'const s = (q) => getComputedStyle(document.querySelector(q)).display;'
            'return [s("#nav"), s(".map-filters"), s("img.map-img")];')
        check(shown[0] == 'none' and shown[1] == 'none' and shown[2] != 'none',
              'print: menu %s, controls %s, picture %s' % tuple(shown))
    finally:
        d.execute_cdp_cmd('Emulation.setEmulatedMedia', {'media': ''})


if __name__ == '__main__':
    run(main)
