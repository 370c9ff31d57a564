#!/usr/bin/env python3
"""Benchmark of the performance issue: ingest at the speed of signature
verification, on every core.  In one run:

  - raw crypto_sign_verify_detached per second, one core and all cores
    (bench_verify): the physical limit, verifying distinct signatures as
    ingest does (and, beside it, one signature over and over);
  - `gilde import` of N records (by N/1000 authors) into a fresh node, the
    whole command: once from a file in shuffled order, once from the file
    `gilde export` writes (in key order, the usual case); and N records
    whose title and summary carry words in Dutch and English, as partners'
    news does (the others have no words for the search index).  gilde sends a
    file's records in key order, 64 MiB of the file at a time; a third
    import sends the shuffled file as it is (GILDE_IMPORT_CHUNK=1), to show
    what the daemon does with records in random order;
  - a fresh node syncing the same N records from a peer over loopback
    (from its start until it stored the last of them, by its own clock);
  - each as records per second and as a ratio to the all-core raw rate;
  - the floor of the same files (bench_floor): what any node must do for
    each of their records, on every core and with nothing else (the
    envelope, the schema, the signature over the record's own bytes, the
    content id, the reconciliation sketch), its rate against the raw rate
    (the most an import could reach) and each phase against it;
  - the CPU time each phase took per record (the daemons', and gilde's for
    an import), against the CPU time of one raw verification on all cores:
    other tenants of the machine take cores away, which slows the rates
    but hardly stretches CPU time, so this ratio says how much of the gap
    is the daemon's own work;
  - the daemons' peak resident set (VmHWM) and anonymous memory, with N
    records held;
  - the longest time `gilde status` and `gilde peers` waited for an answer
    during the sync, and the serving node's memory before and after it;
  - after each import, the time until the search index caught up (the
    daemon indexes what it received after the commit, when idle) and the
    daemon's CPU meanwhile;
  - the text node's search index rebuilt at start (gilded
    --rebuild-index): its time against the import of the same records,
    and the daemon's peak resident set after it.

Other tenants share this VM's cores and only ever slow a measurement
down, so each phase runs R times, each time on a fresh node, with the raw
rate measured before and after each: the ratio is the best time of a
phase against the best raw rate of the run, and every time and raw rate
is printed too.  The best raw rate is the quietest moment of the whole
run, so each run of a phase is also set against the higher of the raw
rates measured just before and just after it, in the same conditions.

usage: bench_ingest.py [N [R]]   (default 100000 3)
"""
import json
import os
import resource
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'system'))
from harness import Harness, MemoryPeak, memory, wait_until  # noqa: E402

ATTACK = os.environ['ATTACK']
VERIFY = os.environ['BENCH_VERIFY']
FLOOR = os.environ['BENCH_FLOOR']


def count(node):
    return node.json('status')['records']['news']


def floor(path):
    """bench_floor on a file: the work a node cannot skip for its records
    (envelope, schema, signature over the record's own bytes, content id,
    reconciliation sketch), on every core with nothing else."""
    return json.loads(subprocess.run([FLOOR, path], capture_output=True, text=True, check=True,
                                     timeout=600).stdout)


def raw_rate():
    return json.loads(subprocess.run([VERIFY, '1'], capture_output=True, text=True, check=True).stdout)


TICK = os.sysconf('SC_CLK_TCK')


