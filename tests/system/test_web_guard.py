#!/usr/bin/env python3
"""The web guard's count of connections waiting for a request ([web]
waiting_per_ip, web_guard.h), kept-alive ones included:

  - with waiting_per_ip = 3, three kept-alive connections from 127.0.0.1
    are held and answered again, while a fourth is refused at accept;
  - with behind_proxy = true and the same limit, twelve kept-alive
    connections from 127.0.0.1 (the proxy's address: every visitor's
    requests come through its pool) are all held and all answered again.
"""
import http.client
import os
import time

from harness import SLOW, SOURCE, Harness, check, run

LIMIT, POOL = 3, 12


def open_answered(addr, n):
    """n connections, each answered once and kept alive."""
    host, port = addr.rsplit(':', 1)
    conns = []
    for i in range(n):
        c = http.client.HTTPConnection(host, int(port), timeout=5 * SLOW)
        check(answered_again(c), 'connection %d of %d (kept alive) was not answered' % (i + 1, n))
        conns.append(c)
    return conns


def answered_again(c):
    try:
        c.request('GET', '/api/v1/taxonomy')
        r = c.getresponse()
        r.read()
        return r.status == 200
    except (OSError, http.client.HTTPException):
        return False


def refused(addr):
    """Whether a new connection is closed without an answer (within a
    bound: the guard counts a connection once libmicrohttpd has told it)."""
    host, port = addr.rsplit(':', 1)
    deadline = time.monotonic() + 10 * SLOW
    while time.monotonic() < deadline:
        c = http.client.HTTPConnection(host, int(port), timeout=5 * SLOW)
        ok = answered_again(c)
        c.close()
        if not ok:
            return True
        time.sleep(0.1)
    return False


def node(h, name, extra):
    conf = h.write_config(name, '[federation]\nopen = true\n[web]\nlisten = 127.0.0.1:0\n'
                          'root = %s\nwaiting_per_ip = %d\n%s'
                          % (os.path.join(SOURCE, 'daemon', 'web'), LIMIT, extra))
    n = h.node(name, ['--config', conf])
    n.start()
    return n, n.json('status')['daemon']['web']['listen']


def main():
    with Harness('web-guard') as h:
        _, addr = node(h, 'direct', '')
        held = open_answered(addr, LIMIT)
        check(refused(addr), 'a connection past waiting_per_ip = %d was not refused' % LIMIT)
        again = sum(answered_again(c) for c in held)
        print('direct: %d kept-alive connections held, %d answered again; one more refused'
              % (LIMIT, again))
        check(again == LIMIT, 'held connections answered again: %d of %d' % (again, LIMIT))
        for c in held:
            c.close()

        _, addr = node(h, 'proxied', 'behind_proxy = true\n')
        pool = open_answered(addr, POOL)
        again = sum(answered_again(c) for c in pool)
        print('behind a proxy: %d kept-alive connections from 127.0.0.1, %d answered again'
              % (POOL, again))
        check(again == POOL, 'the proxy\'s pool answered again: %d of %d' % (again, POOL))
        for c in pool:
            c.close()
    print('web-guard: ok')


if __name__ == '__main__':
    run(main)
