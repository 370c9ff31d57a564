#!/usr/bin/env python3
"""Export from one node, import into another: identical listing, every
signature still verifies; re-import is all older; damage is rejected."""
import os

from harness import Harness, check, examples, run


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
        import json
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
