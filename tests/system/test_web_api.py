#!/usr/bin/env python3
"""The web API over real HTTP (proto/API.md), against a daemon holding the
Ghent sample: every endpoint answers what the same query through `gilde`
answers; bad parameters are 400 with a JSON error naming the parameter;
wrong methods 405, wrong media type 415, oversize bodies 413, oversize
headers 431; files are served from the web root and nothing outside it;
one event's .ics (/events.ics?author=&id=) is the VEVENT of the whole
calendar; the rate limit answers 429 with Retry-After; and a profile posted to
/api/v1/match appears in no log line and no file of the node."""
import base64
import datetime
import glob
import http.client
import json
import os
import shutil
import socket
import urllib.parse
import xml.etree.ElementTree as ET

from harness import GHENT, SOURCE, Harness, TestFailure, check, ghent_records, run

SAMPLE = GHENT
TAXONOMY = json.load(open(os.path.join(SOURCE, 'schemas', 'taxonomy.json')))
PARENT = {t['id']: t.get('parent') for t in TAXONOMY['x-terms']['need']}
WEB_ROOT = os.path.join(SOURCE, 'daemon', 'web')


def within(need, ancestor):
    while need:
        if need == ancestor:
            return True
        need = PARENT.get(need)
    return False


class Web:
    def __init__(self, addr):
        host, port = addr.rsplit(':', 1)
        self.host, self.port = host, int(port)

    def raw(self, method, path, body=None, headers=None):
        c = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            c.close()

    def get(self, path, status=200):
        st, hd, data = self.raw('GET', path)
        check(st == status, 'GET %s: %d, expected %d: %s' % (path, st, status, data[:300]))
        return hd, data

    def json(self, path, status=200, method='GET', body=None, headers=None):
        st, hd, data = self.raw(method, path, body, headers)
        check(st == status, '%s %s: %d, expected %d: %s' % (method, path, st, status, data[:400]))
        check(hd.get('content-type', '').startswith('application/json'),
              '%s %s: Content-Type %r' % (method, path, hd.get('content-type')))
        try:
            return json.loads(data)
        except ValueError:
            raise TestFailure('%s %s: not JSON: %r' % (method, path, data[:200]))

    def error(self, path, status, param=None, method='GET', body=None, headers=None):
        e = self.json(path, status, method, body, headers)
        check(isinstance(e.get('error'), dict) and e['error'].get('status') == status and
              e['error'].get('message'), '%s: not an error object: %r' % (path, e))
        if param is not None:
            check(e['error'].get('parameter') == param,
                  '%s: error names parameter %r, expected %r' % (path, e['error'].get('parameter'),
                                                                 param))
        return e['error']['message']


def web_config(h, name, extra='', root=WEB_ROOT):
    return h.write_config(name, '[federation]\nopen = true\n[web]\nlisten = 127.0.0.1:0\n'
                          'root = %s\n%s' % (root, extra))


def start_web(node):
    node.start()
    st = node.json('status')
    web = st['daemon'].get('web')
    check(web and web.get('listen', '').startswith('127.0.0.1:'),
          'gilde status --json shows no web address: %r' % st['daemon'])
    return Web(web['listen'])


def live(o):
    """Live as gilded counts it: valid through the whole of valid_until (UTC)."""
    today = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
    return o.get('status') != 'inactive' and (not o.get('valid_until') or
                                              o['valid_until'] >= today)


def unfold(ics):
    """iCalendar text with its folded lines joined (RFC 5545, 3.1)."""
    return ics.replace('\r\n ', '').replace('\r\n\t', '')


def ics_text(s):
    """A TEXT value as libical escapes it."""
    return s.replace('\\', '\\\\').replace(';', '\\;').replace(',', '\\,').replace('\n', '\\n')


