#!/usr/bin/env python3
"""Local access: the control socket admits only its owner's uid (or root),
checked with SO_PEERCRED even when the file permissions would let others
connect."""
import os
import pwd
import stat
import subprocess
import sys

from harness import Harness, check, run


PROBE = r'''
import socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
s.connect(sys.argv[1])
body = b'\x81\xa2op\xa6status'
try:
    s.sendall(struct.pack('>I', len(body)) + body)
    data = s.recv(100)
except (BrokenPipeError, ConnectionResetError, socket.timeout):
    data = b''
print('answered' if data else 'closed')
'''


def main():
    if os.geteuid() != 0:
        print('local: needs root to act as another user')
        sys.exit(1)
    with Harness('local') as h:
        a = h.node('a')
        a.start()
        sock = os.path.join(a.data, 'gilded.sock')
        check(stat.S_IMODE(os.stat(sock).st_mode) == 0o600, 'socket mode')
        # the owner (root here) is answered
        p = subprocess.run([sys.executable, '-c', PROBE, sock], capture_output=True, text=True,
                           timeout=30)
        check(p.stdout.strip() == 'answered', 'owner: %r %r' % (p.stdout, p.stderr))
        # open the way for another user on purpose: the daemon still refuses it
        os.chmod(h.dir, 0o711)
        os.chmod(a.data, 0o711)
        os.chmod(sock, 0o666)
        nobody = pwd.getpwnam('nobody')
        try:
            p = subprocess.run(['/usr/bin/python3', '-c', PROBE, sock], capture_output=True,
                               text=True, timeout=30, user=nobody.pw_uid, group=nobody.pw_gid)
        finally:
            os.chmod(sock, 0o600)
            os.chmod(a.data, 0o700)
            os.chmod(h.dir, 0o700)
        check(p.stdout.strip() == 'closed', 'another uid was answered: %r %r' % (p.stdout, p.stderr))
        check('foreign-uid' in a.log_tail(), 'the refusal is not logged')
    print('local: ok')


if __name__ == '__main__':
    run(main)
