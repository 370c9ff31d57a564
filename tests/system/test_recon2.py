#!/usr/bin/env python3
"""Reconciliation by coded symbols, v3, between real daemons (PROTOCOL.md
6.7, issues 22 and 23):

  - two v3 nodes that differ both ways converge by v3 (`gilde peers`:
    version 3, no fall back to v1), the records moving once, and each
    says SENT after a session's records;
  - a node that lists only v1 in HELLO (GILDED_RECON_VERSIONS=1), and one
    that lists [1, 2] as a node before v3 did (GILDED_RECON_VERSIONS=2),
    still converge with a v3 node, by v1, and no v2/v3 message crosses;
  - the node's sketch equals one built anew from its store after publish,
    retract, a peer's records and expiry (the control socket's `sketch`);
  - a forged record of an untrusted author counts as `untrusted`: trust
    comes before the signature (7), so such records cost no signature
    check, and relaying what this node does not trust earns no ban."""
import json
import os
import socket
import struct
import subprocess
import time

from harness import SLOW, Harness, check, examples, run, wait_until

ATTACK = os.environ.get('ATTACK', 'attack')
DAY = 86400


# ---- the control socket, for the one operation gilde has no command for ----

def _unpack(b, i):
    t = b[i]
    if t <= 0x7f:
        return t, i + 1
    if 0x80 <= t <= 0x8f or t in (0xde, 0xdf):
        if t <= 0x8f:
            n, i = t & 0x0f, i + 1
        elif t == 0xde:
            n, i = struct.unpack('>H', b[i + 1:i + 3])[0], i + 3
        else:
            n, i = struct.unpack('>I', b[i + 1:i + 5])[0], i + 5
        d = {}
        for _ in range(n):
            k, i = _unpack(b, i)
            v, i = _unpack(b, i)
            d[k] = v
        return d, i
    if 0xa0 <= t <= 0xbf or t in (0xd9, 0xda):
        if t <= 0xbf:
            n, i = t & 0x1f, i + 1
        elif t == 0xd9:
            n, i = b[i + 1], i + 2
        else:
            n, i = struct.unpack('>H', b[i + 1:i + 3])[0], i + 3
        return b[i:i + n].decode(), i + n
    simple = {0xc0: None, 0xc2: False, 0xc3: True}
    if t in simple:
        return simple[t], i + 1
    sizes = {0xcc: ('>B', 1), 0xcd: ('>H', 2), 0xce: ('>I', 4), 0xcf: ('>Q', 8),
             0xd0: ('>b', 1), 0xd1: ('>h', 2), 0xd2: ('>i', 4), 0xd3: ('>q', 8)}
    if t in sizes:
        fmt, n = sizes[t]
        return struct.unpack(fmt, b[i + 1:i + 1 + n])[0], i + 1 + n
    if t >= 0xe0:
        return t - 0x100, i + 1
    raise ValueError('msgpack type 0x%02x not read here' % t)


def ctl(node, op):
    req = bytes([0x81, 0xa2]) + b'op' + bytes([0xa0 | len(op)]) + op.encode()
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(60 * SLOW)
    s.connect(os.path.join(node.data, 'gilded.sock'))
    s.sendall(struct.pack('>I', len(req)) + req)
    buf = b''
    while len(buf) < 4 or len(buf) < 4 + struct.unpack('>I', buf[:4])[0]:
        got = s.recv(65536)
        check(got, 'the control socket closed')
        buf += got
    s.close()
    return _unpack(buf, 4)[0]


def sketch_exact(node, what):
    """Wait until the sketch can be compared with the store at rest, then
    require it equal to a fresh build."""
    def settled():
        r = ctl(node, 'sketch')
        check(r.get('ok'), 'sketch: %r' % r)
        return r if r['ready'] and not r['moved'] else None
    r = wait_until(settled, 30, node.name + '\'s sketch to be ready and the store at rest')
    check(r['equal'] and r['items'] == r['fresh_items'],
          '%s: the sketch of %s is not its store\'s (%r)' % (what, node.name, r))
    return r


# ---- helpers -----------------------------------------------------------------

def mkexport(h, name, n):
    path = os.path.join(h.dir, name + '.gilde')
    subprocess.run([ATTACK, 'mkexport', path, str(n), '3'], check=True, timeout=120 * SLOW,
                   capture_output=True)
    return path


def link(node, key):
    for c in node.json('peers')['connections']:
        if c['key'] == key and c['state'] == 'open':
            return c
    return None


