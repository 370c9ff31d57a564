#!/usr/bin/env python3
"""Benchmark of the performance issue: ingest at the speed of signature
verification, on every core.  In one run:

  - raw crypto_sign_verify_detached per second, one core and all cores
    (bench_verify): the physical limit;
  - `gilde import` of N records into a fresh node (whole command);
  - a fresh node syncing the same N records from a peer over loopback
    (from its start until it holds them all);
  - each as records per second and as a ratio to the all-core raw rate;
  - the daemons' peak resident set (VmHWM) and anonymous memory, with N
    records held;
  - the longest time `gilde status` waited for an answer during the sync.

usage: bench_ingest.py [N]   (default 100000)
"""
import json
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'system'))
from harness import Harness, wait_until  # noqa: E402

ATTACK = os.environ['ATTACK']
VERIFY = os.environ['BENCH_VERIFY']


def memory(pid):
    out = {}
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            k, _, v = line.partition(':')
            if k in ('VmHWM', 'VmRSS', 'RssAnon'):
                out[k] = int(v.split()[0])
    return out


def count(node, author):
    return node.json('status')['records']['news']


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
    raw = json.loads(subprocess.run([VERIFY, '3'], capture_output=True, text=True, check=True).stdout)
    with Harness('bench-ingest') as h:
        exp = os.path.join(h.dir, 'n.gilde')
        gen = json.loads(subprocess.run([ATTACK, 'mkexport', exp, str(n)], capture_output=True,
                                        text=True, check=True, timeout=600).stdout)
        conf, _ = h.federation_config()
        a = h.node('a', ['--config', conf])
        a.start()
        t0 = time.monotonic()
        res = a.json('import', exp)
        t_import = time.monotonic() - t0
        assert res['accepted'] == n, res
        mem_a = memory(a.proc.pid)

        b = h.node('b', ['--config', conf, '--peer', a.addr])
        worst = [0.0]
        stop = threading.Event()

        def probe():
            while not stop.is_set():
                t1 = time.monotonic()
                b.gilde('status', '--json', check_rc=False)
                worst[0] = max(worst[0], time.monotonic() - t1)
                time.sleep(0.2)

        t0 = time.monotonic()
        b.start()
        th = threading.Thread(target=probe)
        th.start()
        wait_until(lambda: count(b, gen['author']) >= n, 600, 'b to sync')
        t_sync = time.monotonic() - t0
        stop.set()
        th.join()
        mem_b = memory(b.proc.pid)
        allc = raw['verify_per_s_all_cores']
        print('raw Ed25519 verify: %.0f/s on one core, %.0f/s on all %d cores' %
              (raw['verify_per_s_one_core'], allc, raw['cores']))
        for what, t in (('gilde import of %d records' % n, t_import),
                        ('fresh node syncing %d records over loopback' % n, t_sync)):
            r = n / t
            print('%-46s %7.1f s  %8.0f records/s  %.2f x the all-core verify rate' % (what, t, r, r / allc))
        print('daemon memory with %d records held: importer peak %d MiB (anonymous now %d MiB), '
              'syncing node peak %d MiB (anonymous now %d MiB)' %
              (n, mem_a['VmHWM'] // 1024, mem_a['RssAnon'] // 1024, mem_b['VmHWM'] // 1024,
               mem_b['RssAnon'] // 1024))
        print('longest wait for `gilde status` during the sync: %.2f s' % worst[0])


if __name__ == '__main__':
    main()
