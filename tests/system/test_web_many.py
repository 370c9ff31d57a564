#!/usr/bin/env python3
"""The to-do list on the page when a need has more offers than any answer
holds (proto/API.md: "all" is 100 per item at most): a node holding the
Ghent sample and 120 more offers for one need.  Show more lists the
first 100 the API gives, in its order, and the page says how many more
fit, as the API counts them, in English and in Dutch; no console
error."""
import copy
import json
import os
import urllib.request

import test_web_browser as wb
from browser import console_errors, session
from harness import Harness, check, ghent_records, run

EXTRA = 120
PROFILE = {'phase': 'prestart', 'activity': 'shop', 'side_activity': False, 'research': False,
           'student': False, 'languages': ['nl', 'en'], 'premises': 'needed', 'lang': 'en'}


def match(origin, per_item):
    req = urllib.request.Request(origin + '/api/v1/match?per_item=%d' % per_item,
                                 data=json.dumps(PROFILE).encode(),
                                 headers={'Content-Type': 'application/json'}, method='POST')
    return json.load(urllib.request.urlopen(req, timeout=wb.WAIT))


def many_offers(h, need):
    """EXTRA copies of the sample's first offer for need, ids of their own."""
    base = [o for o in ghent_records('offer') if o['needs'] == [need]][0]
    paths = []
    for i in range(EXTRA):
        o = copy.deepcopy(base)
        o['id'] = 'many-%03d' % i
        o['name'] = {'nl': 'Aanbod %d' % i, 'en': 'Offer %d' % i}
        path = os.path.join(h.dir, o['id'] + '.json')
        with open(path, 'w') as f:
            json.dump(o, f)
        paths.append(path)
    return paths


def main():
    browser, driver = wb.find_browser()
    with Harness('web-many') as h:
        conf = h.write_config('a', '[federation]\nopen = true\n[web]\nlisten = 127.0.0.1:0\n'
                                   'root = %s\nrate = 100000\nburst = 100000\n' % wb.WEB_ROOT)
        a = h.node('a', args=['--config', conf])
        a.start()
        need = 'financing-loan'
        a.gilde('publish', *wb.SAMPLE, *many_offers(h, need))
        origin = 'http://' + a.json('status')['daemon']['web']['listen']
        item = [i for i in match(origin, 0)['items'] if i['need'] == need]
        check(item, 'the shop at prestart has no %s item' % need)
        item = item[0]
        fit = len(item['offers']) + item['more']
        check(len(item['offers']) == 100 and item['more'] > 0 and fit > EXTRA,
              'the API gives %d offers and %d more for %s' % (len(item['offers']), item['more'], need))

        downloads = os.path.join(h.dir, 'downloads')
        os.mkdir(downloads)
        d = wb.start_browser(browser, driver, os.path.join(h.dir, 'chromium-profile'), downloads)
        p = wb.Page(d, origin)
        with session(h, d):
            p.collect_logs(keep=False)
            d.get(origin + '/')
            p.wait('the page to start', lambda: p.css('input[data-test="phase"]'))
            p.js('localStorage.setItem("gilde.profile", arguments[0])', json.dumps(PROFILE))
            d.get(origin + '/#/plan')
            sel = '[data-test="todo-item"][data-need="%s"]' % need
            more = p.wait('Show more under %s' % need, lambda: p.css(sel + ' button.more'))
            check(not p.css(sel + ' [data-test="more-unshown"]'), 'the hint shows before Show more')
            more[0].click()
            shown = p.wait('the offers after Show more', lambda: (lambda o: o if len(o) > 5 else None)(
                [x.get_attribute('data-offer') for x in p.css(sel + ' [data-test="offer"]')]))
            check(shown == [o['id'] for o in item['offers']],
                  'the page lists %d offers, the API %d (or in another order)' % (len(shown), len(item['offers'])))
            hint = p.wait('the hint', lambda: p.css(sel + ' [data-test="more-unshown"]'))[0].text
            check(str(item['more']) in hint and 'more offers fit this need' in hint,
                  'the hint says %r, the API counts %d more' % (hint, item['more']))
            p.click('[data-test="lang-switch"]')
            p.wait('the hint in Dutch', lambda: any(
                'passen bij deze nood' in x.text and str(item['more']) in x.text
                for x in p.css(sel + ' [data-test="more-unshown"]')))
            errors = console_errors(p)
            check(not errors, 'console errors: %r' % errors)
    print('web many: %d offers for %s, 100 shown, %d more said' % (fit, need, item['more']))


if __name__ == '__main__':
    run(main)
