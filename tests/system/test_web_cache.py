#!/usr/bin/env python3
"""Answers of POST /api/v1/match and GET /api/v1/search kept for the same
question ([web] answer_cache, daemon/web_cache.h):

  - the same profile, its fields in another order, gets the same bytes
    (the profile echoed as first asked: the same JSON object), counted as
    from the cache; another per_item is another answer;
  - an offer published since is in the next answer (an answer is never
    older than the store);
  - the same search again is answered from the cache, another limit is
    another answer, and an offer published since is found at once;
  - the map (GET /api/v1/map) likewise, by sector, and a partner
    published since is on it at once;
  - with answer_cache = 0 every answer is made afresh and none is counted.
"""
import json
import os
import urllib.parse
import urllib.request

from harness import SOURCE, Harness, check, run, wait_until

PROFILE = {'phase': 'start', 'needs': ['administration', 'financing'], 'sectors': ['digital'],
           'lang': 'en'}
REORDERED = dict(reversed(list(PROFILE.items())))


def offer(h, oid, needs, partner_id=None):
    path = os.path.join(h.dir, oid + '.json')
    d = {'kind': 'offer', 'id': oid, 'name': {'nl': oid, 'en': oid},
         'description': {'nl': 'Testaanbod ' + oid, 'en': 'Test offer ' + oid},
         'url': 'https://example.org/' + oid, 'needs': needs, 'languages': ['nl', 'en']}
    if partner_id:
        d['partner'] = partner_id
    json.dump(d, open(path, 'w'))
    return path


def partner(h, pid):
    path = os.path.join(h.dir, pid + '.json')
    json.dump({'kind': 'partner', 'id': pid, 'name': {'nl': pid, 'en': pid},
               'description': {'nl': 'x', 'en': 'x'}, 'url': 'https://example.org/',
               'org_type': 'other'}, open(path, 'w'))
    return path


def get(base, path):
    with urllib.request.urlopen(base + path, timeout=30) as r:
        check(r.status == 200, '%s answered %d' % (path, r.status))
        return r.read()


def post(base, profile, query=''):
    req = urllib.request.Request(base + '/api/v1/match' + query, data=json.dumps(profile).encode(),
                                 headers={'Content-Type': 'application/json'})
    with urllib.request.urlopen(req, timeout=30) as r:
        check(r.status == 200, 'match answered %d' % r.status)
        return r.read()


def search(base, q, limit=20):
    url = '%s/api/v1/search?%s' % (base, urllib.parse.urlencode({'q': q, 'limit': limit}))
    with urllib.request.urlopen(url, timeout=30) as r:
        check(r.status == 200, 'search answered %d' % r.status)
        return r.read()


def hit_ids(answer):
    return {h['record']['id'] for h in json.loads(answer)['hits']}


def counts(n):
    web = n.json('status')['daemon']['web']
    return web['answers_cached'], web['answers_computed']


def offer_ids(answer):
    return {o['id'] for it in json.loads(answer)['items'] for o in it['offers'] + it['later']}


def node(h, name, extra=''):
    conf = h.write_config(name, '[federation]\nopen = true\n[web]\nlisten = 127.0.0.1:0\n'
                          'root = %s\n%s' % (os.path.join(SOURCE, 'daemon', 'web'), extra))
    n = h.node(name, ['--config', conf])
    n.start()
    n.json('publish', offer(h, 'first-money', ['financing']), offer(h, 'more-money', ['financing']),
           offer(h, 'desk', ['administration']))
    packed(n)
    return n, 'http://' + n.json('status')['daemon']['web']['listen']


def packed(n):
    """Wait for the node to pack the offers' facts (daemon/writer.c, pack()): that
    commit, like any, makes the answers kept before it be made again once,
    and the counts below would depend on when it comes."""
    wait_until(lambda: n.json('status')['store']['facts_packed'], 40,
               n.name + ' to pack the offers\' facts')


def main():
    with Harness('web-cache') as h:
        a, base = node(h, 'cached')
        one = post(base, PROFILE)
        check(counts(a) == (0, 1), 'first answer: cached, computed = %r' % (counts(a),))
        two = post(base, REORDERED)
        check(two == one, 'the same profile reordered got another answer')
        check(counts(a) == (1, 1), 'second answer: cached, computed = %r' % (counts(a),))
        short = post(base, PROFILE, '?per_item=1')
        check(short != one and counts(a) == (1, 2),
              'per_item=1 answered from the cache: %r' % (counts(a),))
        a.json('publish', offer(h, 'new-money', ['financing']))
        packed(a)
        three = post(base, PROFILE)
        check('new-money' in offer_ids(three) and 'new-money' not in offer_ids(one),
              'an offer published since is not in the answer: %s' % sorted(offer_ids(three)))
        check(counts(a) == (1, 3), 'after a publish: cached, computed = %r' % (counts(a),))
        four = post(base, PROFILE)
        check(four == three and counts(a) == (2, 3), 'the new answer was not kept: %r'
              % (counts(a),))
        print('answer cache: the same profile from the cache (%d bytes), a publish seen at once'
              % len(one))

        s1 = search(base, 'money')
        s2 = search(base, 'money')
        check(s2 == s1 and counts(a) == (3, 4), 'search asked again: %r' % (counts(a),))
        search(base, 'money', 1)
        check(counts(a) == (3, 5), 'search with another limit from the cache: %r'
              % (counts(a),))
        a.json('publish', offer(h, 'money-later', ['financing']))
        s3 = search(base, 'money')
        check('money-later' in hit_ids(s3) and 'money-later' not in hit_ids(s1),
              'an offer published since is not found: %s' % sorted(hit_ids(s3)))
        print('answer cache: a search again from the cache, a publish found at once')

        # the map is the same for every visitor: kept while the store is as it was
        m1 = get(base, '/api/v1/map')
        m2 = get(base, '/api/v1/map')
        check(m2 == m1 and counts(a) == (4, 7), 'map asked again: %r' % (counts(a),))
        get(base, '/api/v1/map?sector=digital')
        check(counts(a) == (4, 8), 'map of a sector from the cache: %r' % (counts(a),))
        a.json('publish', partner(h, 'newcomer'), offer(h, 'newcomer-desk', ['administration'],
                                                         'newcomer'))
        m3 = json.loads(get(base, '/api/v1/map'))
        check([p['id'] for p in m3['partners']] == ['newcomer'] and
              not json.loads(m1)['partners'], 'a partner published since is not on the map: %r'
              % m3['partners'])
        print('answer cache: the map again from the cache, a publish on it at once')

        b, base_b = node(h, 'uncached', 'answer_cache = 0\n')
        x, y = post(base_b, PROFILE), post(base_b, REORDERED)
        same = json.loads(x) == json.loads(y)
        check(same and counts(b) == (0, 0), 'answer_cache = 0: the same %s, counts %r'
              % (same, counts(b)))
        check(offer_ids(x) == offer_ids(one), 'with and without the cache the offers differ')
    print('web-cache: ok')


if __name__ == '__main__':
    run(main)
