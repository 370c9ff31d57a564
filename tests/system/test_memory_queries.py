#!/usr/bin/env python3
"""[store] mapped_max under queries: a node with the bound, serving a burst
of web queries that read more of the store than the bound, lets go of its
map at most once per STORE_MAP_READ_INTERVAL_MS (daemon/store/map.h), not
each time a query passes the bound (which made every next query fault
its pages in again, issue 22); the queries do pass the bound (or the test
proves nothing), and once they stop the node is under the bound again
within the interval.  The writer's side (an import held to the bound
throughout) is test_memory's."""
import json
import os
import re
import subprocess
import threading
import time
import urllib.request

from harness import SOURCE, Harness, check, run, wait_until

ATTACK = os.environ.get('ATTACK', 'attack')
N = 30000
BOUND = 24 << 20
SLACK = 6 << 20  # what a few dozen records map between the writer's checks
BURST = 12.0     # seconds of queries: two intervals and more
# Under the sanitizers a list of the 30,000 offers takes 2 s, and four at
# once keep both web threads busy for longer than libmicrohttpd's own 10 s
# of silence ([web] timeout), after which it drops a connection whose
# answer it could not write meanwhile: one client there, asking one
# question after another.  (The guard's 5 s for a request's headers no
# longer counts while the request waits unread: test_web_guard.)
CLIENTS = 1 if os.environ.get('GILDE_SANITIZED') else 4


def read_interval_ms():
    """The interval, from the header that sets it."""
    with open(os.path.join(SOURCE, 'daemon', 'store', 'map.h')) as f:
        m = re.search(r'#define STORE_MAP_READ_INTERVAL_MS (\d+)', f.read())
    check(m, 'map.h names no STORE_MAP_READ_INTERVAL_MS')
    return int(m.group(1))


def burst(base, stop, errors, served):
    """New questions (no answer kept, web_cache.h) and lists of offers (never
    kept) until stop is set."""
    i = 0
    while not stop.is_set():
        i += 1
        path = ('/api/v1/search?q=financiering+zq%d%d' % (threading.get_ident() % 1000, i)
                if i % 2 else '/api/v1/offers?need=financing')
        try:
            with urllib.request.urlopen(base + path, timeout=60) as r:
                r.read()
                served.append(r.status)
        except Exception as e:  # noqa: BLE001 — reported by the main thread
            errors.append('%s: %s' % (path, e))
            return


def bounded_answers(a, base):
    """No answer grows with the directory: a page of offers holds at most
    its limit (and says more follow), a match asked for all offers at most
    100 per item (and counts the rest)."""
    with urllib.request.urlopen(base + '/api/v1/offers?limit=1000', timeout=120) as r:
        page = json.load(r)
    check(len(page['offers']) == 1000 and page['more'] and page['next'],
          'a page of 1000 of %d offers: %d, more %r' % (N, len(page['offers']), page['more']))
    prof = json.load(open(os.path.join(SOURCE, 'contrib', 'ghent', 'profiles',
                                       'profile-student-webshop.json')))
    req = urllib.request.Request(base + '/api/v1/match?per_item=0', data=json.dumps(prof).encode(),
                                 headers={'Content-Type': 'application/json'}, method='POST')
    with urllib.request.urlopen(req, timeout=120) as r:
        res = json.load(r)
    sizes = [(len(i['offers']), i.get('more', 0)) for i in res['items']]
    check(all(n <= 100 for n, _ in sizes) and any(n == 100 and more > 0 for n, more in sizes),
          'match with per_item=0 over %d offers: (offers, more) per item %r' % (N, sizes))


def main():
    interval = read_interval_ms() / 1000.0
    with Harness('memory_queries') as h:
        export = os.path.join(h.dir, 'offers.gilde')
        subprocess.run([ATTACK, 'mkexport', export, str(N), '100', 'ordered', 'offers'],
                       check=True, capture_output=True, timeout=300)
        conf = h.write_config('bounded', '[federation]\nopen = true\n[web]\n'
                              'listen = 127.0.0.1:0\nroot = %s\nrate = 1000000\n'
                              'burst = 1000000\n[store]\nmapped_max = %d\n'
                              % (os.path.join(SOURCE, 'daemon', 'web'), BOUND))
        a = h.node('a', ['--config', conf])
        a.start()
        check(a.json('import', export)['accepted'] == N, 'import')
        wait_until(lambda: a.json('status')['search']['index_behind'] == 0, 120,
                   'the search index to catch up')
        # and the offers' facts packed (daemon/writer.c, pack()): the writer
        # packs them once the index caught up, which fell in the queries'
        # time; holding the write transaction, it lets go of the map at once,
        # a release the queries' rule does not allow for
        wait_until(lambda: a.json('status')['store']['facts_packed'], 40,
                   'the node to pack the offers\' facts')
        base = 'http://' + a.json('status')['daemon']['web']['listen']

        def mem():
            return a.json('status')['daemon']['memory']

        stop, errors, served, most = threading.Event(), [], [], 0
        threads = [threading.Thread(target=burst, args=(base, stop, errors, served))
                   for _ in range(CLIENTS)]
        # the time counted spans both readings of the count
        t0 = time.monotonic()
        before = mem()['map_releases']
        check(before > 0, 'the import over a store this size never let go of the map')
        for t in threads:
            t.start()
        anon = 0
        try:
            while time.monotonic() - t0 < BURST and not errors:
                m = mem()
                most, anon = max(most, m['file']), max(anon, m['anonymous'])
                time.sleep(0.1)
        finally:
            stop.set()
            for t in threads:
                t.join(90)
        check(not errors, 'queries failed: %s' % errors[:3])
        after = mem()['map_releases']
        elapsed = time.monotonic() - t0
        released = after - before
        allowed = 1 + int(elapsed / interval)
        print('%d queries in %.1f s: %d releases (at most %d allowed), file pages at most '
              '%d MiB (bound %d MiB)' % (len(served), elapsed, released, allowed, most >> 20,
                                         BOUND >> 20))
        check(len(served) >= CLIENTS, 'only %d queries answered' % len(served))
        # the control: the queries read more than the bound, so a strict rule
        # would have let go each time
        check(most > BOUND + SLACK,
              'queries held at most %d MiB of files: the test proves nothing' % (most >> 20))
        check(released <= allowed, '%d releases in %.1f s of queries, at most %d allowed'
              % (released, elapsed, allowed))
        # the bound still holds for queries: at the latest the once-a-second
        # timer lets go after the interval
        wait_until(lambda: mem()['file'] <= BOUND, interval + 5,
                   'the node to come back under the bound after the queries')
        check(mem()['map_releases'] > before, 'the queries\' pages were let go of')
        bounded_answers(a, base)
        # issue 22: at most 64 MiB of the daemon's own memory while it
        # answers; ASan's quarantine and shadow memory are not the daemon's
        print('anonymous memory at most %d MiB during the queries' % (anon >> 20))
        if not os.environ.get('GILDE_SANITIZED'):
            check(anon <= 64 << 20, 'anonymous memory reached %d MiB' % (anon >> 20))


if __name__ == '__main__':
    run(main)
