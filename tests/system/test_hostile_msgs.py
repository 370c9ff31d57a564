#!/usr/bin/env python3
"""Messages from a peer that holds the network key (issue 24), each sent
while an honest peer beside it publishes, with the figures of
hostile_common.py printed and held to their bounds:

  - RECON: four links, each three RECON messages a second (under the 64
    per 10 s that earn a ban), each one range over the whole space with a
    random fingerprint.  At 100,000 items every one made the node read its
    whole store on the event loop: an honest record took 27-77 s, control
    calls 17-42 s.  Then one malformed RECON: the link closed, the address
    banned.
  - HAVE: announcements of random items as fast as the node reads them,
    which it answered one WANT per HAVE (39 MB in, 41.8 MB out).
  - Messages of a type no version knows, 60 KB each, which it took in
    without limit (120 MB in 2,000 frames, within the byte budget).

The victim holds 100,000 records (25,000 under the sanitizers), as does the
honest peer, so that reconciling with it is cheap."""
import os
import subprocess
import time

from harness import SLOW, Harness, check, run, wait_until
from hostile_common import (ATTACK, SANITIZED, Figures, Honest, attack, attack_bg, control_call,
                            finish, group, link_with)

ITEMS = 25000 if SANITIZED else 100000
RECON_FROM = ['127.0.4.%d' % i for i in range(1, 5)]
RECON_S = 20


def recon_stall(h, v, netkey, honest):
    host, port = v.addr.rsplit(':', 1)
    fig = Figures('RECON, 4 links, 3 a second each', honest, v)
    procs = [attack_bg('peer', host, port, src, netkey, 'recon', RECON_S, 3) for src in RECON_FROM]
    while time.monotonic() - fig.t0 < RECON_S - 2:
        fig.sample(RECON_FROM)
        time.sleep(0.5)
    outs = [finish(p) for p in procs]
    scanned = sum(c.get('scanned', 0) for c in v.json('peers')['connections']
                  if group(c) in RECON_FROM)
    fig.report(RECON_FROM, '; %d RECON sent, %d items read for them' %
               (sum(o['messages'] for o in outs), scanned))
    res = attack('peer', host, port, '127.0.4.9', netkey, 'badrecon')
    banned = any(b['ip'] == '127.0.4.9' for b in v.json('peers')['banned'])
    print('malformed RECON: closed %s, banned %s' % (res['closed_by_peer'], banned))
    check(res['closed_by_peer'] and banned, 'malformed RECON: %r, banned %s' % (res, banned))


def have_flood(h, v, netkey, honest):
    host, port = v.addr.rsplit(':', 1)
    src = '127.0.4.10'
    fig = Figures('HAVE flood', honest, v)
    p = attack_bg('peer', host, port, src, netkey, 'have', 10)
    while time.monotonic() - fig.t0 < 8:
        fig.sample([src])
        time.sleep(0.5)
    res = finish(p)
    fig.report([src], '; %d HAVE messages (%d MB) in, %d items asked for (%d KB out)' %
               (res['messages'], res['bytes'] >> 20, res['want_items'], res['bytes_in'] >> 10))
    # a WANT budget of 8,192, back over 30 s: at most about 11,000 in 10 s
    check(res['want_items'] <= 20000, 'the victim asked for %d items' % res['want_items'])


def unknown_flood(h, v, netkey, honest):
    host, port = v.addr.rsplit(':', 1)
    src = '127.0.4.11'
    fig = Figures('unknown messages', honest, v)
    p = attack_bg('peer', host, port, src, netkey, 'unknown', 10)
    while time.monotonic() - fig.t0 < 6:
        fig.sample([src])
        time.sleep(0.5)
    res = finish(p)
    log = open(v.log_path).read()
    banned = 'banned ip=%s ' % src in log
    fig.report([src], '; %d messages (%d MB) sent, closed after %.1fs, banned %s' %
               (res['messages'], res['bytes'] >> 20, res['closed_after'], banned))
    check(0 <= res['closed_after'] < 10 * SLOW and banned, 'unknown messages: %r' % res)


def main():
    with Harness('hostile-msgs') as h:
        conf, netkey = h.federation_config()
        export = os.path.join(h.dir, 'big.gilde')
        subprocess.run([ATTACK, 'mkexport', export, str(ITEMS), '16'], check=True,
                       capture_output=True, timeout=300 * SLOW)
        v = h.node('victim', ['--config', conf])
        v.start()
        v.gilde('import', export, timeout=300)
        g = h.node('good', ['--config', conf])
        g.start()
        g.gilde('import', export, timeout=300)
        g.stop()
        g.start(extra=['--peer', v.addr])
        wait_until(lambda: link_with(v, g.key), 30, 'the honest link')
        honest = Honest(h, g, v)
        print('before the attacks: honest record in %.2fs, control call %.2fs (%d records held)'
              % (honest.record(), control_call(v), ITEMS))
        recon_stall(h, v, netkey, honest)
        have_flood(h, v, netkey, honest)
        unknown_flood(h, v, netkey, honest)
        check(link_with(v, g.key), 'the honest peer was lost')
    print('hostile-msgs: ok')


if __name__ == '__main__':
    run(main)
