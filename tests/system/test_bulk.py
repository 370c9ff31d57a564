#!/usr/bin/env python3
"""Bulk sync: a node joining empty, or holding a few records of its own,
gets thousands from a peer that streams them from its store (a span,
recon.h), not from a list of every item built in memory; and the peer gets
the joiner's few records back in the same reconciliation.

N is past STORE_SETTLE_DUE (16384): the serving node holds some items
settled and the rest fresh (store.h), and every node reads both as one."""
import os
import subprocess

from harness import Harness, check, run, wait_until

ATTACK = os.environ.get('ATTACK', 'attack')
N = 20000     # well past RECON_GIVE_LISTED (1024): a span; past STORE_SETTLE_DUE
OWN = 10      # at most RECON_LIST_MAX: the joiner's first message lists them
EXTRA = 3     # a run far below STORE_SETTLE_RUNS and STORE_SETTLE_DUE


def news(node):
    return node.json('status')['records']['news']


def spans_to(node, key):
    return sum(p['spans_out'] for p in node.json('peers')['connections'] if p['key'] == key)


def main():
    with Harness('bulk') as h:
        big = os.path.join(h.dir, 'big.gilde')
        few = os.path.join(h.dir, 'few.gilde')
        subprocess.run([ATTACK, 'mkexport', big, str(N), '5', 'shuffled'], check=True,
                       capture_output=True, timeout=300)
        subprocess.run([ATTACK, 'mkexport', few, str(OWN)], check=True, capture_output=True,
                       timeout=60)
        conf, _ = h.federation_config()
        a = h.node('a', ['--config', conf])
        a.start()
        check(a.json('import', big)['accepted'] == N, 'a: import')
        total = N
        st = a.json('status')['store']
        check(st['entries_fresh'] < st['entries_items'], 'a: nothing settled: %r' % st)
        if st['entries_fresh'] == 0:
            # the last group happened to settle everything (it was the
            # STORE_SETTLE_RUNS-th run, likelier on a slow build where groups
            # are small): one more small import is a run of its own, far below
            # both settle thresholds, so it stays fresh
            extra = os.path.join(h.dir, 'extra.gilde')
            subprocess.run([ATTACK, 'mkexport', extra, str(EXTRA)], check=True,
                           capture_output=True, timeout=60)
            check(a.json('import', extra)['accepted'] == EXTRA, 'a: import extra')
            total += EXTRA
            st = a.json('status')['store']
        check(0 < st['entries_fresh'] < st['entries_items'],
              'a: expected items both settled and fresh: %r' % st)

        # an empty node: everything in one span
        b = h.node('b', ['--config', conf, '--peer', a.addr])
        b.start()
        wait_until(lambda: news(b) >= total, 120, 'b to sync from a')
        check(news(b) == total, 'b holds %d news, a %d' % (news(b), total))
        check(spans_to(a, b.key) >= 1, 'a sent b no span: %r' % a.json('peers'))

        # a node with a few records of its own: it gets a span whose exclusions
        # are its own items, and a asks for those
        d = h.node('d', ['--config', conf, '--peer', a.addr])
        d.start()
        check(d.json('import', few)['accepted'] == OWN, 'd: import')
        wait_until(lambda: news(d) == total + OWN and news(a) == total + OWN, 120,
                   'a and d to exchange everything')
        check(spans_to(a, d.key) >= 1, 'a sent d no span')
        for n in (a, b, d):
            st = n.json('status')['store']
            check(st['entries_records'] == st['entries_items'] == st['entries_expiry'],
                  '%s: store invariants: %r' % (n.name, st))
        # the listings agree record for record (b gets d's few through a)
        wait_until(lambda: news(b) == total + OWN, 60, 'b to get d\'s records through a')
        check(a.listing() == b.listing(), 'a and b differ')
        print('bulk: %d records to an empty node and to one with %d of its own, in spans' %
              (N, OWN))


if __name__ == '__main__':
    run(main)