def one_event_ics(w, key, events, whole):
    """GET /events.ics?author=&id=: one VEVENT, the one the whole calendar
    has for that event; 404 for an event that is not there, 400 for a
    request that does not name one."""
    raw = base64.urlsafe_b64decode(key.split(':', 1)[1] + '=')
    for e in events[:3]:
        q = 'author=%s&id=%s' % (urllib.parse.quote(e['author']), urllib.parse.quote(e['id']))
        for lang in ('nl', 'en'):
            hd, body = w.get('/events.ics?%s&lang=%s' % (q, lang))
            check(hd['content-type'].startswith('text/calendar'),
                  'one event\'s .ics: Content-Type %s' % hd['content-type'])
            one = body.decode()
            lines = unfold(one).split('\r\n')
            uids = [l for l in lines if l.startswith('UID:')]
            want = 'UID:%s@%s.gilde' % (e['id'], raw[:8].hex())
            check(one.startswith('BEGIN:VCALENDAR\r\n') and one.endswith('END:VCALENDAR\r\n') and
                  one.count('BEGIN:VEVENT') == 1 and one.count('END:VEVENT') == 1 and
                  'BEGIN:VTIMEZONE' in one and uids == [want],
                  '%s/%s.ics: UIDs %r, expected [%r]:\n%s' % (e['author'], e['id'], uids, want,
                                                             one[:600]))
            check(want in unfold(whole).split('\r\n'),
                  'the whole events.ics has no %s' % want)
            name = e['name'].get(lang) or e['name'].get('en') or e['name'].get('nl')
            check('SUMMARY:' + ics_text(name) in lines,
                  '%s.ics?lang=%s: no SUMMARY %r in %r' % (e['id'], lang, name,
                                                         [l for l in lines if 'SUMMARY' in l]))
    w.error('/events.ics?author=%s&id=no-such-event' % key, 404)
    w.error('/events.ics?author=%s&id=stad-gent' % key, 404)  # a partner, not an event
    w.error('/events.ics?author=ed25519:nobody&id=%s' % events[0]['id'], 400, 'author')
    w.error('/events.ics?author=%s&id=%s' % (key.replace('ed25519:', 'x25519:'), events[0]['id']),
            400, 'author')
    w.error('/events.ics?id=%s' % events[0]['id'], 400, 'author')
    w.error('/events.ics?author=%s' % key, 400, 'id')
    w.error('/events.ics?author=%s&id=%s' % (key, 'x' * 65), 400, 'id')
    w.error('/events.ics?author=%s&id=%s&from=2026-01-01' % (key, events[0]['id']), 400, 'from')
    w.error('/events.ics?author=%s&id=%s&lang=fr' % (key, events[0]['id']), 400, 'lang')


def ordered(text):
    """JSON text parsed with its objects as lists of pairs: equal only in
    the same key order."""
    return json.loads(text, object_pairs_hook=list)


def match_personas(h, w, a):
    """Every persona, as it is, at another phase and with one more employee,
    with all its offers: the API answers what gilde match --json does, keys
    in the same order (the node keeping its offers' texts between them);
    an offer renamed (published anew) is answered renamed."""
    files = sorted(glob.glob(os.path.join(SOURCE, 'tests', 'personas', '*.json')))
    check(len(files) >= 10, 'only %d personas' % len(files))
    hdr = {'Content-Type': 'application/json'}
    for f in files:
        prof = json.load(open(f))['profile']
        # another phase; one more employee: a new profile whose offers mostly read the same
        for p in (prof, dict(prof, phase='growth'),
                  dict(prof, employees=prof.get('employees', 0) + 1)):
            path = os.path.join(h.dir, 'persona.json')
            with open(path, 'w') as fh:
                json.dump(p, fh)
            want = ordered(a.gilde('match', '--json', '--per-item', '0', '--profile', path).stdout)
            st, _, data = w.raw('POST', '/api/v1/match?per_item=0', json.dumps(p), hdr)
            # the API's one addition at the end: [web] desk (main checks it)
            check(st == 200 and ordered(data)[:-1] == want and ordered(data)[-1][0] == 'desk',
                  'match %s: the API and gilde match differ for %r' % (f, p))
    body = json.dumps(prof)
    first = json.loads(w.raw('POST', '/api/v1/match', body, hdr)[2])['items'][0]['offers'][0]
    rec = [o for o in ghent_records('offer') if o['id'] == first['id']][0]
    renamed = dict(rec, name={'nl': 'Hernoemd voor issue 22', 'en': 'Renamed for issue 22'})
    path = os.path.join(h.dir, 'renamed.json')
    with open(path, 'w') as fh:
        json.dump(renamed, fh)
    a.gilde('publish', path)
    got = json.loads(w.raw('POST', '/api/v1/match', body, hdr)[2])['items'][0]['offers'][0]
    check(got['id'] == first['id'] and got['name'] in ('Hernoemd voor issue 22',
                                                       'Renamed for issue 22'),
          'match after a rename: %r, was %r' % (got['name'], first['name']))


