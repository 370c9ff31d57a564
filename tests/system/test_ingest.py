#!/usr/bin/env python3
"""What becomes of each record taken in, as an import reports it and the
node counts it: new, replacing an older version, older or the same as
held, kept as an application (on a curator node, where gilde
applications lists it), refused (an untrusted author), rejected
(damaged).  Each outcome is its own case in gilded's
ingest, so each is asked for here."""
import json
import os

from harness import Harness, check, examples


def imported(node, path):
    """gilde import --json: its counts (it exits 1 when any record failed)."""
    p = node.gilde('import', path, '--json', check_rc=False)
    check(p.returncode in (0, 1), 'import exit %d: %s' % (p.returncode, p.stderr))
    res = json.loads(p.stdout)
    check(p.returncode == (1 if res['rejected'] else 0), 'import exit %d: %r' % (p.returncode, res))
    return res


def main():
    with Harness('ingest') as h:
        a = h.node('a')
        a.start()
        offer = [f for f in examples(('offer',))][0]
        a.json('publish', offer)
        v1 = os.path.join(h.dir, 'v1.gilde')
        a.gilde('export', v1)
        a.json('publish', offer)  # the same document again: a newer version
        v2 = os.path.join(h.dir, 'v2.gilde')
        a.gilde('export', v2)

        # b accepts every validly signed record
        open_conf = h.write_config('open', '[federation]\nopen = true\n')
        b = h.node('b', ['--config', open_conf])
        b.start()
        res = imported(b, v1)  # the offer and a's node record
        check(res['accepted'] == 2 and res['older'] == 0 and res['rejected'] == 0,
              'new records: %r' % res)
        res = imported(b, v2)
        check(res['accepted'] == 1 and res['older'] == 1 and res['rejected'] == 0,
              'a newer version replaces, the same node record is older: %r' % res)
        res = imported(b, v1)
        check(res['accepted'] == 0 and res['older'] == 2, 'older versions: %r' % res)
        st = b.json('status')
        check(st['daemon']['ingested'] == 3 and st['daemon']['older'] == 3,
              'the node counts what it stored and what it held: %r' % st['daemon'])

        # a curator node keeps an unknown key's partner record as an
        # application and refuses its other records
        partner = [f for f in examples(('partner',))][0]
        a.json('publish', partner)
        v3 = os.path.join(h.dir, 'v3.gilde')
        a.gilde('export', v3)
        city = h.node('city')
        city_key = city.first_key()
        curated = h.write_config('curated', '[federation]\ncurator = %s\n' % city_key)
        city.args = ['--config', curated]
        city.start()
        res = imported(city, v3)
        # the partner record waits, counted in none of the three; the offer
        # and the node record are refused
        check(res['accepted'] == 0 and res['older'] == 0 and res['rejected'] == 2,
              'curator node: %r' % res)
        check('not trusted' in res['first_error'], 'the refusal says why: %r' % res)
        apps = city.json('applications')
        check(len(apps) == 1 and apps[0]['key'] == a.key, 'the application: %r' % apps)
        st = city.json('status')
        check(st['daemon']['rejected'] == 2 and st['daemon']['rejected_by']['untrusted'] == 2,
              'refusals counted as untrusted: %r' % st['daemon'])

        # a damaged record is rejected, and counted by its reason
        data = bytearray(open(v1, 'rb').read())
        data[-10] ^= 0xff  # inside the last record's signature
        bad = os.path.join(h.dir, 'bad.gilde')
        open(bad, 'wb').write(bytes(data))
        c = h.node('c', ['--config', open_conf])
        c.start()
        res = imported(c, bad)
        check(res['rejected'] == 1 and res['accepted'] == 1, 'a damaged record: %r' % res)
        st = c.json('status')
        check(st['daemon']['rejected'] == 1 and
              st['daemon']['rejected_by']['signature'] + st['daemon']['rejected_by']['format'] == 1,
              'counted by its reason: %r' % st['daemon'])


if __name__ == '__main__':
    main()
