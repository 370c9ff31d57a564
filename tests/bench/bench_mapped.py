#!/usr/bin/env python3
"""Benchmark of `[store] mapped_max` (issue 22: "if a bound stays as an
option, it costs under 5 % CPU when on"): what the bound on the store's
mapped pages costs the queries of a node of many offers.

Two gilded import the same N generated offers (`attack mkexport … offers`):
one with `[store] mapped_max = BOUND`, one without (the default).  The
reference is the node without the bound, measured in the same run: wrk
loads the two in turn, in the order on, off, off, on (repeated), so that a
machine growing busier or quieter during the run (other tenants share this
VM) weighs on both alike.  For each run it prints the daemon's CPU time a
request (its utime + stime over the requests wrk completed: on a shared
machine this moves less than the rate does), its minor page faults a
request (what a release of the map costs is pages touched again: this
count does not move with other tenants), the rate, and the releases
of the map the bounded node made; then, per kind of request, the mean CPU
a request with the bound against without, as a ratio.

Two kinds of request, each a question the node has not answered before
(an answer kept would touch no page): a search for a word no offer holds
beside `financiering`, and a match of a profile with another number of
employees.

usage: bench_mapped.py [CONNECTIONS] [SECONDS] [OFFERS] [PAIRS] [BOUND]
       (default 16 4 100000 3 64M)
"""
import os
from statistics import median
import subprocess
import sys
import tempfile
import shutil

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'system'))
sys.path.insert(0, os.path.dirname(__file__))
from harness import SOURCE, Harness, check, memory, run, wait_until  # noqa: E402
from bench_web import cpu_seconds, fresh_match_script, fresh_search_script, wrk  # noqa: E402

PROFILE = {'phase': 'start', 'sectors': ['digital'], 'lang': 'nl',
           'needs': ['administration', 'financing', 'location', 'coaching']}


def node_with(h, name, export, bound):
    conf = h.write_config(name, '[federation]\nopen = true\n[web]\n'
                          'listen = 127.0.0.1:0\nroot = %s\nrate = 1000000\n'
                          'burst = 1000000\nmax_connections = 1024\nmax_per_ip = 1024\n'
                          'waiting_per_ip = 1024\n%s'
                          % (os.path.join(SOURCE, 'daemon', 'web'),
                             '[store]\nmapped_max = %s\n' % bound if bound else ''))
    x = h.node(name, args=['--config', conf])
    x.start()
    x.gilde('import', export, timeout=1200)
    wait_until(lambda: x.json('status')['search']['index_behind'] == 0, 600,
               'the search index of %s to catch up' % name)
    return x


def releases(x):
    return x.json('status')['daemon']['memory']['map_releases']


def minor_faults(pid):
    """Minor page faults of a process so far (/proc/PID/stat): the pages a
    released map makes it touch again are counted here."""
    with open('/proc/%d/stat' % pid) as f:
        return int(f.read().rsplit(')', 1)[1].split()[7])


def one_run(x, url, script, conns, secs):
    """wrk on x: (CPU µs a request, minor faults a request, requests/s,
    releases meanwhile, file MiB after)."""
    r0, c0, f0 = releases(x), cpu_seconds(x.proc.pid), minor_faults(x.proc.pid)
    rps, _, bad, _ = wrk(url, conns, secs, script)
    check(bad == 0, '%s: %d answers were not 2xx' % (url, bad))
    used, reqs = cpu_seconds(x.proc.pid) - c0, max(1.0, rps * secs)
    return used * 1e6 / reqs, (minor_faults(x.proc.pid) - f0) / reqs, rps, \
        releases(x) - r0, memory(x.proc.pid)['RssFile'] // 1024


def main():
    conns = int(sys.argv[1]) if len(sys.argv) > 1 else 16
    secs = int(sys.argv[2]) if len(sys.argv) > 2 else 4
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 100000
    pairs = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    bound = sys.argv[5] if len(sys.argv) > 5 else '64M'
    attack = os.environ.get('ATTACK')
    check(attack, 'ATTACK (tests/tools/attack) is not set')
    tmp = tempfile.mkdtemp(prefix='gilde-bench-mapped-')
    try:
        export = os.path.join(tmp, 'offers.export')
        subprocess.run([attack, 'mkexport', export, str(n), '100', 'ordered', 'offers'],
                       check=True, capture_output=True, timeout=600)
        search = fresh_search_script(os.path.join(tmp, 'search.lua'))
        match = fresh_match_script(os.path.join(tmp, 'match.lua'), PROFILE)
        with Harness('bench-mapped') as h:
            nodes = {'on': node_with(h, 'on', export, bound), 'off': node_with(h, 'off', export, None)}
            base = {k: 'http://' + x.json('status')['daemon']['web']['listen']
                    for k, x in nodes.items()}
            print('two gilded, %d generated offers each; [store] mapped_max = %s on one, off on '
                  'the other; %d connections, %d s a run, runs in the order on, off, off, on '
                  '(%d times)' % (n, bound, conns, secs, pairs))
            print('%-34s %-4s %12s %11s %9s %9s %9s' % ('request', 'map', 'CPU us/req',
                                                         'faults/req', 'req/s', 'releases',
                                                         'file MiB'))
            for what, path, script in (('search, a new question each time', '/api/v1/search',
                                        search),
                                       ('match, a new profile each time', '/api/v1/match', match)):
                cpu, faults = {'on': [], 'off': []}, {'on': [], 'off': []}
                for _ in range(pairs):
                    for k in ('on', 'off', 'off', 'on'):
                        us, flt, rps, rel, fmib = one_run(nodes[k], base[k] + path, script,
                                                          conns, secs)
                        cpu[k].append(us)
                        faults[k].append(flt)
                        print('%-34s %-4s %12.0f %11.2f %9.0f %9d %9d' % (what, k, us, flt, rps,
                                                                         rel, fmib))
                for how, f in (('mean', lambda v: sum(v) / len(v)), ('median', median)):
                    on, off = f(cpu['on']), f(cpu['off'])
                    print('%-34s CPU a request with the bound %.0f us, without %.0f us (%s): '
                          '%.3f x (%+.1f %%; target < 5 %%)' % (what, on, off, how, on / off,
                                                                (on / off - 1) * 100))
                print('%-34s minor page faults a request with the bound %.2f, without %.2f '
                      '(mean): what releasing the map makes the queries touch again'
                      % (what, sum(faults['on']) / len(faults['on']),
                         sum(faults['off']) / len(faults['off'])))
            for k, x in nodes.items():
                m = memory(x.proc.pid)
                print('node %-3s after the runs: anonymous %d MiB, file pages %d MiB, '
                      '%d releases of the map in all' % (k, m['RssAnon'] // 1024,
                                                          m['RssFile'] // 1024, releases(x)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    run(main)
