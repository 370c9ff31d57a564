#!/usr/bin/env python3
"""A record stored just before a link opens crosses it at once (PROTOCOL.md
6.4, "Moving the records"; 6.5).

A node leaves out of what it gives for a reconciliation the records it
stored less than 10 s ago, because push is delivering them.  Push only
reaches the links open when the record was stored: a record stored while
the peer was away (a partner publishing while the city node restarts, a
node's own node record written at start) was never pushed on the new
link, so it must come with the reconciliation that starts when the link
opens, not with one after the 10 s (here: after the 60 s interval).

For both the coded-symbol reconciliation (v3) and v1, in both roles:
  - each node holds the other's node record within the bound once the
    link opened;
  - b publishes while a is down; a comes back (b dials it, b starts the
    reconciliation and sends what a takes): a holds it within the bound;
  - a publishes while b is down; b comes back (a answers, and gives):
    b holds it within the bound;
  - no record crosses twice (duplicates_in stays 0), save when both
    nodes dialled at once on the way back: then each link reconciled as
    it opened before one was closed as a duplicate, and the record
    published while away may have crossed both, once each.

The bound, 5 s times SLOW (20 s under the sanitizers), stays under the
reconciliation interval of 60 s: before the fix such a record waited for
the next reconciliation, so the bound fails in every build."""
from harness import Harness, check, examples, run, wait_until

BOUND = 5
INTERVAL = '60s'


def link(x, y):
    """x's open link to y, once y's HELLO arrived, or None."""
    for p in x.json('peers')['connections']:
        if p['state'] == 'open' and p['key'] == y.key and 'clock_offset_ms' in p:
            return p
    return None


def holds(x, author, kind):
    return any(r['author'] == author and r['kind'] == kind for r in x.json('list', '--all'))


def down(x, y):
    wait_until(lambda: not any(p['state'] == 'open' and p['key'] == y.key
                               for p in x.json('peers')['connections']),
               20, '%s to see %s gone' % (x.name, y.name))


def published_while_away(label, publisher, away, kind):
    """publisher publishes a record of kind while away is down; once away
    is back and linked, it must hold the record within the bound."""
    away.stop()
    down(publisher, away)
    publisher.json('publish', examples((kind,))[0])
    away.start()
    wait_until(lambda: link(away, publisher), 20, '%s: the link again to %s' % (label, away.name))
    wait_until(lambda: holds(away, publisher.key, kind), BOUND,
               '%s: %s\'s %s, published while %s was away, at %s'
               % (label, publisher.name, kind, away.name, away.name))


def scenario(env, label):
    with Harness('recon-fresh-' + label) as h:
        conf, _ = h.federation_config(recon_interval=INTERVAL)
        a = h.node('a', ['--config', conf], env=env)
        a.start()
        b = h.node('b', ['--config', conf, '--peer', a.addr], env=env)
        b.start()
        wait_until(lambda: link(a, b) and link(b, a), 20, label + ': the link')
        wait_until(lambda: holds(a, b.key, 'node') and holds(b, a.key, 'node'), BOUND,
                   label + ': each node record at the other, written at start')

        # b (which dials) publishes while a is away, then a (which is
        # dialled) while b is away
        published_while_away(label, b, a, 'offer')
        published_while_away(label, a, b, 'news')

        # when both dialled at once on the way back, each link reconciled as it opened and
        # one was closed as a duplicate: the record published while away may then have
        # crossed both (the second reconciliation read b's holdings before the first's
        # record was stored), once each, never more
        crossed = any('reason="duplicate link"' in open(n.log_path, errors='replace').read()
                      for n in (a, b))
        for x, y in ((a, b), (b, a)):
            p = link(x, y)
            check(p is not None, '%s: %s lost its link' % (label, x.name))
            want = 1 if label == 'v1' else 3
            check(p['recon_version'] == want, '%s: %s reconciles with version %s, not %d' %
                  (label, x.name, p['recon_version'], want))
            check(p['duplicates_in'] <= (1 if crossed else 0),
                  '%s: %s received %d records it held%s' % (label, x.name, p['duplicates_in'],
                                                           ' (two links crossed)' if crossed else ''))


def main():
    scenario(None, 'v3')
    scenario({'GILDED_RECON_VERSIONS': '1'}, 'v1')


if __name__ == '__main__':
    run(main)