def cpu(pid):
    """Seconds of CPU a process used so far, all its threads."""
    with open('/proc/%d/stat' % pid) as f:
        fields = f.read().rpartition(')')[2].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def children_cpu():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
    repeat = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    authors = max(1, n // 1000)
    raws = [raw_rate()]
    phases = {}  # what -> [seconds of each run]
    cpus = {}    # what -> [CPU seconds of each run]
    mems = {}    # who -> [memory() of each run]
    stores = {}  # who -> bytes of the store file in use after an import

    paired = {}  # what -> [records/s of each run / the raw rate next to it]

    def record(what, seconds, who, mem, cpu_s):
        phases.setdefault(what, []).append(seconds)
        cpus.setdefault(what, []).append(cpu_s)
        mems.setdefault(who, []).append(mem)
        raws.append(raw_rate())
        # the raw rate just before and just after this run: the higher
        near = max(raws[-2]['verify_per_s_all_cores'], raws[-1]['verify_per_s_all_cores'])
        paired.setdefault(what, []).append(n / seconds / near)

    with Harness('bench-ingest') as h:
        shuffled = os.path.join(h.dir, 'shuffled.gilde')
        exported = os.path.join(h.dir, 'exported.gilde')
        subprocess.run([ATTACK, 'mkexport', shuffled, str(n), str(authors), 'shuffled'], capture_output=True,
                       text=True, check=True, timeout=600)
        # the default recon_interval (60s), not the tests' 2s: a reconciliation
        # is a pass over every item on both nodes, and at 2s the two nodes
        # would make three or four such passes more during the sync
        conf, _ = h.federation_config(recon_interval='60s')
        # nodes that import must not dial a peer and fetch what they import
        # (the export holds a's node record)
        conf_alone, _ = h.federation_config('fed-alone', extra='dial = 0\n', recon_interval='60s')

        catchups = {}  # what -> [(seconds after the import, daemon CPU seconds)]
        anon_peaks = {}  # who -> [KiB, the most anonymous memory sampled during each run]

        def timed_import(node, path, what, who, accepted):
            c0, g0 = cpu(node.proc.pid), children_cpu()
            t0 = time.monotonic()
            with MemoryPeak(node.proc.pid) as peak:
                res = node.json('import', path)
            anon_peaks.setdefault(who, []).append(peak.kib)
            seconds = time.monotonic() - t0
            assert res['accepted'] == accepted, res
            # the daemon's CPU and the gilde command's
            used = cpu(node.proc.pid) - c0 + children_cpu() - g0
            c1 = cpu(node.proc.pid)
            mem = memory(node.proc.pid)
            # records are searchable once the writer indexed them, after
            # their commit (textindex.h): until the index caught up (polled
            # before record() measures the raw rate again, which takes
            # seconds and would count in it)
            wait_until(lambda: node.json('status').get('search', {}).get('index_behind', 0) == 0,
                       600, 'the search index to catch up', interval=0.05)
            catchups.setdefault(what, []).append((time.monotonic() - t0 - seconds,
                                                  cpu(node.proc.pid) - c1))
            stores[who] = node.json('status')['store']['used_bytes']
            record(what, seconds, who, mem, used)

        def imports_on_fresh_nodes(prefix, path, what, who, accepted, first=0, env=None):
            """Runs first .. repeat-1 of an import phase, each on a node of its own."""
            for i in range(first, repeat):
                x = h.node('%s%d' % (prefix, i), ['--config', conf_alone], env=env)
                x.start()
                timed_import(x, path, what, who, accepted)
                x.stop()

        # 1. records in no useful order (as gathered from many sources); the
        # first node importing them serves the syncs below
        a = h.node('a', ['--config', conf])
        a.start()
        what = 'gilde import, %d records in shuffled order' % n
        timed_import(a, shuffled, what, 'importer (shuffled)', n)
        imports_on_fresh_nodes('a', shuffled, what, 'importer (shuffled)', n, first=1)

        # 1b. the same file, sent as it is: the daemon given random order
        imports_on_fresh_nodes('r', shuffled, 'the same, sent unsorted (GILDE_IMPORT_CHUNK=1)',
                               'importer (unsorted)', n, env={'GILDE_IMPORT_CHUNK': '1'})

        # 2. the common case: a file written by `gilde export` (key order),
        # holding a's node record too
        a.gilde('export', exported)
        imports_on_fresh_nodes('c', exported, 'gilde import of a gilde export, %d records' % n,
                               'importer (export)', n + 1)

        # 2b. records as partners write them: a title and a summary in Dutch
        # and English (flood.h), so the search index has terms to store; the
        # records above have none.  The first node importing them serves the
        # syncs of such records below.
        texts = os.path.join(h.dir, 'texts.gilde')
        subprocess.run([ATTACK, 'mkexport', texts, str(n), str(authors), 'ordered', 'text'],
                       capture_output=True, text=True, check=True, timeout=600)
        ts = h.node('ts', ['--config', conf])
        ts.start()
        what = 'gilde import of %d records with text' % n
        timed_import(ts, texts, what, 'importer (text)', n)
        imports_on_fresh_nodes('t', texts, what, 'importer (text)', n, first=1)

        # 3. a fresh node syncing everything from a peer
        worst = {'status': 0.0, 'peers': 0.0}
        serving = []
        syncs = [(a, 'b', 'fresh node syncing %d records over loopback' % n, 'syncing node'),
                 (ts, 'bt', 'the same, %d records with text' % n, 'syncing node (text)')]
        for (server, prefix, what, who), i in ((x, i) for x in syncs for i in range(repeat)):
            b = h.node('%s%d' % (prefix, i), ['--config', conf, '--peer', server.addr])
            # the loop answers during the sync: both commands ask the daemon
            stop = threading.Event()
            serving_before = memory(server.proc.pid)
            serving_cpu = cpu(server.proc.pid)

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
                with MemoryPeak(b.proc.pid) as peak, MemoryPeak(server.proc.pid) as speak:
                    wait_until(lambda: count(b) >= n, 600, 'b to sync', interval=1.0)
                anon_peaks.setdefault(who, []).append(peak.kib)
                anon_peaks.setdefault('serving node', []).append(speak.kib)
            finally:
                stop.set()
                th.join()
            # from the daemon's start to its last stored record, by its own clock
            # (so polling once a second costs the measurement nothing)
            # CPU: both daemons (the probes' commands are not the sync's work)
            record(what, b.json('status')['daemon']['last_ingest_ms'] / 1000.0, who,
                   memory(b.proc.pid), cpu(b.proc.pid) + cpu(server.proc.pid) - serving_cpu)
            serving.append((serving_before, memory(server.proc.pid)))
            b.stop()

        # 4. the text node's search index made again from its records
        # (gilded --rebuild-index: in steps, at start), against the import
        # of the same records, which did that work and checked signatures
        rebuilds = []
        for i in range(repeat):
            ts.stop()
            t0 = time.monotonic()
            ts.start(extra=['--rebuild-index'], timeout=600)
            seconds = time.monotonic() - t0
            rebuilds.append((seconds, memory(ts.proc.pid)))
            with open(ts.log_path, errors='replace') as f:
                done = sum('search-rebuilt' in line for line in f)
            assert done == i + 1, 'the log says %d rebuilds, not %d' % (done, i + 1)
            assert ts.json('search', 'financiering', '--limit', '1'), 'no hits after the rebuild'

        # the floor of each file's records, measured R times, after the
        # phases (each run takes a few seconds of both cores)
        files = {'records without text': shuffled, 'records with text': texts}
        floors = {k: [floor(v) for _ in range(repeat)] for k, v in files.items()}
        of_file = {w: ('records with text' if 'text' in w else 'records without text') for w in phases}

        for r in raws:
            print('raw Ed25519 verify: %.0f/s on one core, %.0f/s on all %d cores (one signature '
                  'over and over: %.0f/s, %.0f/s)' %
                  (r['verify_per_s_one_core'], r['verify_per_s_all_cores'], r['cores'],
                   r['verify_per_s_one_core_same_input'], r['verify_per_s_all_cores_same_input']))
        allcores = [r['verify_per_s_all_cores'] for r in raws]
        best = max(allcores)
        best_same = max(r['verify_per_s_all_cores_same_input'] for r in raws)
        if best > 1.15 * min(allcores):
            # another tenant took a core for part of the run
            print('note: the all-core raw rate varied by %.0f%% during this run' %
                  (100.0 * (best / min(allcores) - 1)))
        print('reference: the best all-core raw rate of this run, %.0f/s (one signature over and '
              'over: %.0f/s)' % (best, best_same))
        for what, times in phases.items():
            r = n / min(times)
            print('%-48s %6.1f s %8.0f records/s  %.2f x the all-core verify rate (%.2f x one '
                  'signature over and over); best of %s s' %
                  (what, min(times), r, r / best, r / best_same,
                   ', '.join('%.2f' % t for t in times)))
        # the best raw rate is the quietest second of the whole run; a run of
        # a phase is also set against the raw rate measured next to it
        print('each run against the higher of the raw rates measured just before and after it:')
        for what, ratios in paired.items():
            print('%-48s %s x the all-core verify rate' %
                  (what, ', '.join('%.2f' % x for x in ratios)))
        raw_cpu = min(r['cpu_us_per_verify_all_cores'] for r in raws)
        print('CPU per record, against the least CPU a raw verification took on all cores '
              '(%.1f us):' % raw_cpu)
        for what, cs in cpus.items():
            c = min(cs) * 1e6 / n
            print('%-48s %6.1f us of CPU per record, of which a raw verification is %.2f; least '
                  'of %s s' % (what, c, raw_cpu / c, ', '.join('%.2f' % x for x in cs)))
        # the floor: what any node must do for these very records (the
        # signature over their own bytes, 917 bytes with text, not 300; the
        # schema, the content id, the reconciliation sketch), with no store
        # and no transport; its all-core rate is the most an import of them
        # could reach, whatever the daemon did
        print('the floor, bench_floor on the same files (the work a node cannot skip for each '
              'record, on every core, nothing else):')
        for k, fl in floors.items():
            fr = max(x['floor_per_s_all_cores'] for x in fl)
            print('%-48s %8.0f records/s (%.2f x the all-core verify rate), %.1f us of CPU per '
                  'record (the envelope and signature alone: %.1f us over %d bytes); best of %s' %
                  (k, fr, fr / best, min(x['cpu_us_floor'] for x in fl),
                   min(x['cpu_us_signature'] for x in fl), fl[0]['mean_bytes'],
                   ', '.join('%.0f' % x['floor_per_s_all_cores'] for x in fl)))
        print('each phase against the floor of its records (rate; CPU):')
        for what, times in phases.items():
            fl = floors[of_file[what]]
            fr = max(x['floor_per_s_all_cores'] for x in fl)
            fc = min(x['cpu_us_floor'] for x in fl)
            print('%-48s %.2f x the floor\'s rate; the floor is %.2f of its CPU per record' %
                  (what, n / min(times) / fr, fc / (min(cpus[what]) * 1e6 / n)))
        for what, cs in catchups.items():
            print('%-48s search index caught up %.2f s after the import returned (%.1f us of the '
                  "daemon's CPU per record meanwhile); each run: %s" %
                  (what, min(c for c, _ in cs), min(u for _, u in cs) * 1e6 / n,
                   ', '.join('%.2f s' % c for c, _ in cs)))
        for who, ms in mems.items():
            print('%-20s with %d records held: peak resident %3d MiB (highest of %d runs), of '
                  'which anonymous at the end %3d MiB (the rest: pages of the store file mapped)' %
                  (who, n, max(m['VmHWM'] for m in ms) // 1024, len(ms),
                   max(m['RssAnon'] for m in ms) // 1024))
        for who, ks in anon_peaks.items():
            print('%-20s anonymous memory at most %3d MiB while it ran (sampled every 50 ms; '
                  'target <= 64), highest of %d runs' % (who, max(ks) // 1024, len(ks)))
        for who, size in stores.items():
            print('%-20s store in use after the import: %d MiB' % (who, size >> 20))
        # the node answering the sync streams its records from the store (a
        # span): its own memory must not grow with what it sends
        for before, after in serving:
            print('serving node: anonymous %3d MiB before a sync, %3d MiB after sending %d records '
                  '(peak resident %3d MiB)' % (before['RssAnon'] // 1024, after['RssAnon'] // 1024,
                                              n, after['VmHWM'] // 1024))
        print('longest wait during the syncs: `gilde status` %.2f s, `gilde peers` %.2f s' %
              (worst['status'], worst['peers']))
        text_import = min(phases['gilde import of %d records with text' % n])
        best_rebuild = min(t for t, _ in rebuilds)
        print('search index of %d records with text rebuilt at start (gilded --rebuild-index): '
              '%.1f s, %.0f records/s, %.2f x the import of the same records; best of %s s; '
              'peak resident %d MiB, anonymous after %d MiB (highest of %d runs)' %
              (n, best_rebuild, n / best_rebuild, text_import / best_rebuild,
               ', '.join('%.2f' % t for t, _ in rebuilds),
               max(m['VmHWM'] for _, m in rebuilds) // 1024,
               max(m['RssAnon'] for _, m in rebuilds) // 1024, len(rebuilds)))


if __name__ == '__main__':
    main()