def match_descriptions(h, w, a):
    """Each offer of a match says what it is: its record's description in
    the answer's language, on the page and in gilde match --json; and a
    count in the score's words is said as a count (1 phase, 2 phases),
    with "behoefte" for a need in Dutch."""
    desc = {o['id']: o['description'] for o in ghent_records('offer')}
    hdr = {'Content-Type': 'application/json'}
    seen = {}
    for lang in ('en', 'nl'):
        prof = {'phase': 'prestart', 'activity': 'hospitality', 'sectors': ['hospitality'],
                'premises': 'needed', 'lang': lang}
        got = json.loads(w.raw('POST', '/api/v1/match?per_item=0', json.dumps(prof), hdr)[2])
        offers = [o for i in got['items'] for o in i['offers'] + i['later']]
        check(offers, 'match %s: no offers' % lang)
        for o in offers:
            check(o.get('description') == desc[o['id']][lang],
                  'match %s: offer %s describes itself as %r, its record as %r'
                  % (lang, o['id'], o.get('description'), desc[o['id']][lang]))
            check(list(o)[:4] == ['author', 'id', 'name', 'description'],
                  'match %s: the description is not after the name: %r' % (lang, list(o)))
            for t in o['terms']:
                what = t['what']
                seen[what.split(',')[0]] = what
                check('(s)' not in what and '(en)' not in what and ' nood' not in what,
                      'match %s: a term reads %r' % (lang, what))
                if what.startswith(('made for 1 ', 'gemaakt voor 1 ')):
                    check(not what.endswith(('phases, yours among them', 'sectors, yours among them',
                                              'fasen, de jouwe erbij', 'sectoren, de jouwe erbij')),
                          'match %s: one counted as many: %r' % (lang, what))
        path = os.path.join(h.dir, 'desc-%s.json' % lang)
        with open(path, 'w') as fh:
            json.dump(prof, fh)
        cli = a.json('match', '--profile', path)
        check(all(o.get('description') == desc[o['id']][lang]
                  for i in cli['items'] for o in i['offers']), 'gilde match --json: no descriptions')
    check(any(k.startswith('made for 1 ') for k in seen) and
          any(k.startswith('gemaakt voor') and not k.startswith('gemaakt voor 1 ') for k in seen),
          'the counts of one and of more were not both met: %r' % sorted(seen))


