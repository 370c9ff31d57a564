#!/usr/bin/env python3
"""The web server against slow and ambiguous clients (issue 24):

  - Slowloris: one byte a second from 16 addresses (16 connections each)
    held the 256 connections for a minute, and no honest request of 9 was
    answered.  Here all 9 must be, while an honest peer publishes beside
    it with the figures of hostile_common.py, and every slow connection
    must be closed within the header time (web_guard.h: 5 s) or refused.
  - A request with two Content-Length headers, and one with Content-Length
    and Transfer-Encoding, were both accepted; they must get 400 and the
    connection closed (RFC 9112, 6.1 and 6.3)."""
import os
import socket
import time
import urllib.request

from harness import SLOW, SOURCE, Harness, check, run, wait_until
from hostile_common import Figures, Honest, attack_bg, finish, link_with

SLOW_NET, SLOW_ADDRS, SLOW_PER = '127.0.7', 16, 16


def honest_requests(base, n, timeout):
    answered = 0
    for _ in range(n):
        try:
            with urllib.request.urlopen(base + '/api/v1/taxonomy', timeout=timeout) as r:
                answered += r.status == 200
        except OSError:
            pass
    return answered


def raw(addr, request, timeout=5):
    """Send request bytes; the status line and whether the server closed."""
    host, port = addr.rsplit(':', 1)
    s = socket.create_connection((host, int(port)), timeout=timeout)
    s.sendall(request)
    data, closed = b'', False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            closed = True
            break
        data += chunk
    s.close()
    return data.split(b'\r\n', 1)[0].decode(errors='replace'), closed


def slowloris(h, v, g):
    base = 'http://' + v.json('status')['daemon']['web']['listen']
    host, port = v.json('status')['daemon']['web']['listen'].rsplit(':', 1)
    fig = Figures('slowloris, 16 addresses x 16 connections', Honest(h, g, v, 'web'), v)
    p = attack_bg('slowloris', host, port, SLOW_NET, SLOW_ADDRS, SLOW_PER, 25)
    time.sleep(8)  # past the header time: the guard has had to work
    t0 = time.monotonic()
    answered = honest_requests(base, 9, 5 * SLOW)
    took = time.monotonic() - t0
    fig.sample()
    res = finish(p)
    fig.report((), '; honest requests answered %d of 9 in %.1fs; slow connections: %d opened, '
               '%d closed by the server after %.1fs on average, %d refused, %d kept all along'
               % (answered, took, res['opened'], res['closed_by_peer'], res['mean_life'],
                  res['refused'], res['kept_whole_run']))
    check(answered == 9, 'honest requests answered: %d of 9' % answered)
    check(res['kept_whole_run'] == 0 and res['closed_by_peer'] > 0 and
          res['mean_life'] < 5 + 2 * SLOW, 'slow connections were not closed in time: %r' % res)


def framing(v):
    addr = v.json('status')['daemon']['web']['listen']
    body = b'{"phase": "starter", "needs": ["coaching"]}'
    for what, extra in (('two Content-Length', b'Content-Length: %d\r\nContent-Length: 5\r\n'),
                        ('Content-Length and Transfer-Encoding',
                         b'Content-Length: %d\r\nTransfer-Encoding: chunked\r\n')):
        req = (b'POST /api/v1/match HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
               (extra % len(body) if b'%d' in extra else extra) + b'\r\n' + body)
        status, closed = raw(addr, req)
        print('%s: %s, connection closed: %s' % (what, status, closed))
        check(' 400 ' in status + ' ' and closed, '%s: answered %r, closed %s' %
              (what, status, closed))


def main():
    with Harness('hostile-web') as h:
        conf, netkey = h.federation_config(extra='[web]\nlisten = 127.0.0.1:0\nroot = %s\n' %
                                           os.path.join(SOURCE, 'daemon', 'web'))
        v = h.node('webvictim', ['--config', conf])
        v.start()
        g = h.node('webgood', [])
        gconf = h.write_config('webgood', open(conf).read().split('[web]')[0])
        g.args = ['--config', gconf, '--peer', v.addr]
        g.start()
        wait_until(lambda: link_with(v, g.key), 30, 'the honest link')
        framing(v)
        slowloris(h, v, g)
    print('hostile-web: ok')


if __name__ == '__main__':
    run(main)
