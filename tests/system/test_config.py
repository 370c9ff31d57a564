#!/usr/bin/env python3
"""Configuration: the shipped example parses to its golden dump, and every
bad file is refused with the file, line and option in the message."""
import glob
import os
import subprocess

from harness import GILDED, SOURCE, check, run

def main():
    cfg = os.path.join(SOURCE, 'tests', 'config')
    # the example shipped in contrib/ parses, and dumps to the golden file
    out = subprocess.run([GILDED, '--check-config', '--config',
                          os.path.join(SOURCE, 'contrib', 'gilded.conf')],
                         capture_output=True, text=True, timeout=30)
    check(out.returncode == 0, 'example config refused: ' + out.stderr)
    want = open(os.path.join(cfg, 'example.ok')).read()
    check(out.stdout == want, 'example config dump differs from example.ok:\n' + out.stdout)
    # built-in defaults dump without a file
    out = subprocess.run([GILDED, '-n'], capture_output=True, text=True, timeout=30)
    check(out.returncode == 0 and 'listen = 127.0.0.1:7420' in out.stdout,
          'default dump: ' + out.stdout + out.stderr)
    # flags override the file
    out = subprocess.run([GILDED, '-n', '-c', os.path.join(SOURCE, 'contrib', 'gilded.conf'),
                          '--listen', '127.0.0.1:9999', '--log-level', 'debug'],
                         capture_output=True, text=True, timeout=30)
    check('listen = 127.0.0.1:9999' in out.stdout and 'level = debug' in out.stdout,
          'flags did not override the file: ' + out.stdout)
    bad = sorted(glob.glob(os.path.join(cfg, 'bad-*.conf')))
    check(len(bad) >= 10, 'expected at least 10 bad configs, found %d' % len(bad))
    for path in bad:
        first = open(path).readline()
        check(first.startswith('# expect: '), path + ': first line must be "# expect: ..."')
        expect = first[len('# expect: '):].strip()
        out = subprocess.run([GILDED, '-n', '-c', path], capture_output=True, text=True,
                             timeout=30, cwd=cfg)
        check(out.returncode == 1, '%s: exit %d, expected 1' % (path, out.returncode))
        check(expect in out.stderr, '%s: expected "%s" in: %s' % (path, expect, out.stderr))
    # bad flags are usage errors (exit 2) that name the flag
    out = subprocess.run([GILDED, '-n', '--listen', 'nowhere'], capture_output=True, text=True,
                         timeout=30)
    check(out.returncode == 2 and '--listen' in out.stderr, 'bad flag: %r' % out.stderr)
    out = subprocess.run([GILDED, '--frobnicate'], capture_output=True, text=True, timeout=30)
    check(out.returncode == 2 and '--frobnicate' in out.stderr, 'unknown flag: %r' % out.stderr)
    out = subprocess.run([GILDED, '--help'], capture_output=True, text=True, timeout=30)
    check(out.returncode == 0 and 'network_key' in out.stdout and '--data' in out.stdout,
          '--help lacks options')
    print('config: ok')

if __name__ == '__main__':
    run(main)
