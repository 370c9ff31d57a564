#!/usr/bin/env python3
"""The starter's page (daemon/web/) in a real headless Chromium, against a
real gilded serving the Ghent sample: the questionnaire makes a to-do list
with exactly the chosen needs and offers from the sample; a tick survives a
reload (kept in the browser only); drawing the to-do list asks the node
for the match and nothing else (no list of offers or partners); the
language switch changes the page; a partner page lists that partner's
offers; an event's .ics comes from the node's /events.ics?author=&id=;
and the browser asks nothing of anyone but the node.

Needs chromium, chromium-driver and python3-selenium (contrib/deps.sh);
without them the test fails, it does not skip."""
import json
import os
import shutil
import sys
import tempfile
import urllib.parse
import urllib.request

# Debian's python3-selenium lives in the system interpreter; if this one
# lacks it (a pyenv or venv python3 found first on PATH), run under that.
try:
    import selenium
except ImportError:
    selenium = None
if selenium is None:
    if os.path.exists('/usr/bin/python3') and os.path.realpath(sys.executable) != \
            os.path.realpath('/usr/bin/python3') and not os.environ.get('GILDE_WEB_REEXEC'):
        os.environ['GILDE_WEB_REEXEC'] = '1'
        os.execv('/usr/bin/python3', ['/usr/bin/python3'] + sys.argv)

from harness import GHENT, SLOW, SOURCE, Harness, TestFailure, check, ghent_records, run

DEPS = ('run contrib/deps.sh (or apt-get install chromium chromium-driver python3-selenium) '
        'to install it')

try:
    from selenium import webdriver
    from selenium.common.exceptions import TimeoutException, WebDriverException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError as e:
    webdriver = None
    SELENIUM_ERROR = str(e)

SAMPLE = GHENT
WEB_ROOT = os.path.realpath(os.path.join(SOURCE, 'daemon', 'web'))
PROFILE_FIELDS = {'phase', 'sectors', 'needs', 'activity', 'student', 'international', 'area',
                  'company_age', 'lang'}
WAIT = 20 * SLOW


def read(path):
    try:
        with open(path, 'rb') as f:
            return f.read()
    except OSError:
        return b''


def find_browser():
    """The chromium and chromedriver executables, or a failure that says how
    to get them."""
    if webdriver is None:
        raise TestFailure('python3-selenium is not installed (%s): %s' % (SELENIUM_ERROR, DEPS))
    browser = next((p for p in (shutil.which('chromium'), shutil.which('chromium-browser'),
                                shutil.which('google-chrome')) if p), None)
    driver = next((p for p in (shutil.which('chromedriver'), '/usr/lib/chromium/chromedriver')
                   if p and os.access(p, os.X_OK)), None)
    if not browser:
        raise TestFailure('chromium is not installed: ' + DEPS)
    if not driver:
        raise TestFailure('chromedriver is not installed (package chromium-driver): ' + DEPS)
    return browser, driver


def start_browser(browser, driver, profile_dir, downloads):
    opts = webdriver.ChromeOptions()
    opts.binary_location = browser
    for a in ('--headless=new', '--no-sandbox', '--disable-dev-shm-usage',
              '--user-data-dir=' + profile_dir, '--window-size=1280,900', '--lang=en-US',
              '--no-first-run', '--no-default-browser-check', '--disable-extensions',
              '--disable-background-networking', '--disable-component-update',
              '--disable-sync', '--disable-default-apps', '--metrics-recording-only'):
        opts.add_argument(a)
    opts.add_experimental_option('prefs', {'intl.accept_languages': 'en-US,en',
                                           'download.default_directory': downloads,
                                           'download.prompt_for_download': False})
    opts.set_capability('goog:loggingPrefs', {'performance': 'ALL', 'browser': 'ALL'})
    try:
        d = webdriver.Chrome(service=Service(driver), options=opts)
    except WebDriverException as e:
        raise TestFailure('could not start headless chromium with %s: %s\n(%s)'
                          % (driver, e.msg, DEPS))
    try:
        d.execute_cdp_cmd('Page.setDownloadBehavior', {'behavior': 'allow', 'downloadPath': downloads})
    except WebDriverException:
        pass  # older drivers: the download.default_directory preference does it
    d.set_page_load_timeout(WAIT)
    d.set_script_timeout(WAIT)
    return d