def offers_in_pages(w):
    """/api/v1/offers a page at a time: the pages, read on by their
    cursors, are the whole list in its order, each offer once."""
    whole = w.json('/api/v1/offers')
    check(not whole['more'] and 'next' not in whole and len(whole['offers']) > 20,
          'the sample fits one page of the default 200: %r' % {k: v for k, v in whole.items()
                                                               if k != 'offers'})
    place = [(o.get('partner', ''), o['id'], o['author']) for o in whole['offers']]
    check(place == sorted(place), 'the list is not in the order of partner, id, author')
    got, after, pages = [], None, 0
    while pages < 100:
        page = w.json('/api/v1/offers?limit=7' + ('&after=' + urllib.parse.quote(after) if after else ''))
        pages += 1
        check(len(page['offers']) <= 7, 'a page of %d offers for limit=7' % len(page['offers']))
        got += [(o.get('partner', ''), o['id'], o['author']) for o in page['offers']]
        if not page['more']:
            check('next' not in page, 'the last page names a next one')
            break
        check(len(page['offers']) == 7, 'a page before the last holds %d' % len(page['offers']))
        after = page['next']
        check(after == '%s/%s/%s' % got[-1], 'next %r is not the last offer listed %r' % (after, got[-1]))
    check(got == place and pages == (len(place) + 6) // 7,
          'in pages of 7: %d offers in %d pages, the whole list %d' % (len(got), pages, len(place)))
    # a cursor of an offer that is not there still places: the offers after it
    mid = place[len(place) // 2]
    rest = w.json('/api/v1/offers?after=' + urllib.parse.quote('%s/%s~/%s' % mid))['offers']
    check([(o.get('partner', ''), o['id'], o['author']) for o in rest] == place[len(place) // 2 + 1:],
          'after a place between two offers')
    for bad in ('limit=0', 'limit=1001', 'limit=x', 'after=nothing', 'after=a/b/c/d', 'after=a//c'):
        w.error('/api/v1/offers?' + bad, 400, bad.split('=')[0])


def partners_in_pages(w):
    """/api/v1/partners a page at a time, as the offers: the pages are the
    whole list in its order, each partner once, with the same counts."""
    whole = w.json('/api/v1/partners')
    check(not whole['more'] and 'next' not in whole, 'the sample fits one page of 500')
    got, after, pages = [], None, 0
    while pages < 100:
        page = w.json('/api/v1/partners?limit=5' + ('&after=' + urllib.parse.quote(after) if after else ''))
        pages += 1
        got += page['partners']
        if not page['more']:
            check('next' not in page, 'the last partner page names a next one')
            break
        check(len(page['partners']) == 5, 'a partner page before the last holds %d' % len(page['partners']))
        after = page['next']
        check(after == '%s/%s' % (got[-1]['id'], got[-1]['author']), 'partners: next %r' % after)
    check(got == whole['partners'] and pages == (len(got) + 4) // 5,
          'partners in pages of 5: %d in %d pages, the whole list %d' % (len(got), pages,
                                                                         len(whole['partners'])))
    for bad in ('limit=0', 'limit=1001', 'after=nothing', 'after=a/b/c'):
        w.error('/api/v1/partners?' + bad, 400, bad.split('=')[0])


def main():
    check(os.path.isfile(os.path.join(WEB_ROOT, 'index.html')),
          WEB_ROOT + '/index.html is missing')
    with Harness('web-api') as h:
        a = h.node('a', args=['--config', web_config(h, 'a', 'rate = 100000\nburst = 100000\n'
                                                        'desk = stad-gent\n'),
                              '--log-level', 'debug'])
        w = start_web(a)
        # [web] desk names a record not published yet: the log says so
        log = open(a.log_path).read()
        check('web-desk-missing desk=stad-gent' in log, 'no word of the missing desk in the log:\n' + log[-2000:])
        a.gilde('publish', *SAMPLE)
        key = a.json('id')['key']

        # taxonomy: x-terms verbatim
        check(w.json('/api/v1/taxonomy') == TAXONOMY['x-terms'], 'taxonomy differs from x-terms')

        # partners, with their offer counts, and a page at a time
        partners = w.json('/api/v1/partners')['partners']
        partners_in_pages(w)
        want = sorted(p['id'] for p in ghent_records('partner'))
        check([p['id'] for p in partners] == want,
              'partners: %s, expected %s' % ([p['id'] for p in partners], want))
        offers_of = {}
        for o in ghent_records('offer'):
            if live(o):
                offers_of[o['partner']] = offers_of.get(o['partner'], 0) + 1
        for p in partners:
            check(p['author'] == key and p['kind'] == 'partner' and p['name']['nl'],
                  'partner record: %r' % p)
            check(p['offers'] == offers_of.get(p['id'], 0),
                  'partner %s: %d offers, expected %d' % (p['id'], p['offers'],
                                                         offers_of.get(p['id'], 0)))

        # one partner's page
        one = w.json('/api/v1/partners/%s/stad-gent' % key)
        check(one['partner']['id'] == 'stad-gent', 'partner page: %r' % one['partner'])
        want = sorted(o['id'] for o in ghent_records('offer')
                      if o['partner'] == 'stad-gent' and live(o))
        check(sorted(o['id'] for o in one['offers']) == want,
              'stad-gent offers %s, expected %s' % ([o['id'] for o in one['offers']], want))
        check(all(e['partner'] == 'stad-gent' for e in one['events'] + one['news']),
              'partner page lists another partner\'s events or news')
        w.error('/api/v1/partners/%s/no-such-partner' % key, 404)
        w.error('/api/v1/partners/not-a-key/stad-gent', 404)

        # offers and their filters, against the sample computed here
        def expect(flt):
            out = []
            for o in ghent_records('offer'):
                el = o.get('eligibility', {})
                if not live(o):
                    continue
                if 'phase' in flt and 'phases' in el and flt['phase'] not in el['phases']:
                    continue
                if 'sector' in flt and 'sectors' in el and flt['sector'] not in el['sectors']:
                    continue
                if 'need' in flt and not any(within(n, flt['need']) for n in o['needs']):
                    continue
                if 'lang' in flt and flt['lang'] not in o['languages']:
                    continue
                out.append(o['id'])
            return sorted(out)
        for flt in ({}, {'need': 'financing'}, {'phase': 'idea'}, {'sector': 'biotech'},
                    {'lang': 'en', 'need': 'location'}):
            q = '&'.join('%s=%s' % kv for kv in flt.items())
            got = sorted(o['id'] for o in w.json('/api/v1/offers?' + q)['offers'])
            check(got == expect(flt), 'offers?%s: %s, expected %s' % (q, got, expect(flt)))
            check(got, 'offers?%s: none (the sample has some)' % q)
        offers_in_pages(w)

        # events, search, news, match, gaps: the same answers as gilde gives
        # (occurrences: a recurring event once for each, told apart by recurrence_id)
        ev = w.json('/api/v1/events?from=2026-01-01&limit=500')['events']
        cli = a.json('events', '--from', '2026-01-01')
        occ = lambda e: (e['author'], e['id'], e.get('recurrence_id'), e['start'])  # noqa: E731
        check([occ(e) for e in ev] == [occ(e) for e in cli], 'events differ from gilde events')
        check(len(ev) >= 10, 'only %d events' % len(ev))
        ev2 = w.json('/api/v1/events?from=2026-01-01&sector=biotech&limit=2')['events']
        cli2 = a.json('events', '--from', '2026-01-01', '--sector', 'biotech')[:2]
        check([e['id'] for e in ev2] == [e['id'] for e in cli2], 'events?sector&limit differ')

        hits = w.json('/api/v1/search?q=financieringen&limit=50')
        cli = a.json('search', 'financieringen')
        check([x['record']['id'] for x in hits['hits']] == [x['id'] for x in cli][:50],
              'search differs from gilde search: %s vs %s'
              % ([x['record']['id'] for x in hits['hits']], [x['id'] for x in cli]))
        check(hits['hits'], 'search found nothing')
        kinds = {x['record']['kind'] for x in w.json('/api/v1/search?q=gent&kind=event')['hits']}
        check(kinds == {'event'}, 'search kind=event gave %s' % kinds)

        news = w.json('/api/v1/news?limit=3')['news']
        cli = a.json('news', '--limit', '3')
        check([n['id'] for n in news] == [n['id'] for n in cli], 'news differ from gilde news')
        check(len(news) == 3, '%d news, limit 3' % len(news))
        pub = [n['published'] for n in w.json('/api/v1/news')['news']]
        check(len(pub) == len(ghent_records('news')) and pub == sorted(pub, reverse=True),
              'news: %d, newest first?, expected %d' % (len(pub), len(ghent_records('news'))))

        check(w.json('/api/v1/gaps') == a.json('gaps'), 'gaps differ from gilde gaps')
        check(w.json('/api/v1/gaps?by=sector') == a.json('gaps', '--by-sector'),
              'gaps?by=sector differ from gilde gaps --by-sector')

        desk_names = [p for p in ghent_records('partner') if p['id'] == 'stad-gent'][0]['name']
        for prof in sorted(glob.glob(os.path.join(SOURCE, 'contrib', 'ghent', 'profiles', '*.json'))):
            body = open(prof, 'rb').read()
            got = w.json('/api/v1/match', method='POST', body=body,
                         headers={'Content-Type': 'application/json'})
            want = a.json('match', '--profile', prof)
            # [web] desk: the partner to ask, named in the answer's language
            lang = json.loads(body).get('lang', 'en')
            desk = got.pop('desk', None)
            check(desk == {'author': key, 'id': 'stad-gent', 'name': desk_names[lang]},
                  'match %s: desk %r, not stad-gent in %s' % (os.path.basename(prof), desk, lang))
            check(got == want, 'match %s: the API and gilde match differ' % os.path.basename(prof))
            check(any(i['offers'] for i in got['items']), 'match %s: no offers at all' % prof)
            owner = {(o['id']): o.get('partner') for o in ghent_records('offer')}
            for item in got['items']:
                for o in item['offers']:
                    check(o['partner_id'] == owner[o['id']] and o['partner'],
                          'match: offer %s has partner_id %r, expected %r'
                          % (o['id'], o['partner_id'], owner[o['id']]))
        got = w.json('/api/v1/match?per_item=1', method='POST',
                     body=json.dumps({'phase': 'start', 'needs': ['financing', 'location']}),
                     headers={'Content-Type': 'application/json; charset=utf-8'})
        check([i['need'] for i in got['items']] == ['financing', 'location'],
              'match items %r' % [i['need'] for i in got['items']])
        check(all(len(i['offers']) <= 1 for i in got['items']), 'per_item=1 not applied')
        match_personas(h, w, a)
        match_descriptions(h, w, a)

        # feeds
        hd, ics = w.get('/events.ics?from=2026-01-01&lang=nl')
        check(hd['content-type'].startswith('text/calendar'), 'events.ics: %s' % hd['content-type'])
        text = ics.decode()
        series = {(e['author'], e['id']) for e in ev}  # one VEVENT an event, rule and all
        check(text.startswith('BEGIN:VCALENDAR\r\n') and text.count('BEGIN:VEVENT') == len(series),
              'events.ics: %d VEVENTs, %d events' % (text.count('BEGIN:VEVENT'), len(series)))
        one_event_ics(w, key, ev, text)
        hd, atom = w.get('/news.atom?lang=nl')
        check(hd['content-type'].startswith('application/atom+xml'), 'news.atom: %s'
              % hd['content-type'])
        root = ET.fromstring(atom)
        ns = '{http://www.w3.org/2005/Atom}'
        check(root.tag == ns + 'feed' and len(root.findall(ns + 'entry')) == len(pub),
              'news.atom: %d entries, %d news' % (len(root.findall(ns + 'entry')), len(pub)))
        # rel="self", relative: right behind a proxy, whatever its host and path
        check([l.get('href') for l in root.findall(ns + 'link') if l.get('rel') == 'self'] ==
              ['news.atom?lang=nl'], 'news.atom: rel="self" %r' %
              [l.attrib for l in root.findall(ns + 'link')])

        # bad requests
        w.error('/api/v1/offers?phase=later', 400, 'phase')
        msg = w.error('/api/v1/offers?colour=red', 400, 'colour')
        check('need' in msg, 'unknown parameter message does not list the known ones: ' + msg)
        w.error('/api/v1/offers?need=financing&need=location', 400, 'need')
        w.error('/api/v1/offers?lang=fr', 400, 'lang')
        w.error('/api/v1/offers?partner=nobody', 400, 'partner')
        w.error('/api/v1/events?from=yesterday', 400, 'from')
        w.error('/api/v1/events?limit=0', 400, 'limit')
        w.error('/api/v1/events?limit=9999', 400, 'limit')
        w.error('/api/v1/search', 400, 'q')
        w.error('/api/v1/search?q=x&kind=node', 400, 'kind')
        w.error('/api/v1/search?q=%ff%fe', 400, 'q')
        w.error('/api/v1/news?limit=-1', 400, 'limit')
        w.error('/api/v1/gaps?by=colour', 400, 'by')
        w.error('/api/v1/taxonomy?x=1', 400, 'x')
        w.error('/api/v1/nothing', 404)
        # bytes that are not UTF-8, or a NUL, in a name, a value or a path: 400/404 in JSON
        w.error('/api/v1/offers?%C3=1', 400)
        w.error('/api/v1/offers?phase=start%00junk', 400, 'phase')
        w.error('/api/v1/offers?phase=' + 'a' * 63 + '%C3%A9', 400, 'phase')
        w.error('/api/v1/partners/%FF/x', 404)
        w.error('/api/v1/partners/%s/%%FF' % key, 404)
        w.error('/api/v1/events?limit=+5', 400, 'limit')
        w.error('/api/v1/events?from=2027-02-01&to=2027-01-01', 400, 'to')
        w.error('/api/v1/search?q=' + '+'.join(['woord%d' % i for i in range(40)]), 400, 'q')
        w.error('/api/v1/match', 400, method='POST',
                body=json.dumps({'phase': 'start', 'needs': ['talent'], '\u00e9' * 100: 1}),
                headers={'Content-Type': 'application/json'})
        st, _, _ = w.raw('PUT', '/api/v1/offers', body=b'x')
        check(st == 405, 'PUT /api/v1/offers: %d, expected 405' % st)
        st, _, _ = w.raw('DELETE', '/no/such/thing')
        check(st == 404, 'DELETE /no/such/thing: %d, expected 404' % st)
        st, hd, _ = w.raw('POST', '/api/v1/offers', body=b'{}',
                          headers={'Content-Type': 'application/json'})
        check(st == 405 and 'GET' in hd.get('allow', ''), 'POST /api/v1/offers: %d %r' % (st, hd))
        st, hd, _ = w.raw('GET', '/api/v1/match')
        check(st == 405 and hd.get('allow') == 'POST', 'GET /api/v1/match: %d %r' % (st, hd))
        w.error('/api/v1/match', 415, method='POST', body=b'{}', headers={'Content-Type': 'text/plain'})
        w.error('/api/v1/match', 400, method='POST', body=b'{"phase":',
                headers={'Content-Type': 'application/json'})
        msg = w.error('/api/v1/match', 400, method='POST',
                      body=json.dumps({'phase': 'later', 'needs': ['financing']}),
                      headers={'Content-Type': 'application/json'})
        check('/phase' in msg, 'a bad profile\'s message does not name /phase: ' + msg)
        w.error('/api/v1/match', 413, method='POST', body=b' ' * (17 << 10),
                headers={'Content-Type': 'application/json'})
        # a chunked body (no Content-Length) is cut off at the limit too
        with socket.create_connection((w.host, w.port), timeout=30) as s:
            s.sendall(b'POST /api/v1/match HTTP/1.1\r\nHost: x\r\nContent-Type: application/json'
                      b'\r\nTransfer-Encoding: chunked\r\n\r\n')
            try:
                for _ in range(20):
                    s.sendall(b'400\r\n' + b' ' * 1024 + b'\r\n')
            except OSError:
                pass  # the server may close once it has answered
            answer = b''
            while b'\r\n' not in answer:
                part = s.recv(4096)
                if not part:
                    break
                answer += part
            # libmicrohttpd cannot answer in the middle of a body: closed, no answer
            check(answer == b'' or answer.startswith(b'HTTP/1.1 413'),
                  'a 20 KiB chunked body: %r' % answer[:60])
        st, _, _ = w.raw('GET', '/api/v1/taxonomy', headers={'X-Big': 'x' * (40 << 10)})
        check(st == 431, 'a 40 KiB header: %d, expected 431' % st)

        # files: the page, and nothing outside the web root
        hd, page = w.get('/')
        check(hd['content-type'].startswith('text/html') and b'<html' in page.lower(),
              '/: %s' % hd['content-type'])
        check("default-src 'self'" in hd.get('content-security-policy', '') and
              hd.get('x-content-type-options') == 'nosniff', '/: security headers %r' % hd)
        check(w.get('/index.html')[1] == page, '/index.html differs from /')
        for path in ('/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/.hidden', '/a/b/c.html',
                     '/index.html.bak', '/etc/passwd', '/meson.build'):
            st, _, data = w.raw('GET', path)
            check(st == 404 and b'root:' not in data, '%s: %d' % (path, st))
        st, hd, data = w.raw('HEAD', '/api/v1/taxonomy')
        check(st == 200 and not data, 'HEAD: %d, %d bytes' % (st, len(data)))

        # nothing was written to the store by any of this
        live_now = a.json('status')['live']
        check(live_now == len(SAMPLE) + 1, 'the store holds %d records, expected %d'
              % (live_now, len(SAMPLE) + 1))

        # the profile is neither logged nor stored
        marker = {'phase': 'restart', 'needs': ['talent', 'legal-ip'], 'company_age': 77,
                  'area': 'belgie', 'activity': 'freelance', 'international': True}
        body = json.dumps(marker, separators=(',', ':'))
        w.json('/api/v1/match', method='POST', body=body,
               headers={'Content-Type': 'application/json'})
        w.error('/api/v1/match', 400, method='POST',
                body=json.dumps({'phase': 'zqxj-secret-phase', 'needs': ['talent']}),
                headers={'Content-Type': 'application/json'})
        status = a.json('status')
        check(status['daemon']['web']['requests'] >= 60, 'web requests counted: %r'
              % status['daemon']['web'])
        doc = json.loads(a.gilde('doctor', '--json', check_rc=False).stdout)
        web_checks = [c for c in doc['checks'] if c['check'] == 'web']
        check(web_checks and web_checks[0]['result'] == 'ok' and
              'answers' in web_checks[0]['detail'], 'gilde doctor on the web server: %r'
              % web_checks)
        metrics = a.gilde('metrics').stdout
        check('gilde_web_requests_total{class="client_error"}' in metrics and
              'gilde_web_rate_limited_total 0' in metrics,
              'gilde metrics lacks the web counters:\n' + metrics)
        a.stop()
        needles = [body.encode(), b'zqxj-secret-phase', b'"company_age":77', b'company_age=77']
        seen = []
        for dirpath, _, files in os.walk(h.dir):
            for f in files:
                path = os.path.join(dirpath, f)
                try:
                    data = open(path, 'rb').read()
                except OSError:
                    continue
                for n in needles:
                    if n in data:
                        seen.append('%s holds %r' % (path, n))
        check(not seen, 'the posted profile was kept: ' + '; '.join(seen))
        log = open(a.log_path, 'rb').read()
        check(b'web-request' in log, 'the debug log shows no web requests: is it the right log?')

        # the rate limit: burst 3, then 429 with Retry-After
        b = h.node('b', args=['--config', web_config(h, 'b', 'rate = 1\nburst = 3\n')])
        wb = start_web(b)
        codes = []
        for _ in range(6):
            st, hd, _ = wb.raw('GET', '/api/v1/taxonomy')
            codes.append(st)
            if st == 429:
                check(hd.get('retry-after', '').isdigit(), '429 without Retry-After: %r' % hd)
        check(codes[:3] == [200] * 3 and 429 in codes[3:], 'rate limit: codes %s' % codes)
        check(b.json('status')['daemon']['web']['rate_limited'] >= 1, 'rate_limited not counted')
        # without behind_proxy, X-Forwarded-For buys nothing: still this address's bucket
        for _ in range(10):  # empty the bucket again (it refills at 1/s)
            if wb.raw('GET', '/api/v1/taxonomy')[0] == 429:
                break
        st, _, _ = wb.raw('GET', '/api/v1/taxonomy', headers={'X-Forwarded-For': '203.0.113.7'})
        check(st == 429, 'X-Forwarded-For honoured without behind_proxy: %d' % st)

        # behind_proxy: a local proxy's requests count under the last X-Forwarded-For
        p = h.node('p', args=['--config', web_config(h, 'p', 'rate = 1\nburst = 2\n'
                                                    'behind_proxy = true\n')])
        wp = start_web(p)

        def via(*chain):
            st, _, _ = wp.raw('GET', '/api/v1/taxonomy',
                              headers={'X-Forwarded-For': ', '.join(chain)})
            return st
        codes = [via('203.0.113.1') for _ in range(3)]
        check(codes[:2] == [200, 200] and codes[2] == 429, 'visitor 1: %s' % codes)
        # another visitor has a bucket of its own, whatever it claims before the proxy's entry
        check(via('203.0.113.1', '203.0.113.2') == 200, 'visitor 2 was limited with visitor 1')
        check(via('2001:db8::1') == 200 and via('2001:db8::2') == 200 and
              via('2001:db8::3') == 429, 'an IPv6 /64 is one visitor')
        # no header: the proxy's own address, a bucket of its own
        check(wp.raw('GET', '/api/v1/taxonomy')[0] == 200, 'a request without the header')

        # links inside the web root are not followed, a FIFO does not block a thread
        root = os.path.join(h.dir, 'webroot')
        shutil.copytree(WEB_ROOT, root)
        secret = os.path.join(h.dir, 'secret')
        os.makedirs(secret)
        with open(os.path.join(secret, 'key.txt'), 'w') as f:
            f.write('not for the web\n')
        os.symlink(secret, os.path.join(root, 'sub'))
        os.symlink(os.path.join(secret, 'key.txt'), os.path.join(root, 'key.txt'))
        os.mkfifo(os.path.join(root, 'pipe.txt'))
        e = h.node('e', args=['--config', web_config(h, 'e', 'rate = 0\n', root)])
        we = start_web(e)
        for path in ('/sub/key.txt', '/key.txt'):
            st, _, data = we.raw('GET', path)
            check(st == 404 and b'not for the web' not in data, '%s through a link: %d' % (path, st))
        st, _, _ = we.raw('GET', '/pipe.txt')
        check(st == 404, '/pipe.txt (a FIFO): %d' % st)
        check(we.get('/index.html')[1], 'the copied root serves no index.html')
        for _ in range(30):  # rate = 0: no limit
            we.json('/api/v1/taxonomy')

        # a node without [web] serves nothing and says so
        c = h.node('c')
        c.start()
        check('web' not in c.json('status')['daemon'], 'web shown without [web] listen')
        with socket.socket() as s:
            s.bind(('127.0.0.1', 0))
            port = s.getsockname()[1]
        bad = h.write_config('bad', '[web]\nlisten = 127.0.0.1:%d\n' % port)
        with socket.socket() as s:
            s.bind(('127.0.0.1', port))
            s.listen()
            d = h.node('d', args=['--config', bad])
            p = d.start(expect_fail=True)
            log = open(d.log_path).read()
            check('[web] listen' in log, 'a taken web port: the error does not name [web] listen:\n'
                  + log)
        print('web api: ok (%d records, %d partners, %d events, %d news)'
              % (len(SAMPLE), len(partners), len(ev), len(pub)))


if __name__ == '__main__':
    run(main)
