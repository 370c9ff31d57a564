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

Then (--federation K, default 30) K daemons on loopback in a random graph
(each dials 1 to 3 earlier ones), RECORDS records spread from one of them,
20 records published one at a time at random nodes, and a reconciliation
round at rest: the per-node-per-record counters of `gilde peers` and the
v2 session at d=0 (bytes both ways, messages), printed under gilde-sim's
--loopback figures for the same K (GILDE_SIM: its path).  The simulator
holds 10,000 records; the daemons fewer (v2 at d=0 does not depend on it).

usage: bench_recon_daemons.py [N D] [--federation K] [--records R]
       (default 5000 50, K 30, R 1000)
"""
import json
import os
import random
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


def counters(nodes):
    keys = ('records_in', 'duplicates_in', 'have_in', 'have_out', 'want_in', 'want_out')
    tot = dict.fromkeys(keys, 0)
    for x in nodes:
        for c in x.json('peers')['connections']:
            for k in keys:
                tot[k] += c[k]
    return tot


def news_doc(h, i):
    src = json.load(open(os.path.join(os.environ.get('GILDE_SOURCE_ROOT', '.'), 'schemas',
                                      'examples', 'news-gilde-eerste-versie.json')))
    src['id'] = 'recon-bench-%d' % i
    path = os.path.join(h.dir, 'news-%d.json' % i)
    json.dump(src, open(path, 'w'))
    return path


def news_count(x):
    return x.json('status')['records'].get('news', 0)


def federation(k, records, rng):
    sim = os.environ.get('GILDE_SIM')
    if sim:
        p = subprocess.run([sim, '--loopback', '--version', '2', '--dedup', '--nodes', str(k)],
                           capture_output=True, text=True, timeout=1800)
        print('gilde-sim --loopback --version 2 --dedup --nodes %d:' % k)
        for line in p.stdout.splitlines():
            if any(w in line for w in ('records_in', 'reconciliation ', 'copies', 'everywhere')):
                print('  sim:    ' + line.strip())
    with Harness('bench-recon-fed') as h:
        conf, _ = h.federation_config('fed', extra='dial = 0\nmax_per_ip = 64\n',
                                      recon_interval='10s')
        nodes = []
        for i in range(k):
            peers = []
            for j in sorted(rng.sample(range(i), min(i, rng.randint(1, 3)))):
                peers += ['--peer', nodes[j].addr]
            x = h.node('n%d' % i, ['--config', conf] + peers)
            x.start(timeout=60)
            nodes.append(x)
        nodes[0].gilde('import', mkexport(h, 'fed-common', records))
        wait_until(lambda: all(news_count(x) >= records for x in nodes), 600,
                   'the records to reach every daemon')
        time.sleep(2)
        base = counters(nodes)
        for i in range(20):
            origin = rng.choice(nodes)
            origin.gilde('publish', news_doc(h, i))
            wait_until(lambda: all(news_count(x) >= records + i + 1 for x in nodes), 60,
                       'record %d everywhere' % i)
        time.sleep(1)
        now = counters(nodes)
        per = {key: (now[key] - base[key]) / (20.0 * k) for key in now}
        # a round of reconciliations at rest: every dialled link's last one
        time.sleep(12)
        sessions = [c for x in nodes for c in x.json('peers')['connections']
                    if c['direction'] == 'out' and c['reconciliations'] >= 1]
        v2 = [c for c in sessions if c['last_recon_version'] == 3]  # coded symbols (v3)
        print('%d daemons on loopback, %d records, v2 sessions at rest %d of %d links:' % (
            k, records + 20, len(v2), len(sessions)))
        print('  gilded: per node per record: records_in %.3f  duplicates_in %.3f  have_in %.2f  '
              'have_out %.2f  want_in %.3f  want_out %.3f' % tuple(
                  per[key] for key in ('records_in', 'duplicates_in', 'have_in', 'have_out',
                                       'want_in', 'want_out')))
        if v2:
            print('  gilded: %.1f B a session both ways, %.2f messages a session (v2, d=0), '
                  'fallbacks %d' % (sum(c['last_recon_bytes'] for c in v2) / len(v2),
                                    sum(c['last_recon_rounds'] for c in v2) / len(v2),
                                    sum(c['coded_fallbacks'] for c in v2)))


def main():
    args = sys.argv[1:]
    k, records = 30, 1000
    if '--federation' in args:
        i = args.index('--federation')
        k = int(args[i + 1])
        del args[i:i + 2]
    if '--records' in args:
        i = args.index('--records')
        records = int(args[i + 1])
        del args[i:i + 2]
    n, d = (int(args[0]), int(args[1])) if len(args) == 2 else (5000, 50)
    with Harness('bench-recon-daemons') as h:
        if n == 0:
            federation(k, records, random.Random(23))
            return
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
                c['coded_fallbacks']))
            sys.stdout.flush()
    if k:
        federation(k, records, random.Random(23))


if __name__ == '__main__':
    main()
