#!/usr/bin/env python3
"""Connection slots and addresses (issue 24), each attack run while an
honest peer publishes beside it, with the figures of hostile_common.py:

  - Slots held by strangers: 40 connections from 10 addresses that send
    nothing and reconnect when closed filled [peers] max = 32, since
    handshakes counted toward it and a timeout earned no strike: an
    honest node could not get in for 45 s, and the node stopped dialling.
    Here a new node must get a link within 10 s, and the victim must dial
    its configured peer again, while the squatters come and go.
  - A ban on an address locked out an honest node behind it: here a
    forger shares 127.0.0.1 with the honest peer, whose link must come
    back within 10 s though the address is banned for 60 s.
  - Addresses hijacked: a HELLO naming a configured peer's address took
    its entry over, and the real peer was not dialled again for 60 s.
  - Addresses crowded out: 40 HELLOs of 8 endpoints each filled the
    256-entry book for good, and an honest node's signed node record was
    never dialled; here it must be within 15 s."""
import time

from harness import SLOW, Harness, check, run, wait_until
from hostile_common import Figures, Honest, attack, attack_bg, finish, link_with

SQUAT_NET, SQUAT_ADDRS, SQUAT_PER = '127.0.3', 10, 4


def squatters(h, conf):
    v = h.node('sq-victim', ['--config', conf])
    v.start()
    p = h.node('sq-peer', ['--config', conf])  # the victim's configured peer
    p.start()
    v.stop()
    v.args += ['--peer', p.addr]
    v.start()
    g = h.node('sq-good', ['--config', conf, '--peer', v.addr])
    g.start()
    wait_until(lambda: link_with(v, g.key) and link_with(v, p.key), 30, 'the honest links')
    honest = Honest(h, g, v, 'sq')
    host, port = v.addr.rsplit(':', 1)
    srcs = ['%s.%d' % (SQUAT_NET, 10 + i) for i in range(SQUAT_ADDRS)]
    fig = Figures('40 silent connections from 10 addresses', honest, v)
    sq = attack_bg('squat', host, port, SQUAT_NET, SQUAT_ADDRS, SQUAT_PER, 30)
    time.sleep(3)
    # a newcomer, and the configured peer gone and back: both must get in
    n = h.node('sq-new', ['--config', conf, '--peer', v.addr])
    t1 = time.monotonic()
    n.start()
    p.stop()
    p.start()
    newcomer = wait_until(lambda: link_with(v, n.key) and time.monotonic() - t1, 10 * SLOW,
                          'the new node to get a link during the attack')
    redial = wait_until(lambda: link_with(v, p.key) and time.monotonic() - t1, 10 * SLOW,
                        'the victim to dial its configured peer again during the attack')
    while time.monotonic() - fig.t0 < 20:
        fig.sample(srcs)
        time.sleep(0.5)
    res = finish(sq)
    peers = v.json('peers')
    fig.report(srcs, '; a new node linked in %.1fs, the configured peer redialled in %.1fs; '
               'squatters: %d connections, %d closed by the victim (%.1fs each), %d refused, '
               '%d evicted' % (newcomer, redial, res['opened'], res['closed_by_peer'],
                               res['mean_life'], res['refused'], peers.get('evicted', 0)))
    check(res['kept_whole_run'] == 0, 'a squatter kept its slot: %r' % res)
    for x in (n, g, p, v):
        x.stop()