def main():
    with Harness('recon2') as h:
        conf, netkey = h.federation_config(extra='dial = 0\n')
        a = h.node('a', ['--config', conf])
        a.start()
        b = h.node('b', ['--config', conf])
        b.start()
        # differences both ways before they meet: a common part and each its own
        common = mkexport(h, 'common', 200)
        for n in (a, b):
            n.gilde('import', common)
        a.gilde('import', mkexport(h, 'only-a', 40))
        b.gilde('import', mkexport(h, 'only-b', 30))
        a.json('publish', *examples(('offer',)))
        b.json('publish', *examples(('news',)))
        sketch_exact(a, 'after imports and publish')
        sketch_exact(b, 'after imports and publish')
        check(len(a.listing()) != len(b.listing()), 'a and b differ before they meet')

        b.stop()
        b.start(extra=['--peer', a.addr])
        view = h.converged([a, b], what='a and b to converge by v3')
        check(len([r for r in view if r[1] == 'news']) >= 270, 'every news record on both')
        lb = wait_until(lambda: (lambda c: c if c and c['reconciliations_coded'] >= 1 else None)(
            link(b, a.key)), 20, 'b to report its v3 reconciliation')
        check(lb['recon_version'] == 3 and lb['last_recon_version'] == 3,
              'b speaks another version with a v3 peer: %r' % lb)
        check(lb['coded_fallbacks'] == 0, 'v3 fell back to v1 between two v3 nodes: %r' % lb)
        check(lb['reconciliations'] == lb['reconciliations_coded'],
              'b reconciled by v1 with a v3 peer: %r' % lb)
        la = link(a, b.key)
        check(la['recon_version'] == 3, 'a agreed on %r' % la['recon_version'])
        # the records moved once each: nothing came twice
        check(lb['duplicates_in'] == 0 and la['duplicates_in'] == 0,
              'records came twice: %r %r' % (la['duplicates_in'], lb['duplicates_in']))
        # each side ended its records with SENT (v2 session, or v1's SENT 0)
        wait_until(lambda: link(a, b.key)['sent_in'] >= 1 and link(b, a.key)['sent_in'] >= 1,
                   20, 'SENT both ways')
        sketch_exact(a, 'after reconciling')
        sketch_exact(b, 'after reconciling')
        # later reconciliations find nothing to move, by v3, and say so in one round trip
        # (START and END SAME: the digests agree)
        before = link(b, a.key)['reconciliations_coded']
        wait_until(lambda: link(b, a.key)['reconciliations_coded'] > before, 20, 'another v3 session')
        lb = link(b, a.key)
        check(lb['last_recon_rounds'] == 2, 'equal sets took %r messages' % lb['last_recon_rounds'])

        # retract at a: it spreads, and both sketches follow
        offer = json.load(open(examples(('offer',))[0]))['id']
        a.gilde('retract', 'offer/' + offer)
        h.converged([a, b], what='the retraction to reach b')
        sketch_exact(a, 'after a retraction')
        sketch_exact(b, 'after a retraction from a peer')

        # a node that speaks only v1, and one that lists [1, 2] as before v3,
        # converge with the v3 node by v1
        for name, versions, n in (('c', '1', 25), ('e', '2', 15)):
            c = h.node(name, ['--config', conf, '--peer', a.addr],
                       env={'GILDED_RECON_VERSIONS': versions})
            c.start()
            c.gilde('import', mkexport(h, 'only-' + name, n))
            h.converged([a, b, c], what='the node listing %s to converge with v3 nodes' % versions)
            lc = wait_until(lambda: (lambda x: x if x and x['reconciliations'] >= 1 else None)(
                link(c, a.key)), 20, name + ' to reconcile')
            check(lc['recon_version'] == 1 and lc['reconciliations_coded'] == 0 and
                  lc['last_recon_version'] == 1, '%s: %r' % (name, lc))
            lac = link(a, c.key)
            check(lac['recon_version'] == 1 and lac['sent_out'] == 0 and
                  lac['reconciliations_coded'] == 0,
                  'a spoke v3 to a peer listing %s: %r' % (versions, lac))
            check(link(c, a.key)['unknown_in'] == 0 and lac['unknown_in'] == 0,
                  'messages of an unagreed version crossed (%s)' % name)
            if name == 'c':
                c.stop()
        c.stop()
        b.stop()

        # expiry: a day's news records at a, and a goes 400 days on; the sweep
        # removes them after the sketch is built, and the sketch follows
        a.stop()
        a.env = {'GILDE_FAKE_NOW': str(int(time.time()) + 400 * DAY)}
        a.start()
        wait_until(lambda: 'sweep expired=' in open(a.log_path).read(), 30, 'a\'s sweep')
        log = open(a.log_path).read()
        last_start = log.rfind('started ')
        ready, swept = log.find('sketch-ready', last_start), log.find('sweep expired=', last_start)
        check(0 <= ready < swept, 'the sketch was not built before the sweep')
        check(a.json('status')['records'].get('offer', 0) == 0, 'offers survived 400 days')
        sketch_exact(a, 'after expiry')
        a.stop()
        a.env = None

        # trust before the signature: a curated node, a forged record of an unknown author
        cur = h.node('cur', ['--config', h.federation_config(
            'curated', network_key=netkey, federation='curator = %s\n' % a.key)[0]])
        cur.start()
        host, port = cur.addr.rsplit(':', 1)
        p = subprocess.run([ATTACK, 'peer', host, port, '127.0.0.9', netkey, 'badsig'],
                           capture_output=True, text=True, timeout=120 * SLOW)
        res = json.loads(p.stdout)
        st = wait_until(lambda: (lambda s: s if s['rejected'] >= 1 else None)(
            cur.json('status')['daemon']), 20, 'the forgery to be counted')
        by = st['rejected_by']
        check(by['untrusted'] == 1 and by['signature'] == 0,
              'a forged record of an untrusted author counted as %r' % by)
        check(not cur.json('peers')['banned'],
              'a peer was banned for a record this node does not trust: %r' % res)
    print('recon2: ok')


if __name__ == '__main__':
    run(main)