class Page:
    def __init__(self, d, origin):
        self.d = d
        self.origin = origin
        self.requests = []      # (method, url, postData) of every request the browser made
        self.console = []

    def wait(self, what, fn, timeout=WAIT):
        try:
            return WebDriverWait(self.d, timeout, poll_frequency=0.05).until(lambda d: fn())
        except TimeoutException:
            raise TestFailure('timed out after %.0fs waiting for %s (page at %s; status: %r)'
                              % (timeout, what, self.d.current_url, self.status()))

    def css(self, sel):
        return self.d.find_elements(By.CSS_SELECTOR, sel)

    def one(self, sel):
        found = self.css(sel)
        check(len(found) == 1, 'expected one %s, found %d' % (sel, len(found)))
        return found[0]

    def status(self):
        try:
            return self.d.find_element(By.ID, 'status').text
        except WebDriverException:
            return None

    def js(self, script, *args):
        return self.d.execute_script(script, *args)

    def collect_logs(self, keep=True):
        """Drain Chrome's performance and console logs (keep=False: the
        browser's own start page, before the test opens the node's)."""
        for e in self.d.get_log('performance'):
            msg = json.loads(e['message'])['message']
            if keep and msg.get('method') == 'Network.requestWillBeSent':
                r = msg['params']['request']
                self.requests.append((r.get('method'), r.get('url'), r.get('postData'),
                                      msg['params'].get('documentURL', '')))
        for e in self.d.get_log('browser'):
            if keep:
                self.console.append(e)

    def local(self, url):
        return (url == self.origin or url.startswith(self.origin + '/') or
                url.startswith('blob:' + self.origin + '/') or url.startswith('data:'))

    def outside(self):
        """Requests that left the node: any from the node's page that is not
        to the node, and any over the network (http, https, ws, wss, ftp) at
        all; the browser's own chrome:// pages do not leave the machine."""
        out = []
        for _, url, _, doc in self.requests:
            from_page = self.local(doc)
            networked = url.split(':', 1)[0].lower() in ('http', 'https', 'ws', 'wss', 'ftp')
            if (from_page or networked) and not self.local(url):
                out.append(url)
        return out


def fill_questionnaire(p, phase, sector, needs):
    p.wait('the questionnaire', lambda: p.css('input[data-test="phase"][value="%s"]' % phase))
    p.one('form[data-test="questionnaire"]')
    p.one('input[data-test="phase"][value="%s"]' % phase).click()
    p.one('input[data-test="sector"][value="%s"]' % sector).click()
    for n in needs:
        p.one('input[data-test="need"][value="%s"]' % n).click()
    p.one('[data-test="submit"]').click()


def todo_items(p):
    """[(need, ticked, [offer ids])] once the list is drawn, else None."""
    items = p.css('[data-test="todo-list"] [data-test="todo-item"]')
    if not items or not p.d.find_element(By.ID, 'plan-body').is_displayed():
        return None
    out = []
    for li in items:
        need = li.get_attribute('data-need')
        tick = li.find_element(By.CSS_SELECTOR, 'input[data-test="tick"]')
        offers = [o.get_attribute('data-offer') for o in li.find_elements(By.CSS_SELECTOR, '[data-test="offer"]')]
        out.append((need, tick.is_selected(), offers))
    return out


def check_plan(p, needs, sample_offers, ticked):
    got = p.wait('the to-do list', lambda: todo_items(p))
    check([g[0] for g in got] == needs,
          'to-do items %r, expected exactly %r' % ([g[0] for g in got], needs))
    for need, is_ticked, offers in got:
        check(offers, 'item %s lists no offer' % need)
        unknown = [o for o in offers if o not in sample_offers]
        check(not unknown, 'item %s lists offers not in the sample: %r' % (need, unknown))
        check(is_ticked == (need in ticked),
              'item %s is %s, expected %s' % (need, 'ticked' if is_ticked else 'not ticked',
                                              'ticked' if need in ticked else 'not ticked'))
    return got


def api_asked(p, since):
    """The API paths (no query) the page asked for since request number since."""
    p.collect_logs()
    return [urllib.parse.urlsplit(r[1]).path for r in p.requests[since:]
            if urllib.parse.urlsplit(r[1]).path.startswith('/api/')]


def check_todo_asked(p, since, what):
    """Drawing a to-do list needs the taxonomy and the match, and no list
    it does not show: not the offers, not the partners."""
    asked = api_asked(p, since)
    check('/api/v1/match' in asked, '%s: no POST /api/v1/match among %r' % (what, asked))
    extra = [a for a in asked if a not in ('/api/v1/taxonomy', '/api/v1/match')]
    check(not extra, '%s: the page also asked for %r' % (what, extra))