def ban_behind(h, netkey):
    conf = h.write_config('banbehind', '[federation]\nnetwork_key = %s\nopen = true\n'
                          'recon_interval = 2s\n[limits]\nban = 60s\n[peers]\ndial = 0\n'
                          'backoff_max = 2s\n' % netkey)
    v = h.node('bb-victim', ['--config', conf])
    v.start()
    g = h.node('bb-good', ['--config', conf, '--peer', v.addr])
    g.start()
    wait_until(lambda: link_with(v, g.key), 30, 'the honest link')
    honest = Honest(h, g, v, 'bb')
    honest.record()
    time.sleep(11)  # long enough a good link (bans.h: BANS_GOOD_MS)
    host, port = v.addr.rsplit(':', 1)
    res = attack('peer', host, port, '127.0.0.1', netkey, 'badsig')
    check(res['closed_by_peer'] and any(b['ip'] == '127.0.0.1' for b in v.json('peers')['banned']),
          'the forger was not banned: %r' % res)
    t0 = time.monotonic()
    g.stop()
    g.start()
    back = wait_until(lambda: link_with(v, g.key) and time.monotonic() - t0, 10,
                      'the honest peer behind the banned address to get back in')
    fig = Figures('a forger on the honest peer\'s address', honest, v)
    fig.sample()
    res = attack('slow', host, port, '127.0.0.1', 5)
    fig.sample()
    fig.report((), '; the honest peer back in %.1fs; a stranger from there dropped after %.1fs'
               % (back, res['dropped_after']))
    check(res['dropped_after'] != -1, 'a stranger from the banned address got in: %r' % res)
    g.stop()
    v.stop()


def hijack(h, conf, netkey):
    p = h.node('hj-peer', ['--config', conf])
    p.start()
    v = h.node('hj-victim', ['--config', conf, '--peer', p.addr])
    v.start()
    wait_until(lambda: link_with(v, p.key), 30, 'the configured link')
    host, port = v.addr.rsplit(':', 1)
    fig = Figures('HELLOs naming a configured peer\'s address', Honest(h, p, v, 'hj'), v)
    hj = attack_bg('hellos', host, port, '127.0.5', netkey, 5, 20, p.addr)
    time.sleep(3)
    fig.sample()

    def entry():
        return [a for a in v.json('peers')['addresses'] if a['address'] == p.addr][0]
    check(entry()['key'] == p.key, 'a HELLO took the configured address: %r' % entry())
    t0 = time.monotonic()
    p.stop()
    p.start()
    back = wait_until(lambda: link_with(v, p.key) and time.monotonic() - t0, 10 * SLOW,
                      'the victim to dial its configured peer again')
    fig.sample()
    res = finish(hj)
    check(entry()['key'] == p.key, 'entry: %r' % entry())
    fig.report((), '; %d links: the entry kept its key, the peer redialled in %.1fs' %
               (res['links'], back))
    p.stop()
    v.stop()


def crowding(h, conf, netkey):
    v = h.node('cr-victim', ['--config', conf])
    v.start()
    g = h.node('cr-good', ['--config', conf, '--peer', v.addr])
    g.start()
    wait_until(lambda: link_with(v, g.key), 30, 'the honest link')
    honest = Honest(h, g, v, 'cr')
    host, port = v.addr.rsplit(':', 1)
    fig = Figures('40 HELLOs of 8 endpoints', honest, v)
    # in two rounds of 20 links: the endpoints of both rounds differ
    links = 0
    for r in range(2):
        res = attack('hellos', host, port, '127.0.6', netkey, 20, 2,
                     *['127.%d.%%d.%d:%d' % (9 + r, r, port_) for port_ in range(1, 9)])
        links += res['links']
    fig.sample()
    book = v.json('peers')['addresses']
    # a node that knows only g: the victim can learn of it only from its signed node record
    hconf = h.write_config('crhonest', open(conf).read() + 'dial = 0\n')
    x = h.node('cr-honest', ['--config', hconf, '--peer', g.addr])
    t0 = time.monotonic()
    x.start()
    took = wait_until(lambda: link_with(v, x.key) and time.monotonic() - t0, 15 * SLOW,
                      'the victim to dial the node its signed node record names')
    fig.sample()
    kinds = {}
    for a in book:
        kinds[a.get('learnt_from', a['source'])] = kinds.get(a.get('learnt_from', a['source']), 0) + 1
    fig.report((), '; %d HELLOs: the book held %d addresses %r; the honest node dialled in %.1fs'
               % (links, len(book), kinds, took))
    for y in (x, g, v):
        y.stop()


def main():
    with Harness('hostile-slots') as h:
        conf, netkey = h.federation_config()
        squatters(h, conf)
        ban_behind(h, netkey)
        hijack(h, conf, netkey)
        crowding(h, conf, netkey)
    print('hostile-slots: ok')


if __name__ == '__main__':
    run(main)
