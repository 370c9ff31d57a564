#!/usr/bin/env python3
"""A full disk (issue 24): a node whose data directory's file system fills
up must say "no space left on device", which directory and how much to
free, in gilde's answer, in its log, in gilde status and in gilde doctor;
not "Input/output error" (what LMDB reports for a short write).

The disk is a small tmpfs, mounted in a mount namespace of the test's own
(unshare: as root, or as an unprivileged user where user namespaces are
allowed), so nothing outside sees it and it goes with the test.  Where
neither works the test is skipped (exit 77) and says why."""
import json
import os
import subprocess
import sys

from harness import SLOW, Harness, check, run

ATTACK = os.environ.get('ATTACK', 'attack')
SKIP = 77


def in_namespace():
    """Run this script again inside a mount namespace of its own."""
    if os.environ.get('GILDE_DISK_NS') == '1':
        return
    env = dict(os.environ, GILDE_DISK_NS='1')
    tries = [['unshare', '--mount', '--propagation', 'private']] if os.geteuid() == 0 else []
    tries.append(['unshare', '--user', '--map-root-user', '--mount', '--propagation', 'private'])
    for pre in tries:
        probe = subprocess.run(pre + ['true'], capture_output=True)
        if probe.returncode == 0:
            os.execvpe(pre[0], pre + [sys.executable, os.path.abspath(__file__)], env)
    print('SKIP: no mount namespace (unshare needs root or user namespaces): %s' %
          probe.stderr.decode(errors='replace').strip())
    sys.exit(SKIP)


def main():
    with Harness('disk-full') as h:
        disk = os.path.join(h.dir, 'disk')
        os.mkdir(disk)
        subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=6m', 'tmpfs', disk], check=True)
        try:
            full(h, disk)
        finally:
            for n in h.nodes:
                n.kill()
            subprocess.run(['umount', disk])
    print('disk-full: ok')


def full(h, disk):
    conf = h.write_config('full', '[store]\nmap_size = 64M\n[federation]\nopen = true\n')
    a = h.node('full', ['--config', conf])
    a.data = os.path.join(disk, 'node')
    a.start()
    export = os.path.join(h.dir, 'many.gilde')
    subprocess.run([ATTACK, 'mkexport', export, '20000', '1', 'ordered', 'text'], check=True,
                   capture_output=True, timeout=300 * SLOW)
    p = a.gilde('import', export, check_rc=False, timeout=300)
    err = p.stderr.strip()
    print('import onto a 6 MiB disk: exit %d: %s' % (p.returncode, err[-400:]))
    check(p.returncode == 1, 'the import should fail: %r' % err)
    check('no space left on device' in err and a.data in err and 'free at least' in err,
          'not reported as a full disk with the directory and what to free: %r' % err)
    check('Input/output error' not in err, 'reported as an I/O error: %r' % err)
    log = [l for l in open(a.log_path).read().split('\n') if 'store-failed' in l]
    print('log: %r' % log[:1])
    check(log and ' error ' in log[0] and 'no space left on device' in log[0],
          'no error line in the log: %r' % log)
    st = a.json('status')
    check('no space left on device' in st['daemon'].get('store_error', ''),
          'gilde status: %r' % st['daemon'])
    p = a.gilde('doctor', '--json', check_rc=False)
    res = json.loads(p.stdout)
    disk_checks = [c for c in res['checks'] if c['check'] == 'disk']
    print('doctor: %r' % disk_checks)
    check(p.returncode == 1 and disk_checks and disk_checks[0]['result'] == 'fail' and
          'no space left on device' in disk_checks[0]['detail'], 'doctor: %r' % res['checks'])
    a.stop()


if __name__ == '__main__':
    in_namespace()
    run(main)
