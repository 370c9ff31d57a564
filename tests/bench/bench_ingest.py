#!/usr/bin/env python3
"""Benchmark of the performance issue: ingest at the speed of signature
verification, on every core.  In one run:

  - raw crypto_sign_verify_detached per second, one core and all cores
    (bench_verify): the physical limit, verifying distinct signatures as
    ingest does (and, beside it, one signature over and over);
  - `gilde import` of N records (by N/1000 authors) into a fresh node, the
    whole command: once from a file in shuffled order, once from the file
    `gilde export` writes (in key order, the usual case);
  - a fresh node syncing the same N records from a peer over loopback
    (from its start until it stored the last of them, by its own clock);
  - each as records per second and as a ratio to the all-core raw rate;
  - the daemons' peak resident set (VmHWM) and anonymous memory, with N
    records held;
  - the longest time `gilde status` and `gilde peers` waited for an answer
    during the sync, and the serving node's memory before and after it.

usage: bench_ingest.py [N]   (default 100000)
"""
import json
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'system'))
from harness import Harness, memory, wait_until  # noqa: E402

ATTACK = os.environ['ATTACK']
VERIFY = os.environ['BENCH_VERIFY']


def count(node):
    return node.json('status')['records']['news']


def raw_rate():
    return json.loads(subprocess.run([VERIFY, '2'], capture_output=True, text=True, check=True).stdout)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
    authors = max(1, n // 1000)
    # the raw rate of this machine drifts (other tenants): it is measured
    # before and after each phase, and each ratio uses the mean of its own two
    raws = [raw_rate()]
    phases = []
    with Harness('bench-ingest') as h:
        shuffled = os.path.join(h.dir, 'shuffled.gilde')
        exported = os.path.join(h.dir, 'exported.gilde')
        subprocess.run([ATTACK, 'mkexport', shuffled, str(n), str(authors), 'shuffled'], capture_output=True,
                       text=True, check=True, timeout=600)
        # the default recon_interval (60s), not the tests' 2s: a reconciliation
        # is a pass over every item on both nodes, and at 2s the two nodes
        # would make three or four such passes more during the sync
        conf, _ = h.federation_config(recon_interval='60s')

        def timed_import(node, path, what, accepted):
            """One import phase: its time, the raw rate after it, the node's memory."""
            t0 = time.monotonic()
            res = node.json('import', path)
            phases.append((what, time.monotonic() - t0))
            raws.append(raw_rate())
            assert res['accepted'] == accepted, res
            return memory(node.proc.pid)

        # 1. records in no useful order (as gathered from many sources)
        a = h.node('a', ['--config', conf])
        a.start()
        mem_a = timed_import(a, shuffled, 'gilde import, %d records in shuffled order' % n, n)

        # 2. the common case: a file written by `gilde export` (key order)
        a.gilde('export', exported)
        # the export holds a's node record: c must not dial a and fetch what
        # it is importing (nor, in a network of its own, get 127.0.0.1 banned)
        conf_c, _ = h.federation_config('fed-c', extra='dial = 0\n', recon_interval='60s')
        c = h.node('c', ['--config', conf_c])
        c.start()
        # and a's node record
        mem_c = timed_import(c, exported, 'gilde import of a gilde export, %d records' % n, n + 1)
        c.stop()

        # 3. a fresh node syncing everything from a peer
        b = h.node('b', ['--config', conf, '--peer', a.addr])
        # the loop answers during the sync: both commands ask the daemon
        worst = {'status': 0.0, 'peers': 0.0}
        stop = threading.Event()
        serving_before = memory(a.proc.pid)

        def probe():
            while not stop.is_set():
                for cmd in worst:
                    t1 = time.monotonic()
                    b.gilde(cmd, '--json', check_rc=False)
                    worst[cmd] = max(worst[cmd], time.monotonic() - t1)
                    # each probe is a process start on the 2 cores being measured
                    time.sleep(0.5)

        b.start()
        th = threading.Thread(target=probe)
        th.start()
        try:
            wait_until(lambda: count(b) >= n, 600, 'b to sync', interval=1.0)
        finally:
            stop.set()
            th.join()
        # from the daemon's start to its last stored record, by its own clock
        # (so polling once a second costs the measurement nothing)
        phases.append(('fresh node syncing %d records over loopback' % n,
                       b.json('status')['daemon']['last_ingest_ms'] / 1000.0))
        mem_b = memory(b.proc.pid)
        serving_after = memory(a.proc.pid)
        raws.append(raw_rate())
        for r in raws:
            print('raw Ed25519 verify: %.0f/s on one core, %.0f/s on all %d cores (one signature '
                  'over and over: %.0f/s, %.0f/s)' %
                  (r['verify_per_s_one_core'], r['verify_per_s_all_cores'], r['cores'],
                   r['verify_per_s_one_core_same_input'], r['verify_per_s_all_cores_same_input']))
        allcores = [r['verify_per_s_all_cores'] for r in raws]
        if max(allcores) > 1.15 * min(allcores):
            # another tenant took a core for part of the run: a phase and the
            # raw rates around it may not have seen the same machine
            print('WARNING: the all-core raw rate varied by %.0f%% during this run; the ratios '
                  'below are unreliable, run again' % (100.0 * (max(allcores) / min(allcores) - 1)))
        for i, (what, t) in enumerate(phases):
            def around(k):
                return (raws[i][k] + raws[i + 1][k]) / 2
            allc = around('verify_per_s_all_cores')
            same = around('verify_per_s_all_cores_same_input')
            r = n / t
            print('%-48s %6.1f s %8.0f records/s  %.2f x the all-core verify rate (%.0f/s; '
                  '%.2f x one signature verified over and over)' %
                  (what, t, r, r / allc, allc, r / same))
        for name, m in (('importer (shuffled)', mem_a), ('importer (export)', mem_c),
                        ('syncing node', mem_b)):
            print('%-20s with %d records held: peak resident %3d MiB, of which anonymous now %3d MiB '
                  '(the rest: pages of the store file mapped)' %
                  (name, n, m['VmHWM'] // 1024, m['RssAnon'] // 1024))
        # the node answering the sync streams its records from the store (a
        # span): its own memory must not grow with what it sends
        print('serving node: anonymous %3d MiB before the sync, %3d MiB after sending %d records '
              '(peak resident %3d MiB)' % (serving_before['RssAnon'] // 1024,
                                          serving_after['RssAnon'] // 1024, n,
                                          serving_after['VmHWM'] // 1024))
        print('longest wait during the sync: `gilde status` %.2f s, `gilde peers` %.2f s' %
              (worst['status'], worst['peers']))


if __name__ == '__main__':
    main()
