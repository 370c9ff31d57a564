#!/usr/bin/env python3
"""Issue 26 end to end, with real daemons driven by the real gilde and HTTP
(harness.py): a city node with [insight] on (k = 5, a release every
second, publish on, 7 days' retention) and a partner node federated with
it, [web] on and [insight] off.

- the partner node answers 404 to the progress endpoints, keeps no
  DATA/insight, and `gilde plan insight on` against it refuses;
- before any event, `gilde gaps` on the city says it has no figures from
  starters and counts offers only;
- six starters of one kind (five over the API, one through `gilde plan
  insight on` and the plan verbs) and two of another: the release shows
  the first kind's figures, never the second's (fewer than k), and every
  count is at least k;
- the release gossips as `insight` records: `gilde insight` on the
  partner node shows the figures;
- `gilde gaps` on the city weighs by demand and says so;
- what the node keeps holds no address, no user agent, no token and no
  time but the week (the API's answer, the LMDB file's bytes, the log);
- withdrawing (DELETE with the token; `gilde plan insight withdraw`)
  deletes what was sent, and the release shown does not move by one
  starter;
- bad events: 413, 415, 400 for a field the schema does not name, 429
  past the burst;
- expiry, with an injected clock (GILDE_FAKE_NOW, as sys-time): 30 days
  on, the events are gone, and so are the figures on both nodes."""
import base64
import datetime
import glob
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request

from harness import GHENT, Harness, TestFailure, check, run, wait_until

K = 5
SEVEN = 7  # starters of one kind: six over the API, one through gilde plan
DAY = 86400
AGENT = 'gilde-sys-insight-agent/7.3'
FORWARDED = '203.0.113.77'
WEB = '[web]\nlisten = 127.0.0.1:0\nrate = 100000\nburst = 100000\n'
# a release a day: the node releases 200 ms after it starts, then daily, so
# a restart is when this test's releases happen (a figure shown changes
# only by k or more: a release amid the sending would fix a partial count)
CITY = WEB + ('[insight]\nenabled = true\nk = %d\nrelease = 1d\npublish = true\n'
              'retention = 7d\nrate = 1\nburst = 100\n' % K)
PROFILE = {'phase': 'prestart', 'sectors': ['retail'], 'activity': 'shop', 'lang': 'en'}
BUCKET = {'phase': 'prestart', 'sector': 'retail', 'activity': 'shop'}
SMALL = {'phase': 'growth', 'sector': 'biotech'}
EVENT_FIELDS = {'week', 'bucket', 'step', 'need', 'partner'}
COUNTS = ('starters', 'listed', 'chosen', 'done', 'dropped', 'nofit', 'unmet')


def new_token():
    return base64.urlsafe_b64encode(os.urandom(16)).rstrip(b'=').decode()


def week_of(secs):
    y, w, _ = datetime.datetime.fromtimestamp(secs, datetime.timezone.utc).isocalendar()
    return '%04d-W%02d' % (y, w)