def main():
    browser, driver = find_browser()
    check(os.path.isfile(os.path.join(WEB_ROOT, 'index.html')), WEB_ROOT + '/index.html is missing')
    sample_offers = {o['id']: o for o in ghent_records('offer')}
    partners = {p['id']: p for p in ghent_records('partner')}
    phase, sector, needs = 'start', 'digital', ['administration', 'financing']

    with Harness('web-browser') as h:
        conf = h.write_config('a', '[federation]\nopen = true\n[web]\nlisten = 127.0.0.1:0\n'
                                   'root = %s\nrate = 100000\nburst = 100000\n' % WEB_ROOT)
        a = h.node('a', args=['--config', conf])
        a.start()
        web = a.json('status')['daemon'].get('web') or {}
        check(web.get('listen', '').startswith('127.0.0.1:'),
              'gilde status --json reports no web address: %r' % web)
        origin = 'http://' + web['listen']
        a.gilde('publish', *SAMPLE)
        key = a.json('id')['key']

        shots = os.environ.get('GILDE_BUILD_ROOT')
        shots = os.path.join(shots, 'meson-logs') if shots and os.path.isdir(shots) else tempfile.gettempdir()
        shot = os.path.join(shots, 'test_web_browser.png')

        downloads = os.path.join(h.dir, 'downloads')
        os.mkdir(downloads)
        d = start_browser(browser, driver, os.path.join(h.dir, 'chromium-profile'), downloads)
        p = Page(d, origin)
        try:
            # -- the questionnaire, in English (the browser asks for English) ---------
            p.collect_logs(keep=False)
            start = len(p.requests)
            d.get(origin + '/')
            p.wait('the page to start', lambda: p.css('input[data-test="phase"]'))
            check(p.js('return document.documentElement.lang') == 'en', 'html lang is not en')
            check(p.one('[data-test="lang-switch"]').is_displayed(), 'no language switch')
            fill_questionnaire(p, phase, sector, needs)

            # -- the to-do list: one item per chosen need, offers from the sample ------
            p.wait('the to-do route', lambda: d.current_url.endswith('#/plan'))
            check_plan(p, needs, sample_offers, ticked=set())
            check_todo_asked(p, start, 'the first to-do list')
            p.one('[data-test="todo-item"][data-need="administration"] input[data-test="tick"]').click()
            p.wait('the tick to be stored', lambda: 'administration' in
                   (p.js('return localStorage.getItem("gilde.ticks")') or ''))

            # -- a reload shows the same list with the same ticks ------------------------
            p.collect_logs()
            reload_at = len(p.requests)
            d.refresh()
            check_plan(p, needs, sample_offers, ticked={'administration'})
            check_todo_asked(p, reload_at, 'the to-do list after a reload')

            # -- the language switch ------------------------------------------------------
            heading = p.one('#view-plan h1').text
            p.one('[data-test="lang-switch"]').click()
            p.wait('the heading to change language',
                   lambda: p.one('#view-plan h1').text not in ('', heading))
            check(p.js('return document.documentElement.lang') == 'nl', 'html lang is not nl')
            check_plan(p, needs, sample_offers, ticked={'administration'})
            nl_heading = p.one('#view-plan h1').text
            d.refresh()
            p.wait('the Dutch heading after a reload', lambda: p.one('#view-plan h1').text == nl_heading)
            check_plan(p, needs, sample_offers, ticked={'administration'})
            d.save_screenshot(shot)
            print('screenshot: ' + shot)

            # -- a partner page, from a link in the to-do list ----------------------------
            link = p.css('[data-test="todo-list"] a[data-test="partner-link"]')
            check(link, 'the to-do list links no partner page')
            link[0].click()
            p.wait('the partner page', lambda: '#/partner/' in d.current_url and
                   p.css('[data-test="partner-offer"]'))
            pid = d.current_url.rsplit('/', 1)[-1]
            check(pid in partners, 'partner page of an unknown partner: %s' % d.current_url)
            check(p.one('#view-partner h1').text == partners[pid]['name']['nl'],
                  'partner page heading %r, expected %r' % (p.one('#view-partner h1').text,
                                                             partners[pid]['name']['nl']))
            listed = sorted(o.get_attribute('data-offer') for o in p.css('[data-test="partner-offer"]'))
            want = sorted(o['id'] for o in sample_offers.values() if o.get('partner') == pid and
                          o.get('status', 'active') != 'inactive')
            check(listed == want, 'partner %s lists offers %r, expected %r' % (pid, listed, want))

            # -- events: the whole calendar on the node, and one event's ---------------
            d.get(origin + '/#/events')
            p.wait('the events', lambda: p.css('[data-test="event"] a[data-test="event-ics"]'))
            ics_all = p.one('[data-test="ics-all"]').get_attribute('href')
            check(ics_all.startswith(origin + '/events.ics'), 'calendar link %r' % ics_all)
            item = p.css('[data-test="event"]')[0]
            link = item.find_element(By.CSS_SELECTOR, 'a[data-test="event-ics"]')
            href = urllib.parse.urlsplit(link.get_attribute('href'))
            query = urllib.parse.parse_qs(href.query)
            page_lang = p.js('return document.documentElement.lang')
            check(href.scheme + '://' + href.netloc == origin and href.path == '/events.ics' and
                  query == {'author': [key], 'id': [item.get_attribute('data-event')],
                            'lang': [page_lang]},
                  'the event\'s .ics link is %r, not /events.ics?author=%s&id=%s&lang=%s'
                  % (link.get_attribute('href'), key, item.get_attribute('data-event'), page_lang))
            name = link.get_attribute('download')
            check(name and name.endswith('.ics'), 'the .ics link downloads nothing: %r' % name)
            link.click()
            path = os.path.join(downloads, name)
            p.wait('the download of ' + name, lambda: read(path).endswith(b'END:VCALENDAR\r\n'))
            ics = open(path, encoding='utf-8').read()
            uid = [l for l in ics.split('\n') if l.startswith('UID:')]
            check(ics.startswith('BEGIN:VCALENDAR') and 'BEGIN:VEVENT' in ics and 'DTSTART:' in ics and
                  len(uid) == 1, 'the event .ics: %r' % ics[:300])
            whole = urllib.request.urlopen(ics_all, timeout=WAIT).read().decode()
            check(uid[0].strip() in whole.replace('\r\n ', ''),
                  'the event .ics has %s, which the node\'s events.ics does not' % uid[0].strip())

            # -- nothing but the node was asked for anything, and only the profile sent ---
            p.collect_logs()
            posts = [r for r in p.requests if r[0] not in ('GET', 'HEAD')]
            check(len(posts) >= 2, 'expected a POST to /api/v1/match per list drawn: %r' % posts)
            for method, url, body, _ in posts:
                check(method == 'POST' and url.split('?')[0] == origin + '/api/v1/match',
                      '%s to %s' % (method, url))
                prof = json.loads(body or '{}')
                check(set(prof) <= PROFILE_FIELDS, 'the page sent more than a profile: %r' % prof)
                # just what was filled in (and the language); never a tick
                check(prof in ({'phase': phase, 'sectors': [sector], 'needs': needs, 'lang': 'en'},
                               {'phase': phase, 'sectors': [sector], 'needs': needs, 'lang': 'nl'}),
                      'the page sent %r, not just what was filled in' % prof)
            check(not [u for _, u, _, _ in p.requests if 'tick' in u.lower()],
                  'a request carries the ticks')
            outside = p.outside()
            check(any(r[1].startswith(origin + '/api/v1/') for r in p.requests),
                  'the performance log recorded no request to the node')
            check(not outside, 'the browser made requests outside the node: %r' % outside)
            entries = p.js('return performance.getEntries().map(e => e.name)'
                           '.filter(n => /^[a-z]+:/.test(n))')
            check(all(p.local(n) for n in entries),
                  'performance entries outside the node: %r' % entries)
            errors = [e['message'] for e in p.console if e.get('level') == 'SEVERE']
            check(not errors, 'the console shows errors (a CSP violation?): %r' % errors)
            print('ok: %d requests, all to %s' % (len(p.requests), origin))
        except BaseException:
            # the harness keeps its directory when a test fails: the page as it was
            try:
                d.save_screenshot(os.path.join(h.dir, 'failure.png'))
                sys.stderr.write('screenshot of the failure: %s\n' % os.path.join(h.dir, 'failure.png'))
            except Exception:  # the browser is gone: nothing to show
                pass
            raise
        finally:
            try:
                d.quit()
            except Exception:  # the browser is gone already: nothing left to stop
                pass


if __name__ == '__main__':
    run(main)
