#!/usr/bin/env python3
"""Curated federation on loopback: an unendorsed partner's records are
never stored on curated nodes (its profile waits as an application on the
curator node only); endorsing admits them; revoking purges them on every
node of a line, and a node that still holds them cannot bring them back;
rotation keeps a partner's listing under its new key; an endorsement past
its end date stops acceptance."""
import json
import os
import time

from harness import Harness, check, examples, run, wait_until


def by(node, key):
    return node.json('list', '--all', '--author', key)


def offers_by(node, key):
    return [r for r in by(node, key) if r['kind'] == 'offer']


def partner_folder(h, name, n_offers=2):
    """A partner record and a few offers, with ids of its own."""
    files = []
    src = json.load(open(examples(('partner',))[0]))
    src['id'] = name
    src['name'] = {'nl': 'Partner ' + name, 'en': 'Partner ' + name}
    path = os.path.join(h.dir, name + '-partner.json')
    json.dump(src, open(path, 'w'))
    files.append(path)
    for i, f in enumerate(examples(('offer',))[:n_offers]):
        d = json.load(open(f))
        d['id'] = '%s-offer-%d' % (name, i)
        path = os.path.join(h.dir, '%s-offer-%d.json' % (name, i))
        json.dump(d, open(path, 'w'))
        files.append(path)
    return files