def http(origin, method, path, body=None, headers=None, raw=None):
    """(status, JSON answer) of one request; body is sent as JSON, raw as is."""
    data = raw if raw is not None else json.dumps(body).encode() if body is not None else None
    hdrs = {'Content-Type': 'application/json', 'User-Agent': AGENT,
            'X-Forwarded-For': FORWARDED}
    hdrs.update(headers or {})
    req = urllib.request.Request(origin + path, data=data, headers=hdrs, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


def origin_of(node):
    return 'http://' + node.json('status')['daemon']['web']['listen']


def insight_status(node):
    """gilde status's "insight" of the daemon: collecting, events, releases, published."""
    return node.json('status')['daemon'].get('insight')


def all_counts(obj):
    """Every starter count anywhere in a release or an insight record."""
    out = []
    if isinstance(obj, dict):
        for key, v in obj.items():
            if key in COUNTS and isinstance(v, int):
                out.append(v)
            else:
                out += all_counts(v)
    elif isinstance(obj, list):
        for v in obj:
            out += all_counts(v)
    return out


def need_row(bucket, need):
    rows = [r for r in bucket.get('needs', []) if r['need'] == need]
    return rows[0] if rows else {}


def releases(node, source):
    """The node's releases from source ('this node' or a key) with buckets."""
    return [r for r in node.json('insight')['releases'] if r['from'] == source and r['buckets']]


def kind_bucket(rel):
    """The bucket of the seven starters (prestart, retail, shop), or None."""
    found = [b for b in rel['buckets'] if b.get('phase') == 'prestart' and
             b.get('sector') == 'retail' and b.get('activity') == 'shop']
    return found[0] if found else None


def from_checks(origin, porigin, city, rel):
    """GET /api/v1/insight carries one release's buckets and says how many
    it left out ("more"); ?from= picks another listed release."""
    ids = sorted(b['id'] for b in rel['buckets'])
    status, api = http(origin, 'GET', '/api/v1/insight?from=' + urllib.parse.quote('this node'))
    check(status == 200 and api['releases'][0]['from'] == 'this node' and
          sorted(b['id'] for b in api['releases'][0]['buckets']) == ids and
          api['releases'][0]['more'] == 0, 'GET ?from=this node: %r' % api)
    for path in ('/api/v1/insight', '/api/v1/insight?from=' + urllib.parse.quote(city.key)):
        status, api = http(porigin, 'GET', path)
        got = api['releases'][0] if status == 200 and api['releases'] else {}
        check(got.get('from') == city.key and got.get('more') == 0 and
              sorted(b['id'] for b in got['buckets']) == ids, 'partner GET %s: %r' % (path, api))
    for bad in ('this node', 'ed25519:nobody', city.key + 'x'):
        status, api = http(porigin, 'GET', '/api/v1/insight?from=' + urllib.parse.quote(bad))
        check(status == 404, 'partner GET ?from=%s: %d %r' % (bad, status, api))
    status, api = http(porigin, 'GET', '/api/v1/insight?bucket=x')
    check(status == 400, 'GET ?bucket=: %d %r' % (status, api))


def partner_off(h, partner, porigin):
    """[insight] off: 404 everywhere, nothing kept, gilde plan refuses."""
    tok = new_token()
    ev = {'token': tok, 'week': week_of(time.time()), 'bucket': BUCKET, 'step': 'listed',
          'need': 'administration'}
    for method, body, hdrs in (('POST', ev, None), ('GET', None, {'Insight-Token': tok}),
                               ('DELETE', None, {'Insight-Token': tok})):
        status, ans = http(porigin, method, '/api/v1/insight/events', body, hdrs)
        check(status == 404, '%s to a node with [insight] off: %d %r' % (method, status, ans))
    status, ans = http(porigin, 'GET', '/api/v1/insight')
    check(status == 200 and ans['collecting'] is False, 'GET /api/v1/insight, off: %r' % ans)
    check(not os.path.exists(os.path.join(partner.data, 'insight')),
          'a node with [insight] off made DATA/insight')
    check(insight_status(partner) is None, 'status shows insight on a node without it')
    prof = os.path.join(h.dir, 'profile.json')
    with open(prof, 'w') as f:
        json.dump(PROFILE, f)
    plan = os.path.join(h.dir, 'partner-plan.json')
    partner.gilde('plan', 'init', '--profile', prof, '--plan', plan)
    p = partner.gilde('plan', 'insight', 'on', '--plan', plan, check_rc=False)
    check(p.returncode == 1 and 'collects no anonymous steps' in p.stderr,
          'gilde plan insight on against a node with [insight] off: %d %s%s'
          % (p.returncode, p.stdout, p.stderr))
    with open(plan) as f:
        check('token' not in json.load(f).get('insight', {}), 'a token made without a node')


def plan_starter(h, city):
    """The seventh starter, through gilde plan: its plan file's path, the two
    needs and the partner it chose."""
    prof = os.path.join(h.dir, 'profile.json')
    plan = os.path.join(h.dir, 'city-plan.json')

    def gp(*args, rc=0):
        p = city.gilde('plan', *args, '--plan', plan, check_rc=False)
        check(p.returncode == rc, 'gilde plan %s: %d, expected %d\n%s%s'
              % (' '.join(args), p.returncode, rc, p.stdout, p.stderr))
        return p

    gp('init', '--profile', prof)
    gp('nofit', '1', rc=1)  # no consent yet: nothing goes
    check(insight_status(city)['events'] == 0, 'an event went before consent')
    gp('insight', 'on')
    with open(plan) as f:
        doc = json.load(f)
    items = doc['items']
    check(len(items) >= 2 and doc['insight']['consent'] is True, 'the plan: %r' % doc)
    listed = insight_status(city)['events']
    check(listed == len(items), '%d steps listed, %d events kept' % (len(items), listed))
    first, second = items[0]['need'], items[1]['need']
    check(items[1]['offers'], 'no offer for %s to choose' % second)
    out = gp('nofit', first).stdout
    check('no offer here fits you' in out, 'nofit said: %r' % out)
    gp('choose', second, '1')
    gp('done', second)
    with open(plan) as f:
        chosen = [i for i in json.load(f)['items'] if i['need'] == second][0]['chosen']
    sent = json.loads(gp('insight', 'sent', '--json').stdout)
    steps = sorted((e['step'], e['need']) for e in sent)
    check(('nofit', first) in steps and ('chosen', second) in steps and ('done', second) in steps
          and len(sent) == len(items) + 3, 'gilde plan insight sent: %r' % sent)
    text = gp('insight', 'sent').stdout
    check('The node holds %d steps' % len(sent) in text, 'insight sent says: %r' % text)
    return plan, first, second, chosen


def api_starters(origin, first, second, partner):
    """Six starters of the plan's kind and two of a kind too small to show."""
    week = week_of(time.time())
    tokens = [new_token() for _ in range(SEVEN - 1)]
    for i, tok in enumerate(tokens):
        base = {'token': tok, 'week': week, 'bucket': BUCKET}
        evs = [dict(base, step='listed', need=first), dict(base, step='listed', need=second),
               dict(base, step='chosen', need=second, partner=partner),
               dict(base, step='done', need=second)]
        if i < K - 1:
            evs.append(dict(base, step='nofit', need=first))
        if i < 2:  # a figure of two starters, in a bucket that is shown
            evs.append(dict(base, step='dropped', need=second))
        for ev in evs:
            status, ans = http(origin, 'POST', '/api/v1/insight/events', ev)
            check(status == 200 and ans == {'stored': True}, 'POST %r: %d %r' % (ev, status, ans))
        # the same event again is not kept twice
        status, ans = http(origin, 'POST', '/api/v1/insight/events', evs[0])
        check(status == 200 and ans == {'stored': False}, 'a repeated event: %d %r' % (status, ans))
    small = [new_token() for _ in range(2)]
    for tok in small:
        for step in ('listed', 'nofit'):
            status, ans = http(origin, 'POST', '/api/v1/insight/events',
                               {'token': tok, 'week': week, 'bucket': SMALL, 'step': step,
                                'need': 'talent'})
            check(status == 200, 'POST of a small kind: %d %r' % (status, ans))
    return tokens, small


def bad_events(origin, tok, first):
    week = week_of(time.time())
    ev = {'token': tok, 'week': week, 'bucket': BUCKET, 'step': 'listed', 'need': first}
    status, _ = http(origin, 'POST', '/api/v1/insight/events', dict(ev, ip='127.0.0.1'))
    check(status == 400, 'an event with a field the schema does not name: %d' % status)
    status, _ = http(origin, 'POST', '/api/v1/insight/events', dict(ev, week='2001-W01'))
    check(status == 400, 'an event of another year: %d' % status)
    status, _ = http(origin, 'POST', '/api/v1/insight/events', dict(ev, need='x' * 2000))
    check(status == 413, 'an event over 1024 bytes: %d' % status)
    status, _ = http(origin, 'POST', '/api/v1/insight/events', ev,
                     {'Content-Type': 'text/plain'})
    check(status == 415, 'an event not sent as JSON: %d' % status)
    status, _ = http(origin, 'GET', '/api/v1/insight/events')
    check(status == 400, 'GET without the token header: %d' % status)
    status, _ = http(origin, 'DELETE', '/api/v1/insight/events', None, {'Insight-Token': 'short'})
    check(status == 400, 'DELETE with a token that is not one: %d' % status)


def release_now(city):
    """Restart the city node, which releases 200 ms after it starts; the
    release made."""
    city.stop()
    city.start()
    wait_until(lambda: insight_status(city)['releases'] >= 1, 30, 'a release')
    rels = [r for r in city.json('insight')['releases'] if r['from'] == 'this node']
    check(len(rels) == 1, 'the city\'s own release: %r' % rels)
    return rels[0]


def check_release(rel, first, second, chosen):
    b = kind_bucket(rel)
    check(b is not None, 'no bucket for the seven starters: %r' % rel)
    check(b['starters'] == SEVEN, 'starters: %r' % b)
    check(need_row(b, first).get('listed') == SEVEN and need_row(b, first).get('nofit') == K and
          need_row(b, first).get('unmet') == K, 'the funnel of %s: %r' % (first, need_row(b, first)))
    check(need_row(b, second).get('chosen') == SEVEN and need_row(b, second).get('done') == SEVEN and
          'nofit' not in need_row(b, second) and 'dropped' not in need_row(b, second),
          'the funnel of %s: %r' % (second, need_row(b, second)))
    rows = [p for p in b.get('partners', []) if p['need'] == second]
    check(len(rows) == 1 and rows[0]['author'] == chosen['author'] and
          rows[0].get('partner') == chosen.get('partner_id') and rows[0]['starters'] == SEVEN,
          'partners chosen for %s: %r (chosen %r)' % (second, rows, chosen))
    # the two of another kind: in no bucket, in no figure
    check(not [x for x in rel['buckets'] if x.get('phase') == 'growth' or x['level'] == 0],
          'a bucket of fewer than k starters: %r' % rel['buckets'])
    check(not [r for x in rel['buckets'] for r in x.get('needs', []) if r['need'] == 'talent'],
          'a figure of two starters (talent) is shown: %r' % rel)
    counts = all_counts(rel['buckets'])
    check(counts and min(counts) >= K, 'a count below k: %r' % sorted(counts))


def nothing_identifying(city, origin, tokens, first):
    week = week_of(time.time())
    for tok in tokens:
        status, ans = http(origin, 'GET', '/api/v1/insight/events', None, {'Insight-Token': tok})
        check(status == 200 and len(ans['events']) in (4, 5, 6), 'sent: %d %r' % (status, ans))
        for ev in ans['events']:
            check(set(ev) <= EVENT_FIELDS and ev['week'] == week,
                  'a kept event holds more than it should: %r' % ev)
    blob = b''.join(open(f, 'rb').read() for f in glob.glob(os.path.join(city.data, 'insight', '*')))
    check(first.encode() in blob, 'DATA/insight does not hold the events')
    for what in [AGENT, FORWARDED, '127.0.0.1'] + tokens:
        check(what.encode() not in blob, 'DATA/insight holds %r' % what)
    with open(city.log_path, errors='replace') as f:
        log = f.read()
    for tok in tokens:
        check(tok not in log, 'the log holds a token')


def withdraw(city, origin, plan, tokens, shown):
    """DELETE with the token and gilde plan insight withdraw delete what was
    sent; one starter less does not move what the release shows."""
    before = insight_status(city)
    status, ans = http(origin, 'DELETE', '/api/v1/insight/events', None,
                       {'Insight-Token': tokens[-1]})
    check(status == 200 and ans == {'withdrawn': 4}, 'DELETE: %d %r' % (status, ans))
    status, ans = http(origin, 'GET', '/api/v1/insight/events', None, {'Insight-Token': tokens[-1]})
    check(status == 200 and ans['events'] == [], 'after DELETE: %r' % ans)
    with open(plan) as f:
        ptok = json.load(f)['insight']['token']
    out = city.gilde('plan', 'insight', 'withdraw', '--plan', plan).stdout
    check('Withdrawn: the node deleted the' in out, 'withdraw said: %r' % out)
    status, ans = http(origin, 'GET', '/api/v1/insight/events', None, {'Insight-Token': ptok})
    check(status == 200 and ans['events'] == [], 'the plan\'s events after withdraw: %r' % ans)
    out = city.gilde('plan', 'insight', 'sent', '--plan', plan).stdout
    check('nothing was sent' in out, 'gilde plan insight sent after withdraw: %r' % out)
    check(city.json('plan', 'insight', 'sent', '--plan', plan) == [], 'sent --json not empty')
    after = insight_status(city)
    check(after['events'] < before['events'] - 4, 'events kept: %r, then %r' % (before, after))
    # a release made after the withdrawals shows the same figures
    now = release_now(city)
    check(now['release'] == shown['release'] and now['buckets'] == shown['buckets'],
          'withdrawing two starters moved the release:\n%r\n%r' % (shown, now))


def past_burst(origin):
    """[insight] rate 1, burst 100: one event sent over and over is soon
    429, with Retry-After."""
    ev = {'token': new_token(), 'week': week_of(time.time()), 'bucket': SMALL, 'step': 'listed',
          'need': 'talent'}
    data = json.dumps(ev).encode()
    for _ in range(300):
        req = urllib.request.Request(origin + '/api/v1/insight/events', data=data, method='POST',
                                     headers={'Content-Type': 'application/json'})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                check(r.status == 200, 'POST: %d' % r.status)
        except urllib.error.HTTPError as e:
            check(e.code == 429 and e.headers.get('Retry-After'), 'past the burst: %d %r'
                  % (e.code, dict(e.headers)))
            return
    raise TestFailure('300 events in a row and never a 429')


def expiry(h, city, partner, now):
    """30 days on (retention 7 days) the events and the figures are gone."""
    later = {'GILDE_FAKE_NOW': str(now + 30 * DAY)}
    partner.stop()
    city.stop()
    city.env = partner.env = later
    city.start()
    partner.start()
    wait_until(lambda: insight_status(city)['events'] == 0, 30,
               'the events to expire')
    wait_until(lambda: not releases(city, 'this node'), 30, 'the city\'s figures to go')
    wait_until(lambda: not releases(partner, city.key), 60,
               'the city\'s insight records to be retracted on the partner node')
    check(partner.gilde('insight').stdout.startswith('No figures from starters here'),
          'gilde insight on the partner node after expiry')


def main():
    with Harness('insight') as h:
        now = int(time.time())
        conf, netkey = h.federation_config('city', extra=CITY)
        city = h.node('city', ['--config', conf])
        city.start()
        city.gilde('publish', *GHENT)
        pconf, _ = h.federation_config('partner', network_key=netkey, extra=WEB)
        partner = h.node('partner', ['--config', pconf, '--peer', city.addr])
        partner.start()
        origin, porigin = origin_of(city), origin_of(partner)
        wait_until(lambda: len(partner.json('list', '--kind', 'partner')) ==
                   len(city.json('list', '--kind', 'partner')), 60, 'the directory to gossip')

        # -- before anything is sent: no figures, gaps count offers only --------
        gaps = city.gilde('gaps').stdout
        check('No figures from starters here (gilde insight): the gaps count offers only.' in gaps,
              'gilde gaps without insight data:\n' + gaps)
        check('demand' not in city.json('gaps'), 'gaps --json weighs by demand without data')
        partner_off(h, partner, porigin)

        # -- the starters ----------------------------------------------------------
        plan, first, second, chosen = plan_starter(h, city)
        partner_key = {'author': chosen['author']}
        if chosen.get('partner_id'):
            partner_key['id'] = chosen['partner_id']
        tokens, small = api_starters(origin, first, second, partner_key)
        bad_events(origin, tokens[0], first)

        # -- the release, on the city and as records on the partner node ------------
        rel = release_now(city)
        origin = origin_of(city)  # [web] listen port 0: a new port after the restart
        check(rel['k'] == K and rel['week'] == week_of(time.time()), 'release: %r' % rel)
        check_release(rel, first, second, chosen)
        status, api = http(origin, 'GET', '/api/v1/insight')
        check(status == 200 and api['collecting'] is True and
              api['releases'][0]['buckets'] == rel['buckets'], 'GET /api/v1/insight: %r' % api)
        pub = wait_until(lambda: releases(partner, city.key), 60,
                         'the insight records to reach the partner node')[0]
        check(pub['k'] == K and sorted(b['id'] for b in pub['buckets']) ==
              sorted(b['id'] for b in rel['buckets']), 'published: %r\nreleased: %r' % (pub, rel))
        check_release(pub, first, second, chosen)
        from_checks(origin, porigin, city, rel)
        recs = partner.json('list', '--kind', 'insight')
        check(recs and all(r['author'] == city.key for r in recs), 'insight records: %r' % recs)
        text = partner.gilde('insight').stdout
        check('Published by' in text and ': %d starters' % SEVEN in text and 'at least %d' % K in text,
              'gilde insight on the partner node:\n' + text)
        nl = partner.gilde('insight', '--lang', 'nl').stdout
        check('Gepubliceerd door' in nl and ': %d starters' % SEVEN in nl and 'Published' not in nl
              and 'Every figure' not in nl and 'partners chosen' not in nl,
              'gilde insight --lang nl is not Dutch throughout:\n' + nl)

        # -- gaps by demand ------------------------------------------------------------
        gaps = city.gilde('gaps').stdout
        check('Where starters found nothing, most first' in gaps and
              'the gaps count offers only' not in gaps, 'gilde gaps by demand:\n' + gaps)
        doc = city.json('gaps')
        check(doc['demand']['k'] == K and doc['demand']['starters'] == SEVEN, 'demand: %r' % doc['demand'])
        check(doc['unmet'] and doc['unmet'][0]['need'] == first and doc['unmet'][0]['unmet'] == K
              and doc['unmet'][0]['phase'] == 'prestart', 'unmet: %r' % doc['unmet'][:3])
        pgaps = partner.json('gaps')  # the partner weighs by the records it received
        check(pgaps['demand']['from'] == city.key and pgaps['unmet'] == doc['unmet'],
              'gaps on the partner node: %r' % pgaps.get('demand'))
        status, api = http(origin, 'GET', '/api/v1/gaps')
        check(status == 200 and api['unmet'] == doc['unmet'], 'GET /api/v1/gaps: %r' % api.get('unmet'))

        nothing_identifying(city, origin, tokens, first)
        withdraw(city, origin, plan, tokens, rel)

        past_burst(origin_of(city))

        expiry(h, city, partner, now)
    print('insight: ok')


if __name__ == '__main__':
    run(main)
