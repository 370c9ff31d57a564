#!/usr/bin/env python3
"""Export from one node, import into another: identical listing, every
signature still verifies; re-import is all older; damage is rejected.
gilde import sends a file's records in the store's key order, a chunk of
the file at a time, whatever their order in the file.  A file is mapped,
a pipe is read: both import the same, and a file shortened while it is
imported ends the import with an error that says so."""
import json
import os
import subprocess

from harness import GILDE, Harness, check, examples, run, wait_until

ATTACK = os.environ.get('ATTACK', 'attack')


def attack_json(*args):
    return json.loads(subprocess.run([ATTACK, *args], check=True, capture_output=True,
                                     timeout=120).stdout)


def import_into_sink(h, name, path, chunk=None):
    """gilde import into attack's stand-in for gilded: what it received."""
    d = os.path.join(h.dir, name)
    os.mkdir(d)
    sink = subprocess.Popen([ATTACK, 'sink', d, '60'], stdout=subprocess.PIPE)
    try:
        wait_until(lambda: os.path.exists(os.path.join(d, 'gilded.sock')), 10, 'the sink')
        env = dict(os.environ)
        if chunk:
            env['GILDE_IMPORT_CHUNK'] = str(chunk)
        p = subprocess.run([GILDE, 'import', '--data', d, '--json',
                            path], capture_output=True, text=True, env=env, timeout=120)
        check(p.returncode == 0, 'import into the sink: %s' % p.stderr)
        out = json.loads(sink.communicate(timeout=60)[0])
    finally:
        sink.kill()
        sink.wait()
    check(not out['bad'], 'the sink got a bad request: %r' % out)
    return out


def mapped(pid, path):
    """Whether process pid has path mapped."""
    try:
        with open('/proc/%d/maps' % pid) as m:
            return any(line.rstrip().endswith(path) for line in m)
    except OSError:
        return False


def shrink_while_importing(h, node):
    """A big file, cut as soon as gilde has mapped it: to nothing (every
    page gone: the next read of the map raises SIGBUS), then to 100 bytes
    (the first page stays, read as zeros past the cut, if gilde gets there
    first)."""
    for cut in (0, 100):
        shrink_once(h, node, cut)