def main():
    with Harness('curation') as h:
        city = h.node('city')
        city_key = city.first_key()
        curated, netkey = h.federation_config('curated', federation='curator = %s\n' % city_key,
                                              extra='dial = 0\n')
        open_conf, _ = h.federation_config('open', network_key=netkey, extra='dial = 0\n')

        city.args = ['--config', curated]
        city.start()
        check('curator_node=yes' in city.log_tail(), 'the city does not know it is a curator')
        b = h.node('b', ['--config', curated, '--peer', city.addr])
        b.start()
        x = h.node('x', ['--config', curated, '--peer', b.addr])   # line: city - b - x
        x.start()
        p = h.node('p', ['--config', curated, '--peer', city.addr])  # a new partner
        p.start()
        y = h.node('y', ['--config', open_conf, '--peer', p.addr])   # open: keeps anything
        y.start()

        # a node with no curator and no allow list says what it accepts
        lone = h.node('lone')
        lone.start()
        check('accepts only its own records' in lone.log_tail(), 'own-only mode not announced')
        lone.stop()

        # 1. an unendorsed partner publishes: curated nodes store nothing of it
        pfiles = partner_folder(h, 'p')
        p.json('publish', *pfiles)
        wait_until(lambda: len(by(y, p.key)) >= len(pfiles), 20, 'y (open) to get p\'s records')
        wait_until(lambda: len(city.json('applications')) == 1, 20, 'p\'s application at the city')
        app = city.json('applications')[0]
        check(app['key'] == p.key and app['partner']['name']['en'] == 'Partner p',
              'application: %r' % app)
        time.sleep(1)  # let a reconciliation round pass: still nothing may arrive
        for n in (city, b, x):
            check(by(n, p.key) == [], '%s stored records of an unendorsed key' % n.name)
        check(b.json('applications') == [] and x.json('applications') == [],
              'applications must be held on curator nodes only')

        # 2. endorsement after the records: they appear everywhere, no operator action
        out = city.gilde('endorse', p.key, '--name', 'Partner P').stdout
        check('endorsed' in out, out)
        for n in (city, b, x):
            wait_until(lambda n=n: len(by(n, p.key)) >= len(pfiles), 30,
                       'p\'s records to reach %s after the endorsement' % n.name)
        check(city.json('applications') == [], 'the application stays after the endorsement')
        members = city.json('members')
        check(any(m['key'] == p.key and m['status'] == 'member' and m['name'] == 'Partner P'
                  for m in members), 'members: %r' % members)
        check(any(m['key'] == p.key for m in x.json('members')), 'x does not list p as member')

        # 3. revocation purges on every node of the line
        out = city.gilde('revoke', p.key, '--reason', 'left the programme').stdout
        check('revoked' in out, out)
        for n in (city, b, x):
            wait_until(lambda n=n: by(n, p.key) == [], 30, 'the revocation to purge %s' % n.name)
        check(any(m['key'] == p.key and m['status'] == 'revoked' for m in b.json('members')),
              'members after revoke: %r' % b.json('members'))
        # ... and a node that still holds them cannot bring them back
        check(len(by(y, p.key)) >= len(pfiles), 'y (open) should still hold p\'s records')
        y.stop()
        y.start(extra=['--peer', x.addr])
        wait_until(lambda: any(c['key'] == y.key and c['reconciliations'] >= 1
                               for c in x.json('peers')['connections']),
                   30, 'x and y to reconcile')
        p.json('publish', partner_folder(h, 'p2')[1])   # p keeps publishing, too
        time.sleep(2.5)  # a further reconciliation round (recon_interval = 2s)
        for n in (city, b, x):
            check(by(n, p.key) == [], 'revoked records came back to %s' % n.name)

        # 4. rotation keeps the partner's listing under the new key
        q = h.node('q', ['--config', curated, '--peer', city.addr])
        q.start()
        old = q.key
        city.gilde('endorse', old, '--name', 'Partner Q')
        qfiles = partner_folder(h, 'q')
        q.json('publish', *qfiles)
        # q's own records; its node record may arrive too, or not yet
        wait_until(lambda: len([r for r in by(x, old) if r['kind'] != 'node']) == len(qfiles),
                   30, 'q\'s records to reach x')
        ids_before = sorted((r['kind'], r['id']) for r in by(x, old) if r['kind'] != 'node')
        rot = q.json('rotate-key')
        new = rot['new']
        check(rot['old'] == old and new != old and rot['resigned'] == len(qfiles), 'rotate: %r' % rot)
        check(q.json('id')['key'] == new, 'gilde id shows the new key')
        check(os.path.exists(os.path.join(q.data, 'identity.key')), 'key file')
        city.gilde('endorse', new, '--name', 'Partner Q', '--replaces', old)
        for n in (city, b, x):
            wait_until(lambda n=n: by(n, old) == [] and
                       sorted((r['kind'], r['id']) for r in by(n, new) if r['kind'] != 'node')
                       == ids_before, 30, 'the listing to move to q\'s new key on %s' % n.name)
        # q's node restarts with the new key
        q.stop()
        st = q.start()
        check(st['key'] == new, 'the new key survives a restart')

    # 5. an endorsement past its end date stops acceptance (and purges)
    with Harness('curation-expiry') as h:
        now = int(time.time())
        env = {'GILDE_FAKE_NOW': str(now)}
        city = h.node('city', env=env)
        city_key = city.first_key()
        curated, _ = h.federation_config('curated', federation='curator = %s\n' % city_key)
        city.args = ['--config', curated]
        city.start()
        r = h.node('r', ['--config', curated, '--peer', city.addr], env=env)
        r.start()
        until = time.strftime('%Y-%m-%d', time.gmtime(now + 86400))
        city.gilde('endorse', r.key, '--name', 'Partner R', '--until', until)
        rfiles = partner_folder(h, 'r', 1)
        r.json('publish', *rfiles)
        wait_until(lambda: len(by(city, r.key)) >= len(rfiles), 20, 'r\'s records at the city')
        # three days later
        later = {'GILDE_FAKE_NOW': str(now + 3 * 86400)}
        for n in (city, r):
            n.stop()
            n.env = later
        city.start()
        r.start()
        check(any(m['key'] == r.key and m['status'] == 'expired' for m in city.json('members')),
              'members after the end date: %r' % city.json('members'))
        wait_until(lambda: by(city, r.key) == [], 30, 'the lapsed endorsement to purge r at the city')
        r.json('publish', partner_folder(h, 'r-late', 1)[1])
        time.sleep(2.5)
        check(by(city, r.key) == [], 'the city accepted records after the end date')
    print('curation: ok')


if __name__ == '__main__':
    run(main)
