#!/usr/bin/env python3
"""Benchmark of the web issue: requests per second and latency (p50, p99)
of `POST /api/v1/match` and of other API calls, from many concurrent
clients on loopback, against one daemon holding the Ghent sample.  The
reference, measured in the same run against the same server, is a static
file (the page's app.js): what the server itself can do when the handler
does nearly nothing.  Each figure is printed beside it as a ratio.

The load comes from wrk (Debian package wrk; contrib/deps.sh installs it),
which keeps C connections open and measures latency per request.

Then the same against a node holding 100,000 generated offers (`attack
mkexport … offers`, imported), as a regional federation would hold (issue
22): POST /api/v1/match and search, beside the same server's static file,
and the daemon's anonymous memory (RssAnon) apart from its mapped file
pages (RssFile), sampled while it serves.  The first match after the
import makes the server's copy of the offers' facts (query/match.h:
struct match_cache), which every match after it reads until the offers
change: that first one is timed apart, before the load.

usage: bench_web.py [CONNECTIONS] [SECONDS] [OFFERS]   (default 64 5 100000;
                                                        OFFERS 0: the sample only)
       BENCH_MAPPED_MAX=SIZE: the 100k node with [store] mapped_max = SIZE
"""
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'system'))
from harness import SOURCE, Harness, check, memory, run, wait_until  # noqa: E402

SAMPLE = sorted(f for f in glob.glob(os.path.join(SOURCE, 'contrib', 'ghent', '*', '*.json'))
                if os.path.basename(os.path.dirname(f)) != 'profiles')
BENCH = os.path.dirname(os.path.abspath(__file__))
PROFILE = os.path.join(SOURCE, 'contrib', 'ghent', 'profiles', 'profile-student-webshop.json')


def unit_ms(v, u):
    return float(v) * {'us': 0.001, 'ms': 1.0, 's': 1000.0}[u]


def wrk(url, conns, secs, script=None):
    threads = max(1, min(conns, os.cpu_count() or 2))
    cmd = ['wrk', '-t%d' % threads, '-c%d' % conns, '-d%ds' % secs, '--latency']
    if script:
        cmd += ['-s', script]
    p = subprocess.run(cmd + [url], capture_output=True, text=True, timeout=secs + 60)
    check(p.returncode == 0, 'wrk failed: %s%s' % (p.stdout, p.stderr))
    out = p.stdout
    rps = float(re.search(r'Requests/sec:\s+([\d.]+)', out).group(1))
    lat = {}
    for pct in ('50', '99'):
        m = re.search(r'^\s+%s(?:\.000)?%%\s+([\d.]+)(us|ms|s)\s*$' % pct, out, re.M)
        check(m, 'wrk printed no %s%% latency:\n%s' % (pct, out))
        lat[pct] = unit_ms(m.group(1), m.group(2))
    m = re.search(r'Non-2xx or 3xx responses:\s+(\d+)', out)
    bad = int(m.group(1)) if m else 0
    m = re.search(r'Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)', out)
    errs = sum(int(x) for x in m.groups()) if m else 0
    return rps, lat, bad, errs


def cpu_seconds(pid):
    """user and system CPU time of a process so far (/proc/PID/stat)."""
    with open('/proc/%d/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def table(runs, conns, secs, node=None):
    """wrk each (name, url, script); figures beside the first run's.  With a
    node, its CPU time per request too: on a shared machine it moves less
    than the rate does."""
    ref = None
    print('%-44s %10s %9s %9s %9s %s' % ('request', 'req/s', 'p50 ms', 'p99 ms', 'x static',
                                         'anon/file MiB, CPU us/req' if node else ''))
    for row in runs:
        name, url, sc = row[:3]
        before = row[3]() if len(row) > 3 else None
        cpu = cpu_seconds(node.proc.pid) if node else 0
        rps, lat, bad, errs = wrk(url, conns, secs, sc)
        check(bad == 0, '%s: %d answers were not 2xx' % (name, bad))
        mem = ''
        if node:
            cpu = cpu_seconds(node.proc.pid) - cpu
            m = memory(node.proc.pid)
            mem = '%d / %d, %.0f' % (m['RssAnon'] // 1024, m['RssFile'] // 1024,
                                     cpu * 1e6 / max(1.0, rps * secs))
        if ref is None:
            ref = rps
        print('%-44s %10.0f %9.2f %9.2f %9.2f %s%s' % (name, rps, lat['50'], lat['99'],
                                                      rps / ref, mem,
                                                      '  (%d socket errors)' % errs
                                                      if errs else ''))
        if before is not None:
            after = row[3]()
            print('%44s answers from the cache: %d of %d' % (
                '', after[0] - before[0], after[0] + after[1] - before[0] - before[1]))


def fresh_match_script(path, profile):
    """A wrk script posting the profile with another number of employees in
    every request, each wrk thread counting from its own base: no answer
    kept (web_cache.h) is asked for again."""
    template = json.dumps(dict(profile, employees=12345)).replace('12345', '%d')
    with open(path, 'w') as f:
        f.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                'local threads = 0\nfunction setup(t) t:set("base", threads * 400000); '
                'threads = threads + 1 end\nlocal n = 0\nfunction request() n = n + 1\n'
                '  return wrk.format(nil, nil, nil, string.format(%s, base + n)) end\n'
                % json.dumps(template))
    return path


