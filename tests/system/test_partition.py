#!/usr/bin/env python3
"""The two halves of a partitioned federation converge once a link heals
the partition; a peer that opens a connection and says nothing is dropped
after the handshake timeout."""
import json
import os
import socket
import time

from harness import Harness, check, examples, run, wait_until


def main():
    with Harness('partition') as h:
        conf, _ = h.federation_config(extra='dial = 0\n[limits]\nhandshake_timeout = 2s\n')
        p1 = h.node('p1', ['--config', conf])
        p1.start()
        p2 = h.node('p2', ['--config', conf, '--peer', p1.addr])
        p2.start()
        q1 = h.node('q1', ['--config', conf])
        q1.start()
        q2 = h.node('q2', ['--config', conf, '--peer', q1.addr])
        q2.start()

        # each half publishes its own records and converges on its own
        offers = examples(('offer',))
        p1.json('publish', *offers[:2])
        q2.json('publish', *offers[2:])
        news = examples(('news',))
        q1.json('publish', news[0])
        left = h.converged([p1, p2], what='the left half')
        right = h.converged([q1, q2], what='the right half')
        check(not set(left) & set(right), 'the halves share records before healing')
        # the same record id published on both sides by different authors stays two records
        p2.json('publish', news[0])

        # heal: q1 comes back with a link to p2
        q1.stop()
        q1.start(extra=['--peer', p2.addr])
        view = h.converged([p1, p2, q1, q2], what='the healed federation to converge')
        authors = {r[0] for r in view if r[1] == 'news'}
        check(len(authors) == 2, 'both authors\' news with the same id are kept: %r' % authors)
        check(len([r for r in view if r[1] == 'offer']) == len(offers), 'every offer everywhere')
        # and it keeps working both ways across the former partition
        upd = os.path.join(h.dir, 'upd.json')
        doc = json.load(open(offers[0]))
        doc['name']['nl'] = 'Nieuwe naam'
        json.dump(doc, open(upd, 'w'))
        p1.json('publish', upd)
        wait_until(lambda: q2.json('get', 'offer/' + doc['id'], '--author', p1.key)['name']['nl']
                   == 'Nieuwe naam', 30, 'the update to cross the healed link')

        # a connection that never says anything is dropped after the handshake timeout
        host, port = p1.addr.rsplit(':', 1)
        s = socket.create_connection((host, int(port)), timeout=5)
        start = time.monotonic()
        s.settimeout(30)
        try:
            data = s.recv(10)
        except ConnectionResetError:
            data = b''
        took = time.monotonic() - start
        s.close()
        check(data == b'', 'the silent peer was sent %r' % data)
        check(took < 20, 'the silent peer was dropped only after %.1fs' % took)
    print('partition: ok')


if __name__ == '__main__':
    run(main)
