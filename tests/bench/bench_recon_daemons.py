#!/usr/bin/env python3
"""Reconciliation between two real daemons (issue 23): two gilded hold n
common records and d/2 records of their own each; one dials the other and
the first reconciliation moves the difference.  Printed from the dialler's
own counters (`gilde peers`: the session's message bytes both ways, its
messages), for v2 (both nodes list it) and v1 (the dialler started with
GILDED_RECON_VERSIONS=1), beside the least any coded-symbol scheme sends:
one 37-byte symbol per differing record (PROTOCOL.md 6.7.2), as a ratio.
The records themselves are not counted (they move as RECORDS).

Round trips are messages / 2 (v2: START, ESTIMATE, SYMBOLS, END is 2).
gilde-sim and bench_recon print the same figures from the model
(PROTOCOL.md 6.7.6: 121 B and 2 round trips at 5,000 and 50).

usage: bench_recon_daemons.py [N D]   (default 5000 50)
"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'system'))
from harness import Harness, wait_until  # noqa: E402

ATTACK = os.environ.get('ATTACK', 'attack')
SYMBOL = 37


def mkexport(h, name, n):
    path = os.path.join(h.dir, name + '.gilde')
    subprocess.run([ATTACK, 'mkexport', path, str(n), '7', 'shuffled'], check=True,
                   capture_output=True, timeout=600)
    return path


def link(node, key):
    for c in node.json('peers')['connections']:
        if c['key'] == key and c['state'] == 'open':
            return c
    return None


def one(h, tag, n, d, common, v1):
    conf, _ = h.federation_config(tag, extra='dial = 0\n', recon_interval='300s')
    a = h.node(tag + '-a', ['--config', conf])
    b = h.node(tag + '-b', ['--config', conf], env={'GILDED_RECON_VERSIONS': '1'} if v1 else None)
    a.start()
    b.start()
    a.gilde('import', common)
    b.gilde('import', common)
    a.gilde('import', mkexport(h, tag + '-only-a', d // 2))
    b.gilde('import', mkexport(h, tag + '-only-b', d - d // 2))
    la, lb = set(a.listing()), set(b.listing())
    diff = len(la ^ lb)
    # records stored less than 10 s ago are left to push (PROTOCOL.md 6.4)
    time.sleep(11)
    b.stop()
    b.start(extra=['--peer', a.addr])
    h.converged([a, b], timeout=120, what='the two to converge')
    c = wait_until(lambda: (lambda x: x if x and x['reconciliations'] >= 1 else None)(
        link(b, a.key)), 60, 'the dialler to report its reconciliation')
    for x in (a, b):
        x.stop()
    return diff, c


def main():
    n, d = (int(sys.argv[1]), int(sys.argv[2])) if len(sys.argv) == 3 else (5000, 50)
    with Harness('bench-recon-daemons') as h:
        common = mkexport(h, 'common', n)
        print('reconciliation between two gilded on loopback, n=%d common records, d=%d '
              '(+ node records)' % (n, d))
        print('%-4s %6s %9s %12s %9s %8s %10s' % ('ver', 'diff', 'bytes', 'B per diff',
                                                   'messages', 'rt', 'vs 37 B'))
        for tag, v1 in (('v2', False), ('v1', True)):
            diff, c = one(h, tag, n, d, common, v1)
            per = c['last_recon_bytes'] / diff
            print('%-4s %6d %9d %12.1f %9d %8.1f %9.2fx   (version used: %d, fallbacks %d)' % (
                tag, diff, c['last_recon_bytes'], per, c['last_recon_rounds'],
                c['last_recon_rounds'] / 2, per / SYMBOL, c['last_recon_version'],
                c['v2_fallbacks']))
            sys.stdout.flush()


if __name__ == '__main__':
    main()