def shrink_once(h, node, cut):
    big = os.path.join(h.dir, 'shrinking.gilde')
    attack_json('mkexport', big, '20000', '20', 'ordered', 'text')
    size = os.path.getsize(big)
    imp = subprocess.Popen([GILDE, 'import', '--data', node.data, '--json', big],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_until(lambda: mapped(imp.pid, os.path.realpath(big)) or imp.poll() is not None, 30,
                   'gilde to map the file',
                   interval=0.001)
        os.truncate(big, cut)
        out, err = imp.communicate(timeout=120)
    finally:
        if imp.poll() is None:
            imp.kill()
            imp.wait()
    err = err.decode(errors='replace')
    check(imp.returncode >= 0, 'gilde was killed by signal %d: %s' % (-imp.returncode, err[-400:]))
    # 20,000 records with text (%d bytes) take far longer to send than the
    # cut takes after the map: the import cannot have finished
    check(imp.returncode == 1 and 'shrinking.gilde: the file was shortened while it was imported'
          ' (by another program?), from %d to %d bytes' % (size, cut) in err,
          'a file shortened during the import (%d bytes, cut to %d): exit %d, %s'
          % (size, cut, imp.returncode, err[-400:]))
    res = json.loads(out)
    # cut to 100 bytes, the records of the first page may have been sent
    # with zeros past the cut, and the daemon refuses them; no more
    first_page = os.sysconf('SC_PAGE_SIZE') // (size // 20000) + 1
    check(res['accepted'] + res['rejected'] < 20000 and res['rejected'] <= (first_page if cut else 0),
          'shortened file, cut to %d: %r' % (cut, res))


def import_order(h):
    n = 2000
    shuffled = os.path.join(h.dir, 'shuffled.gilde')
    attack_json('mkexport', shuffled, str(n), '4', 'shuffled')
    # the file is out of order, or nothing below is checked
    check(attack_json('order', shuffled)['breaks'] > n // 4, 'the shuffled file is in order')
    got = import_into_sink(h, 'sink1', shuffled)
    check(got['records'] == n and got['breaks'] == 0,
          'one chunk: every record sent in key order: %r' % got)
    # chunks of a fifth of the file: each is in order, the breaks are between them
    size = os.path.getsize(shuffled)
    got = import_into_sink(h, 'sink2', shuffled, size // 5 + 1)
    check(got['records'] == n and 1 <= got['breaks'] <= 4,
          'five chunks: up to four breaks of order, between chunks: %r' % got)
    # chunks of one record: the file's order, in requests as full as ever
    got = import_into_sink(h, 'sink3', shuffled, 1)
    check(got['records'] == n and got['breaks'] == attack_json('order', shuffled)['breaks'] and
          got['requests'] == 1, 'chunks of one record: %r' % got)
    return shuffled, n


def main():
    with Harness('export') as h:
        # b, c and d accept records by any key (no federation: no network key)
        open_conf = h.write_config('open', '[federation]\nopen = true\n')
        a, b = h.node('a'), h.node('b', ['--config', open_conf])
        a.start()
        b.start()
        files = examples()
        a.json('publish', *files)
        first = [f for f in files if '/offer-' in f][0]
        a.gilde('retract', 'offer/' + os.path.basename(first)[len('offer-'):-len('.json')])
        exp = os.path.join(h.dir, 'a.gilde')
        a.gilde('export', exp)
        check(os.path.getsize(exp) > 0, 'export is empty')

        res = b.json('import', exp)
        # the files, and a's node record
        check(res['accepted'] == len(files) + 1 and res['rejected'] == 0 and res['older'] == 0,
              'import counts: %r' % res)
        # b also holds its own node record; a's records are the same on both
        check(b.listing('--author', a.key) == a.listing(), 'listings differ after import')
        check(b.json('status')['retracted'] == 1, 'the retraction moved too')
        # the imported records keep their author and content
        check(b.json('list', '--author', a.key, '--all') == a.json('list', '--all'),
              'records by author differ')

        res = b.json('import', exp)
        check(res['accepted'] == 0 and res['older'] == len(files) + 1, 're-import: %r' % res)

        # a damaged signature is rejected, the rest of the file is not
        data = bytearray(open(exp, 'rb').read())
        data[len(data) - 5] ^= 0x01  # inside the last record's signature
        bad = os.path.join(h.dir, 'bad.gilde')
        open(bad, 'wb').write(data)
        c = h.node('c', ['--config', open_conf])
        c.start()
        p = c.gilde('import', bad, '--json', check_rc=False)
        check(p.returncode == 1, 'damaged import exit %d' % p.returncode)
        res = json.loads(p.stdout)
        check(res['rejected'] == 1 and res['accepted'] == len(files), 'damaged import: %r' % res)
        check('signature' in res.get('first_error', ''), 'reason: %r' % res)

        # a truncated file: the good records land, the error names the byte offset
        trunc = os.path.join(h.dir, 'trunc.gilde')
        open(trunc, 'wb').write(bytes(data[:len(data) - 10]))
        d = h.node('d', ['--config', open_conf])
        d.start()
        p = d.gilde('import', trunc, check_rc=False)
        check(p.returncode == 1 and 'byte ' in p.stderr and 'ends inside' in p.stderr, p.stderr)
        check(len(d.json('list', '--all', '--author', a.key)) + d.json('status')['retracted'] == len(files),
              'records before the damage are kept')
        # not a record at all
        junk = os.path.join(h.dir, 'junk.gilde')
        open(junk, 'wb').write(b'{"this": "is json"}')
        p = d.gilde('import', junk, check_rc=False)
        check(p.returncode == 1 and 'byte 0: not a record' in p.stderr, p.stderr)
        # damage far into a long file (past the reader's buffer, which is
        # refilled and compacted on the way) is named at its exact offset
        clean = open(exp, 'rb').read()
        copies = 300000 // len(clean) + 2
        long_file = os.path.join(h.dir, 'long.gilde')
        open(long_file, 'wb').write(clean * copies + b'\xc1junk')
        p = d.gilde('import', long_file, '--json', check_rc=False)
        check(p.returncode == 1 and 'byte %d: not a record' % (len(clean) * copies) in p.stderr,
              'long damaged file (%d bytes): %s' % (len(clean) * copies, p.stderr))
        res = json.loads(p.stdout)
        check(res['accepted'] + res['older'] == (len(files) + 1) * copies and res['rejected'] == 0,
              'long damaged file: every record before the damage was read once: %r' % res)
        # the same, in chunks of 1000 bytes: records cross chunk boundaries
        # and the damage is named at its offset in the file, not the chunk
        e = h.node('e', ['--config', open_conf], env={'GILDE_IMPORT_CHUNK': '1000'})
        e.start()
        p = e.gilde('import', long_file, '--json', check_rc=False)
        check(p.returncode == 1 and 'byte %d: not a record' % (len(clean) * copies) in p.stderr,
              'long damaged file in small chunks: %s' % p.stderr)
        res = json.loads(p.stdout)
        check(res['accepted'] + res['older'] == (len(files) + 1) * copies and res['rejected'] == 0,
              'long damaged file in small chunks: %r; stderr: %s' % (res, p.stderr[-600:]))
        check(e.listing('--author', a.key) == d.listing('--author', a.key),
              'small chunks stored other records')
        p = subprocess.run([GILDE, 'import', '--data', e.data, exp], capture_output=True,
                           text=True, timeout=60, env=dict(os.environ, GILDE_IMPORT_CHUNK='lots'))
        check(p.returncode == 2 and 'GILDE_IMPORT_CHUNK=lots' in p.stderr, p.stderr)

        # a shuffled file reaches the daemon in order and lands whole
        shuffled, n = import_order(h)
        res = e.json('import', shuffled)
        check(res['accepted'] == n and res['rejected'] == 0, 'shuffled import: %r' % res)
        # the benchmark's records with text are valid news, and give the search
        # index words in both languages (else its text phase measures nothing)
        texts = os.path.join(h.dir, 'texts.gilde')
        attack_json('mkexport', texts, '300', '3', 'ordered', 'text')
        res = e.json('import', texts)
        check(res['accepted'] == 300 and res['rejected'] == 0, 'records with text: %r' % res)
        # imported records are indexed after their commit (textindex.h)
        wait_until(lambda: e.json('status')['search']['index_behind'] == 0, 60,
                   'the search index to catch up')
        for word in ('financiering', 'financing'):
            hits = [r for r in e.json('search', word) if r['id'].startswith('flood-')]
            check(len(hits) >= 10, 'search %s: %d of the records with text' % (word, len(hits)))
        # a file is mapped, anything else is read: the same records from a
        # pipe land the same (the read path), and a file another program
        # shortens while it is imported stops the import with an error that
        # names it, not with the process killed by SIGBUS (the mapped path)
        f = h.node('f', ['--config', open_conf])
        f.start()
        p = subprocess.run([GILDE, 'import', '--data', f.data, '--json', '/dev/stdin'],
                           input=open(texts, 'rb').read(), capture_output=True, timeout=120)
        check(p.returncode == 0 and json.loads(p.stdout)['accepted'] == 300,
              'import from a pipe: %r %r' % (p.stdout, p.stderr[-400:]))
        check(f.json('status')['records']['news'] == 300, 'after the pipe: %r' % f.json('status')['records'])
        shrink_while_importing(h, f)
        # nodes without a network key never federate, even when an import
        # taught them each other's endpoints (a's node record is in b now)
        check(a.json('peers')['connections'] == [] and b.json('peers')['connections'] == [],
              'nodes without a network key connected')
        # export to a terminal-less stdout works and matches the file
        p = a.gilde('export', input=b'')
        check(p.stdout == open(exp, 'rb').read(), 'export to stdout differs from the file')
    print('export/import: ok')


if __name__ == '__main__':
    run(main)
