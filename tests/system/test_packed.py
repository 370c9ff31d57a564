#!/usr/bin/env python3
"""The offers' facts packed into one value (store/derived.h,
daemon/writer.c, pack()): a node packs them once its writer is idle and says so
in `gilde status`; a publish leaves the copy behind the table, and
`gilde match` then reads the table (the new offer is matched at once);
the node packs again, and the match reads the same from the copy."""
import json
import os
import time

from harness import Harness, check, run, wait_until

PROFILE = ('--phase', 'start', '--need', 'coaching', '--need', 'legal')


def offer(h, oid, needs):
    d = {'kind': 'offer', 'id': oid, 'name': {'nl': oid, 'en': oid},
         'description': {'nl': 'Testaanbod ' + oid, 'en': 'Test offer ' + oid},
         'url': 'https://example.org/' + oid, 'needs': needs, 'languages': ['nl', 'en']}
    path = os.path.join(h.dir, oid + '.json')
    with open(path, 'w') as f:
        json.dump(d, f)
    return path


def matched(node):
    res = node.json('match', *PROFILE)
    return sorted(o['id'] for item in res['items'] for o in item['offers'])


def packed(node):
    return node.json('status')['store']['facts_packed']


def main():
    with Harness('packed') as h:
        a = h.node('a')
        a.start()
        a.gilde('publish', offer(h, 'desk', ['coaching']), offer(h, 'lawyer', ['legal']))
        wait_until(lambda: packed(a), 20, 'the node to pack the offers\' facts')
        seen = time.monotonic()
        check(matched(a) == ['desk', 'lawyer'], 'from the copy: %r' % matched(a))
        a.gilde('publish', offer(h, 'mentor', ['coaching']))
        # the node packs at most once in 10 s (writer.h): the copy is behind
        if time.monotonic() - seen < 5:
            check(not packed(a), 'the copy is said in step right after a publish')
        check(matched(a) == ['desk', 'lawyer', 'mentor'],
              'the new offer, read from the table: %r' % matched(a))
        wait_until(lambda: packed(a), 40, 'the node to pack the facts again')
        check(matched(a) == ['desk', 'lawyer', 'mentor'], 'from the new copy: %r' % matched(a))
        a.gilde('retract', 'offer/desk')
        check(matched(a) == ['lawyer', 'mentor'], 'a retracted offer is gone at once: %r'
              % matched(a))
        a.stop()
        # a node that starts on a packed store reads it as it is
        a.start()
        wait_until(lambda: packed(a), 40, 'the restarted node to pack')
        check(matched(a) == ['lawyer', 'mentor'], 'after a restart: %r' % matched(a))


if __name__ == '__main__':
    run(main)