def fresh_search_script(path):
    """A wrk script searching for `financiering` beside a word no offer
    holds, new in every request: no answer kept is asked for again."""
    with open(path, 'w') as f:
        f.write('math.randomseed(os.time() + math.floor(os.clock() * 1000000))\n'
                'request = function()\n'
                '  return wrk.format("GET", "/api/v1/search?q=financiering+zq" ..\n'
                '                    math.random(1, 1000000000))\n'
                'end\n')
    return path


def kept_answers(node):
    """The node's count of match answers from the cache and made afresh."""
    def kept():
        web = node.json('status')['daemon']['web']
        return web['answers_cached'], web['answers_computed']
    return kept


def sampled(pid, fn):
    """Run fn; the most anonymous memory and file pages (KiB) of pid seen
    every 50 ms meanwhile, and the seconds it took."""
    most, done = {'RssFile': 0, 'RssAnon': 0}, threading.Event()

    def sample():
        while not done.wait(0.05):
            now = memory(pid)
            for k in most:
                most[k] = max(most[k], now[k])
    sampler = threading.Thread(target=sample)
    t0 = time.monotonic()
    sampler.start()
    try:
        fn()
    finally:
        done.set()
        sampler.join()
    most['seconds'] = time.monotonic() - t0
    return most


def mapped_max():
    """BENCH_MAPPED_MAX=64M runs the 100k node with that bound on its
    mapped store pages ([store] mapped_max, off by default), to measure what
    the bound costs."""
    bound = os.environ.get('BENCH_MAPPED_MAX')
    if bound:
        print('[store] mapped_max = %s on the node of generated offers' % bound)
    return '[store]\nmapped_max = %s\n' % bound if bound else ''


