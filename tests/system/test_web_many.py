#!/usr/bin/env python3
"""The to-do list on the page when a need has more offers than any answer
holds (proto/API.md: "all" is 100 per item at most): a node holding the
Ghent sample and 120 more offers for one need.  Show more lists the
first 100 the API gives, in its order, and the page says how many more
fit, as the API counts them, in English and in Dutch; no console
error.  The same 120 offers and 120 events of one partner: its page
(/api/v1/partners/AUTHOR/ID) holds the first 100 of each and counts the
rest, and the page says so."""
import copy
import datetime
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


def many_events(h, partner):
    """EXTRA events of partner, a day apart from a year on, ids of their own."""
    base = [e for e in ghent_records('event') if 'recurrence' not in e][0]
    paths = []
    for i in range(EXTRA):
        e = copy.deepcopy(base)
        e['id'], e['partner'] = 'many-event-%03d' % i, partner
        # listed in start order: ids in the reverse order, so that the
        # order cannot be the ids'
        day = 1 + (EXTRA - 1 - i)
        e['start'] = '2030-%02d-%02dT10:00:00+01:00' % (1 + day // 28, 1 + day % 28)
        e.pop('end', None)
        path = os.path.join(h.dir, e['id'] + '.json')
        with open(path, 'w') as f:
            json.dump(e, f)
        paths.append(path)
    return paths


def partner_page(origin, author, pid, want_offers):
    """The partner's page holds its first 100 offers by id and its first
    100 events by start, and counts the rest of each."""
    url = '%s/api/v1/partners/%s/%s' % (origin, author, pid)
    page = json.load(urllib.request.urlopen(url, timeout=wb.WAIT))
    ids = [o['id'] for o in page['offers']]
    check(ids == sorted(want_offers)[:100] and page['more']['offers'] == len(want_offers) - 100,
          'partner page: %d offers (%s...), %r more; %d expected' % (
              len(ids), ids[:3], page['more'], len(want_offers)))
    starts = [e['start'] for e in page['events']]
    ours = [e['id'] for e in page['events'] if e['id'].startswith('many-event-')]
    at = [datetime.datetime.fromisoformat(x) for x in starts]
    check(len(starts) == 100 and at == sorted(at) and
          page['more']['events'] >= EXTRA - 100 and
          ours == ['many-event-%03d' % (EXTRA - 1 - k) for k in range(len(ours))],
          'partner page events: %d, first %r, %r more' % (len(starts), ours[:2], page['more']))
    return page


def main():
    browser, driver = wb.find_browser()
    with Harness('web-many') as h:
        conf = h.write_config('a', '[federation]\nopen = true\n[web]\nlisten = 127.0.0.1:0\n'
                                   'root = %s\nrate = 100000\nburst = 100000\n' % wb.WEB_ROOT)
        a = h.node('a', args=['--config', conf])
        a.start()
        need = 'financing-loan'
        offers = many_offers(h, need)
        with open(offers[0]) as f:
            pid = json.load(f)['partner']
        a.gilde('publish', *wb.SAMPLE, *offers, *many_events(h, pid))
        origin = 'http://' + a.json('status')['daemon']['web']['listen']
        author = a.json('id')['key']
        mine = [o['id'] for o in ghent_records('offer') if o.get('partner') == pid and
                o.get('status', 'active') != 'inactive' and 'valid_until' not in o]
        page = partner_page(origin, author, pid, mine + ['many-%03d' % i for i in range(EXTRA)])
        # the map's cell of that partner and need lists a few offers and counts them all, and
        # gilde map prints the count, not the few listed
        row = [p for p in json.load(urllib.request.urlopen(origin + '/api/v1/map', timeout=wb.WAIT))
               ['partners'] if p['id'] == pid][0]
        cell = [c for c in row['cells'] if need in c['needs']][0]
        check(cell['count'] >= EXTRA and len(cell['offers']) <= 8,
              'the map cell: %d counted, %d listed' % (cell['count'], len(cell['offers'])))
        text = a.gilde('map').stdout
        check('(%d)' % cell['count'] in text, 'gilde map does not print the cell\'s %d offers:\n%s'
              % (cell['count'], text[:600]))
        # on the node's own machine the map is whole: a city exports every offer of the cell
        local = [p for p in a.json('map')['partners'] if p['id'] == pid][0]
        whole = [c for c in local['cells'] if need in c['needs']][0]
        check(len(whole['offers']) == whole['count'] == cell['count'],
              'gilde map --json lists %d of the cell\'s %d offers' % (len(whole['offers']),
                                                                    whole['count']))
        csv = a.gilde('map', '--csv').stdout
        check(sum('many-%03d' % i in csv for i in range(EXTRA)) == EXTRA,
              'gilde map --csv leaves offers of the cell out')
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
                'passen bij deze behoefte' in x.text and str(item['more']) in x.text
                for x in p.css(sel + ' [data-test="more-unshown"]')))
            d.get(origin + '/#/partner/%s/%s' % (author, pid))
            p.wait('the partner page\'s offers', lambda: len(p.css('[data-test="partner-offer"]')) == 100)
            hint = p.wait('the partner page\'s hint', lambda: p.css('[data-test="partner-more-offers"]'))
            check(str(page['more']['offers']) in hint[0].text and
                  str(page['more']['events']) in p.one('[data-test="partner-more-events"]').text,
                  'the partner page says %r, the API counts %r' % (hint[0].text, page['more']))
            errors = console_errors(p)
            check(not errors, 'console errors: %r' % errors)
    print('web many: %d offers for %s, 100 shown, %d more said; partner %s: 100 offers and '
          '100 events shown, %r more said' % (fit, need, item['more'], pid, page['more']))


if __name__ == '__main__':
    run(main)
