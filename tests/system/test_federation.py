#!/usr/bin/env python3
"""Federation on loopback: a line of three nodes converges; records,
updates and retractions spread end to end; an old version never wins; a
stopped node catches up; a partition heals; a node with the wrong network
key never exchanges a record; garbage is dropped."""
import json
import os
import socket

from harness import Harness, check, examples, run, wait_until


def ids(node, kind=None):
    rows = node.json('list', *(['--kind', kind] if kind else []))
    return {(r['kind'], r['id']): r for r in rows}


def main():
    with Harness('federation') as h:
        # a strict line a - b - c: no discovery of further peers (dial = 0)
        conf, key = h.federation_config(extra='dial = 0\n')
        a = h.node('a', ['--config', conf])
        a.start()
        b = h.node('b', ['--config', conf, '--peer', a.addr])
        b.start()
        c = h.node('c', ['--config', conf, '--peer', b.addr])
        c.start()
        wait_until(lambda: len(a.json('peers')['connections']) == 1 and
                   len(c.json('peers')['connections']) == 1 and
                   len(b.json('peers')['connections']) == 2, 20, 'the line to connect')

        # publish at one end: it arrives at the other, through b
        files = examples(('offer',))
        a.json('publish', *files)
        view = h.converged([a, b, c], what='offers to reach c')
        check(len([r for r in view if r[1] == 'offer']) == len(files), 'c has every offer')
        check(all(len(n.json('peers')['connections']) <= 2 for n in (a, b, c)), 'still a line')
        check(not any(p['key'] == a.key for p in c.json('peers')['connections']),
              'c must not be connected to a directly (dial = 0)')

        # publish at the other end: it arrives at a
        news = examples(('news',))[0]
        c.json('publish', news)
        h.converged([a, b, c], what='news from c to reach a')
        nid = json.load(open(news))['id']
        check(('news', nid) in ids(a, 'news'), 'a has c\'s news')

        # an update replaces everywhere
        old_export = os.path.join(h.dir, 'before-update.gilde')
        a.gilde('export', old_export)
        doc = json.load(open(files[0]))
        old = a.json('get', 'offer/' + doc['id'])
        doc['name']['en'] = 'Renamed offer'
        upd = os.path.join(h.dir, 'upd.json')
        json.dump(doc, open(upd, 'w'))
        a.json('publish', upd)
        h.converged([a, b, c], what='the update to spread')
        got = c.json('get', 'offer/' + doc['id'], '--author', a.key)
        check(got['name']['en'] == 'Renamed offer' and got['version'] > old['version'], 'c has the update')

        # an older version replayed never overrides the newer one
        res = c.json('import', old_export)
        check(res['accepted'] == 0 and res['older'] >= len(files), 'replay at c: %r' % res)
        check(c.json('get', 'offer/' + doc['id'], '--author', a.key)['name']['en'] == 'Renamed offer',
              'the old version replaced the new one at c')
        h.converged([a, b, c], what='all to agree after the replay')

        # a retraction deletes everywhere, and the old version cannot return
        a.gilde('retract', 'offer/' + doc['id'])
        wait_until(lambda: c.gilde('get', 'offer/' + doc['id'], '--author', a.key,
                                   check_rc=False).returncode == 3, 20, 'the retraction to reach c')
        h.converged([a, b, c], what='all to agree after the retraction')
        check(c.json('status')['retracted'] >= 1, 'c holds the tombstone')
        res = b.json('import', old_export)
        check(res['accepted'] == 0, 'replay at b after the retraction: %r' % res)
        h.converged([a, b, c], what='all to agree after replaying at b')
        check(c.gilde('get', 'offer/' + doc['id'], '--author', a.key, check_rc=False).returncode == 3,
              'an old version brought the retracted offer back')

        # a stopped node catches up after restart
        c.stop()
        more = examples(('event', 'partner'))
        a.json('publish', *more)
        a.gilde('retract', 'offer/' + json.load(open(files[1]))['id'])
        h.converged([a, b], what='a and b to agree while c is down')
        c.start()
        view = h.converged([a, b, c], what='c to catch up after its restart')
        check(any(r[1] == 'event' for r in view), 'c has the events published while it was down')
        check(c.gilde('get', 'offer/' + json.load(open(files[1]))['id'], '--author', a.key,
                      check_rc=False).returncode == 3, 'c learnt the retraction made while it was down')
        pc = c.json('peers')['connections']
        check(pc and pc[0]['reconciliations'] >= 1 and pc[0]['last_recon_ms'] > 0, 'c reports its reconciliation')

        # wrong network key: the handshake fails and no record is exchanged
        bad_conf, _ = h.federation_config('other')
        e = h.node('e', ['--config', bad_conf, '--peer', a.addr])
        e.start()
        e.json('publish', examples(('news',))[1])
        wait_until(lambda: a.json('peers')['handshake_failures'] >= 1, 20,
                   'a to refuse the node with the other network key')
        check(all(r['author'] == e.key for r in e.json('list')), 'e received a record from a')
        check(not any(r['author'] == e.key for r in a.json('list')), 'a received a record from e')
        check(not any(p['key'] == e.key for p in a.json('peers')['connections']), 'e is connected')

        # garbage on the peer port: dropped, and the node keeps working
        host, port = a.addr.rsplit(':', 1)
        s = socket.create_connection((host, int(port)), timeout=5)
        s.sendall(os.urandom(4096))
        s.settimeout(10)
        try:
            got = s.recv(100)
        except (ConnectionResetError, socket.timeout):
            got = b''
        s.close()
        check(got == b'', 'a answered garbage with %d bytes' % len(got))
        a.json('publish', examples(('news',))[0])
        h.converged([a, b, c], what='the federation to keep working after the garbage')
    print('federation: ok')


if __name__ == '__main__':
    run(main)