def many_offers(h, tmp, n, conns, secs, script):
    """A node of n generated offers: match and search under load."""
    export = os.path.join(tmp, 'offers.export')
    attack = os.environ.get('ATTACK')
    check(attack, 'ATTACK (tests/tools/attack) is not set')
    subprocess.run([attack, 'mkexport', export, str(n), '100', 'ordered', 'offers'], check=True,
                   capture_output=True, timeout=600)
    conf = h.write_config('many', '[federation]\nopen = true\n[web]\n'
                          'listen = 127.0.0.1:0\nroot = %s\nrate = 1000000\n'
                          'burst = 1000000\nmax_connections = 1024\nmax_per_ip = 1024\n'
                          'waiting_per_ip = 1024\n%s'
                          % (os.path.join(SOURCE, 'daemon', 'web'), mapped_max()))
    b = h.node('many', args=['--config', conf])
    b.start()
    b.gilde('import', export, timeout=1200)
    # the search index catches up after the import (textindex.h), by the
    # writer: the runs measure queries alone, on a settled store
    t0 = time.monotonic()
    wait_until(lambda: b.json('status')['search']['index_behind'] == 0, 600,
               'the search index to catch up')
    print('the search index caught up %.1f s after the import' % (time.monotonic() - t0))
    base = 'http://' + b.json('status')['daemon']['web']['listen']
    offers = b.json('status')['records']['offer']
    m = memory(b.proc.pid)
    released = b.json('status')['daemon']['memory']['map_releases']
    print('\none gilded, %d generated offers, after import: anonymous %d MiB, file pages %d MiB'
          '; the map let go of %d times importing and indexing' % (offers, m['RssAnon'] // 1024,
                                                        m['RssFile'] // 1024, released))
    # the same question again is answered from the answers kept for this
    # state of the store (daemon/web_cache.h); a word no offer holds, new each
    # time, makes every request a question asked anew of the index
    fresh = fresh_search_script(os.path.join(tmp, 'search_fresh.lua'))
    with open(script) as f:
        body = json.loads(re.search(r'wrk.body = (.*)', f.read()).group(1)).encode()
    # the second another profile: the same again would be an answer kept (web_cache.h)
    profile = json.loads(body)
    for what, emp in (('first match after the import (makes the copy)', 999999),
                      ('the next, another profile (reads it)', 1000000)):
        req = urllib.request.Request(base + '/api/v1/match',
                                     data=json.dumps(dict(profile, employees=emp)).encode(),
                                     headers={'Content-Type': 'application/json'})
        t0 = time.monotonic()
        with urllib.request.urlopen(req, timeout=60) as r:
            check(r.status == 200, 'match: HTTP %d' % r.status)
            r.read()
        print('%-44s %8.1f ms' % (what, (time.monotonic() - t0) * 1e3))
    runs = [('static file /app.js (reference)', base + '/app.js', None),
            ('GET /api/v1/search?q=financiering', base + '/api/v1/search?q=financiering', None,
             kept_answers(b)),
            ('  the same, a new question each time', base + '/api/v1/search', fresh,
             kept_answers(b)),
            ('POST /api/v1/match (4 needs)', base + '/api/v1/match', script, kept_answers(b)),
            ('  the same, a new profile each time', base + '/api/v1/match',
             fresh_match_script(os.path.join(tmp, 'match4-fresh.lua'), profile), kept_answers(b))]
    most = sampled(b.proc.pid, lambda: table(runs, conns, secs, b))
    m = memory(b.proc.pid)
    print('after the runs: anonymous %d MiB (target <= 64), file pages %d MiB, peak resident '
          '%d MiB; the store\'s map let go of %d times in %.0f s of queries ([store] mapped_max)'
          % (m['RssAnon'] // 1024, m['RssFile'] // 1024, m['VmHWM'] // 1024,
             b.json('status')['daemon']['memory']['map_releases'] - released, most['seconds']))
    print('sampled every 50 ms during the runs: at most anonymous %d MiB, file pages %d MiB'
          % (most['RssAnon'] // 1024, most['RssFile'] // 1024))


def main():
    conns = int(sys.argv[1]) if len(sys.argv) > 1 else 64
    secs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    many = int(sys.argv[3]) if len(sys.argv) > 3 else 100000
    check(shutil.which('wrk'), 'wrk is not installed: run contrib/deps.sh (Debian package wrk)')
    tmp = tempfile.mkdtemp(prefix='gilde-bench-web-')
    try:
        script = os.path.join(tmp, 'match.lua')
        profile = json.load(open(PROFILE))
        body = json.dumps(profile)
        with open(script, 'w') as f:
            f.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                    'wrk.body = %s\n' % json.dumps(body))
        fresh = fresh_match_script(os.path.join(tmp, 'match-fresh.lua'), profile)
        with Harness('bench-web') as h:
            conf = h.write_config('web', '[federation]\nopen = true\n[web]\n'
                                  'listen = 127.0.0.1:0\nroot = %s\nrate = 1000000\n'
                                  'burst = 1000000\nmax_connections = 1024\nmax_per_ip = 1024\n'
                                  'waiting_per_ip = 1024\n'
                                  % os.path.join(SOURCE, 'daemon', 'web'))
            a = h.node('a', args=['--config', conf])
            a.start()
            a.gilde('publish', *SAMPLE)
            base = 'http://' + a.json('status')['daemon']['web']['listen']
            offers = a.json('status')['records']['offer']
            print('one gilded, %d records (%d offers), %d connections, %d s per run, %d cores'
                  % (len(SAMPLE), offers, conns, secs, os.cpu_count() or 0))
            kept = kept_answers(a)
            table([('static file /app.js (reference)', base + '/app.js', None),
                   ('GET /api/v1/taxonomy', base + '/api/v1/taxonomy', None),
                   ('GET /api/v1/offers?need=financing', base + '/api/v1/offers?need=financing',
                    None),
                   ('GET /api/v1/search?q=financiering', base + '/api/v1/search?q=financiering',
                    None, kept),
                   ('POST /api/v1/match (student webshop)', base + '/api/v1/match', script, kept),
                   ('POST /api/v1/match, a new profile each time', base + '/api/v1/match', fresh,
                    kept),
                   # phase, sectors, needs, activity, student, lang among 960 profiles
                   ('  the same, 960 kinds of profile', base + '/api/v1/match',
                    os.path.join(BENCH, 'wrk_match_vary.lua'), kept),
                   # drawn at random from the whole taxonomy
                   ('  the same, a random profile', base + '/api/v1/match',
                    os.path.join(BENCH, 'wrk_match_wide.lua'), kept)],
                  conns, secs)
            if many:
                script4 = os.path.join(tmp, 'match4.lua')
                body4 = json.dumps({'phase': 'start', 'sectors': ['digital'], 'lang': 'nl',
                                    'needs': ['administration', 'financing', 'location',
                                              'coaching']})
                with open(script4, 'w') as f:
                    f.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = '
                            '"application/json"\nwrk.body = %s\n' % json.dumps(body4))
                many_offers(h, tmp, many, conns, secs, script4)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    run(main)
