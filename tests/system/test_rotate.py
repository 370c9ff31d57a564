#!/usr/bin/env python3
"""gilde rotate-key: the partner's records are listed once, under the new
key, on every node, and stay so after a restart.

1. A node on its own (no curator): status, match, search, events and news
   count each record once after the rotation, and after a restart.
2. Two open nodes: the old key's records are retracted on the other node
   too (tombstones signed by the old key), so it lists the new copies only.
3. A curated federation: the rotating node deletes the old copies at once
   and refuses them when a peer offers them again; the other nodes keep
   the old copies (the new key is not endorsed yet) and move to the new
   ones when the curator endorses it with --replaces."""
import collections
import os
import time

from harness import Harness, check, examples, run, wait_until

DIRECTORY = ('partner', 'offer', 'event', 'news')
PROFILE = os.path.join(os.path.dirname(examples()[0]), 'profile-student-webshop.json')


def directory(node, author=None):
    """(kind, id) -> authors, for the live directory records a node lists."""
    seen = collections.defaultdict(list)
    args = ['--author', author] if author else []
    for r in node.json('list', *args):
        if r['kind'] in DIRECTORY:
            seen[(r['kind'], r['id'])].append(r['author'])
    return seen


def once(node, what):
    """Every query a person uses lists each record once."""
    st = node.json('status')
    counts = {k: st['records'][k] for k in DIRECTORY}
    for (kind, rid), authors in directory(node).items():
        check(len(authors) == 1, '%s: %s/%s listed %d times (%s)' % (what, kind, rid, len(authors),
                                                                   authors))
    for q in ('starters', 'gent'):
        c = collections.Counter((h['kind'], h['id']) for h in node.json('search', q))
        check(all(v == 1 for v in c.values()), '%s: search %s doubles %r' % (what, q, c))
    # a recurring event is listed once per occurrence: count occurrences
    c = collections.Counter((e['id'], e.get('recurrence_id'))
                            for e in node.json('events', '--from', '2026-01-01'))
    check(all(v == 1 for v in c.values()), '%s: events double %r' % (what, c))
    c = collections.Counter(n['id'] for n in node.json('news'))
    check(all(v == 1 for v in c.values()), '%s: news double %r' % (what, c))
    res = node.json('match', '--profile', PROFILE, '--per-item', '0')
    for item in res['items']:
        c = collections.Counter(o['id'] for o in item['offers'])
        check(all(v == 1 for v in c.values()), '%s: match doubles %r' % (what, c))
    return counts


def main():
    files = examples()
    with Harness('rotate') as h:
        # 1. on its own
        a = h.node('a')
        a.start()
        a.json('publish', *files)
        before = once(a, 'before')
        check(sum(before.values()) == len(files), 'published %r' % before)
        rot = a.json('rotate-key')
        check(rot['resigned'] == len(files) and rot['retired'] == len(files) + 1 and
              not rot['curated'], 'rotate: %r' % rot)
        check(once(a, 'after the rotation') == before, 'counts changed: %r' % a.json('status'))
        check(all(authors == [rot['new']] for authors in directory(a).values()),
              'records by the old key are listed')
        a.stop()
        a.start()
        check(once(a, 'after a restart') == before, 'counts changed after a restart')

        # 2. two open nodes: the other node drops the old copies too
        conf, _ = h.federation_config('open')
        p = h.node('p', ['--config', conf])
        p.start()
        o = h.node('o', ['--config', conf, '--peer', p.addr])
        o.start()
        p.json('publish', *files)
        old = p.key
        wait_until(lambda: len(directory(o, old)) == len(files), 30, 'o to hold p\'s records')
        rot = p.json('rotate-key')
        new = rot['new']
        wait_until(lambda: len(directory(o, new)) == len(files) and not directory(o, old), 30,
                   'o to list p\'s records under the new key only')
        once(o, 'the other open node')

    with Harness('rotate-curated') as h:
        # 3. curated: the other nodes move when the curator endorses the new key
        city = h.node('city')
        city_key = city.first_key()
        curated, _ = h.federation_config('curated', federation='curator = %s\n' % city_key)
        city.args = ['--config', curated]
        city.start()
        q = h.node('q', ['--config', curated, '--peer', city.addr])
        q.start()
        x = h.node('x', ['--config', curated, '--peer', city.addr])
        x.start()
        old = q.key
        city.gilde('endorse', old, '--name', 'Partner Q')
        q.json('publish', *files)
        wait_until(lambda: len(directory(x, old)) == len(files), 30, 'x to hold q\'s records')
        rot = q.json('rotate-key')
        new = rot['new']
        check(rot['curated'] and rot['retired'] >= len(files), 'rotate: %r' % rot)
        once(q, 'the rotating node')
        check(not directory(q, old), 'q still lists records of its old key')
        # the city still holds the old copies and reconciles with q: they stay out
        time.sleep(2.5)  # a reconciliation round (recon_interval = 2s)
        check(not directory(q, old), 'a peer brought the old key\'s records back to q')
        check(len(directory(x, old)) == len(files) and not directory(x, new),
              'x should keep the old copies until the curator acts')
        city.gilde('endorse', new, '--name', 'Partner Q', '--replaces', old)
        for n in (city, x, q):
            wait_until(lambda n=n: len(directory(n, new)) == len(files) and not directory(n, old),
                       30, 'the listing to move to the new key on %s' % n.name)
            once(n, n.name + ' after the endorsement')
        q.stop()
        q.start()
        check(not directory(q, old) and len(directory(q, new)) == len(files),
              'q after a restart')
    print('rotate: ok')


if __name__ == '__main__':
    run(main)
