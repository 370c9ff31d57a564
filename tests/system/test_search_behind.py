#!/usr/bin/env python3
"""Records received are searchable after their commit (textindex.h): an
import of many records with text returns once they are stored, and the
daemon's writer indexes them in its idle time.  A search that runs
meanwhile says how many records it cannot find yet, and `gilde search`,
GET /api/v1/search and `gilde status` agree: the hits plus the records
not yet indexed are every record.  After a bounded poll every record is
found and nothing waits.  A daemon killed with records waiting indexes
them after its restart, each once."""
import json
import os
import subprocess
import urllib.parse
import urllib.request

from harness import GILDE, SOURCE, Harness, check, run, wait_until

ATTACK = os.environ.get('ATTACK', 'attack')
N = 4000
# words of flood.c's texts (in both its Dutch and English lists, or in
# one): a record holds some of them with near certainty, so every
# indexed record is a hit
QUERY = ('pitch bank partners product prototype software hardware startup funding '
         'financiering subsidie netwerk gent ghent')


def searched(node, web):
    """The flood records found, index_behind on stderr (CLI), and the
    API's index_behind and hit count for the same question."""
    p = node.gilde('search', *QUERY.split(), '--json', '--limit', str(2 * N))
    hits = [r for r in json.loads(p.stdout) if r['id'].startswith('flood-')]
    check(len({r['id'] for r in hits}) == len(hits), 'a record found twice')
    behind = 0
    if p.stderr.strip():
        behind = json.loads(p.stderr.strip().splitlines()[-1])['index_behind']
    if web is None:  # the daemon is down: the CLI reads the store alone
        return len(hits), behind, None
    url = 'http://%s/api/v1/search?%s' % (web, urllib.parse.urlencode({'q': QUERY, 'limit': 1}))
    with urllib.request.urlopen(url, timeout=30) as r:
        api = json.loads(r.read())
    check('index_behind' in api, 'the API answer has no index_behind: %r' % sorted(api))
    return len(hits), behind, api['index_behind']


def status_behind(node):
    return node.json('status')['search']['index_behind']


def caught_up(node, web, what, records=N):
    wait_until(lambda: status_behind(node) == 0, 120, what)
    found, behind, api_behind = searched(node, web)
    check(behind == 0 and api_behind == 0, 'caught up, yet behind %d / %d' % (behind, api_behind))
    check(found == records, 'after catching up, %d of %d records found' % (found, records))


def main():
    with Harness('search-behind') as h:
        texts = os.path.join(h.dir, 'texts.gilde')
        subprocess.run([ATTACK, 'mkexport', texts, str(N), '4', 'ordered', 'text'],
                       check=True, capture_output=True, timeout=300)
        web_conf = ('[web]\nlisten = 127.0.0.1:0\nroot = %s\nrate = 100000\nburst = 100000\n'
                    % os.path.join(SOURCE, 'daemon', 'web'))
        conf, _ = h.federation_config('fed-alone', extra='dial = 0\n' + web_conf)
        a = h.node('a', ['--config', conf])
        a.start()
        web = a.json('status')['daemon']['web']['listen']
        res = a.json('import', texts)
        check(res['accepted'] == N, 'import: %r' % res)
        # at once: every record found, or the search says how many it misses
        found, behind, _ = searched(a, web)
        print('right after the import: %d found, %d not yet indexed' % (found, behind))
        check(found + behind == N, '%d found + %d not yet indexed != %d records'
              % (found, behind, N))
        caught_up(a, web, 'the index to catch up after the import')

        # killed during an import, with records waiting (the writer indexes
        # only when no batch comes): the restart goes on from the mark
        many = os.path.join(h.dir, 'many.gilde')
        subprocess.run([ATTACK, 'mkexport', many, str(5 * N), '20', 'ordered', 'text'],
                       check=True, capture_output=True, timeout=300)
        b = h.node('b', ['--config', conf])
        b.start()
        imp = subprocess.Popen([GILDE, 'import', '--data', b.data, many],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_until(lambda: b.json('status')['records']['news'] >= N, 120,
                       'b to store records of the import')
            left = status_behind(b)
            b.kill()
        finally:
            imp.wait(timeout=60)
        # the store as the kill left it, read by gilde alone: the records
        # not found are the ones the search says wait
        held = b.json('status')['records']['news']
        found, behind, _ = searched(b, None)
        print('b killed during the import: %d records held, %d found, %d not yet indexed '
              '(status said %d before the kill)' % (held, found, behind, left))
        # the writer indexes in the gaps between batches, so how many wait
        # depends on the machine's load; the unit tests (textqueue) count
        # a backlog made on purpose
        check(found + behind == held and status_behind(b) == behind,
              '%d found + %d not yet indexed != %d held (status: %d)'
              % (found, behind, held, status_behind(b)))
        b.start()
        web = b.json('status')['daemon']['web']['listen']
        held = b.json('status')['records']['news']
        caught_up(b, web, 'b to index what waited after its restart', held)
    print('search behind: ok')


if __name__ == '__main__':
    run(main)
