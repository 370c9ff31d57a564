#!/usr/bin/env python3
"""Bulk sync: a node joining empty, or holding a few records of its own,
gets thousands from a peer that streams them from its store (a span,
recon.h), not from a list of every item built in memory; and the peer gets
the joiner's few records back in the same reconciliation.

A peer's records are taken in by batches (a frame each), and reading from
it stops while 8 batches or 3 MiB of them are being checked and stored
(conn.h): records with text, about 1 MiB a frame, stop it at the bytes.

N is past STORE_SETTLE_DUE (16384): the serving node holds some items
settled and the rest fresh (store.h), and every node reads both as one."""
import os
import subprocess

from harness import Harness, check, run, wait_until

ATTACK = os.environ.get('ATTACK', 'attack')
N = 20000     # well past RECON_GIVE_LISTED (1024): a span; past STORE_SETTLE_DUE
TEXTS = 30000 # records with text: about 30 frames of 1 MiB
INGEST_BYTES = 3 << 20  # CONN_INGEST_BYTES
FRAME_MAX = 1 << 20
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

        # records with text: a node taking them in holds at most 3 MiB of a
        # peer's records, and one frame more, in batches at a time
        texts = os.path.join(h.dir, 'texts.gilde')
        subprocess.run([ATTACK, 'mkexport', texts, str(TEXTS), '10', 'ordered', 'text'],
                       check=True, capture_output=True, timeout=300)
        x = h.node('x', ['--config', conf])
        x.start()
        check(x.json('import', texts)['accepted'] == TEXTS, 'x: import texts')
        y = h.node('y', ['--config', conf, '--peer', x.addr])
        y.start()
        seen = []

        def sample():
            for p in y.json('peers')['connections']:
                if p['key'] == x.key:
                    seen.append((p['batches_in_flight'], p['bytes_in_flight']))
            return news(y) >= TEXTS
        wait_until(sample, 300, 'y to sync the texts from x', interval=0.02)
        most = max(b for _, b in seen)
        check(all(n <= 8 for n, _ in seen), 'more than 8 batches in flight: %r' % seen)
        check(most <= INGEST_BYTES + FRAME_MAX, 'in flight %d bytes, over the bound' % most)
        # the control: the bound was reached, so the check above could fail
        check(most >= INGEST_BYTES, 'in flight at most %d bytes: the bound was never reached '
              'in %d samples' % (most, len(seen)))
        print('texts: at most %d batches, %.1f MiB in flight (%d samples)' %
              (max(n for n, _ in seen), most / 1048576.0, len(seen)))


if __name__ == '__main__':
    run(main)
