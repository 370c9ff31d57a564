#!/usr/bin/env python3
"""Configuration: the shipped example parses to its golden dump, and every
bad file is refused with the file, line and option in the message."""
import base64
import glob
import os
import subprocess
import tempfile

from harness import GILDE, GILDED, SOURCE, check, run

def main():
    cfg = os.path.join(SOURCE, 'tests', 'config')
    # the example shipped in contrib/ parses, and dumps to the golden file
    out = subprocess.run([GILDED, '--check-config', '--config',
                          os.path.join(SOURCE, 'contrib', 'gilded.conf')],
                         capture_output=True, text=True, timeout=30)
    check(out.returncode == 0, 'example config refused: ' + out.stderr)
    want = open(os.path.join(cfg, 'example.ok')).read()
    check(out.stdout == want, 'example config dump differs from example.ok:\n' + out.stdout)
    # ... and says what to change: its keys are placeholders, and it keeps to loopback
    warnings = [l for l in out.stderr.splitlines() if l.startswith('gilded: warning: ')]
    check(len(warnings) == 2 and 'network_key is a placeholder' in warnings[0] and
          'gilde network-key' in warnings[0] and 'curator = ed25519:PLACEHOLDER' in warnings[1]
          and 'gilde id' in warnings[1], 'example warnings: %r' % out.stderr)
    check('listen = 127.0.0.1:7420' in out.stdout and 'peer = ' not in out.stdout,
          'the example listens on loopback and names no dummy peer')
    # a wildcard address is warned about, with what to do
    out = subprocess.run([GILDED, '-n', '-c', os.path.join(SOURCE, 'contrib', 'gilded.conf'),
                          '--listen', '0.0.0.0:7420'], capture_output=True, text=True, timeout=30)
    check(out.returncode == 0 and '[node] listen = 0.0.0.0:7420 accepts peers on every address'
          in out.stderr and '[node] public' in out.stderr, 'wildcard: %r' % out.stderr)
    # real keys on loopback: nothing to say
    scratch = tempfile.TemporaryDirectory(prefix='gilde-config-')
    real = os.path.join(scratch.name, 'real.conf')
    netkey = subprocess.run([GILDE, 'network-key'], capture_output=True, text=True,
                            timeout=30).stdout.strip()
    with open(real, 'w') as f:
        f.write('[federation]\nnetwork_key = %s\ncurator = %s\n[web]\nlisten = 127.0.0.1:8080\n'
                % (netkey, 'ed25519:' + base64.urlsafe_b64encode(os.urandom(32)).decode()[:43]))
    os.chmod(real, 0o600)  # it holds the network key: for the node's user only (issue 24)
    out = subprocess.run([GILDED, '-n', '-c', real], capture_output=True, text=True, timeout=30)
    check(out.returncode == 0 and out.stderr == '', 'a sound config warned: %r' % out.stderr)
    with open(real, 'a') as f:
        f.write('listen = 0.0.0.0:8080\n')
    out = subprocess.run([GILDED, '-n', '-c', real], capture_output=True, text=True, timeout=30)
    check('[web] listen = 0.0.0.0:8080 serves the web on every address' in out.stderr,
          'web wildcard: %r' % out.stderr)
    scratch.cleanup()
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
