#!/usr/bin/env python3
"""One node: publish the examples, list, get, update, retract, restart the
daemon and find the data; query while the daemon is stopped."""
import json
import os
import signal
import stat

from harness import Harness, check, examples, run


def main():
    with Harness('single') as h:
        a = h.node('a')
        st = a.start()
        check(st['key'].startswith('ed25519:') and len(st['key']) == 8 + 43, 'key form: ' + st['key'])
        check(a.addr.startswith('127.0.0.1:') and not a.addr.endswith(':0'), 'listen: %s' % a.addr)
        ident = a.json('id')
        check(ident == {'key': st['key'], 'name': 'a'}, 'id: %r' % ident)

        # the data directory and key are private
        check(stat.S_IMODE(os.stat(a.data).st_mode) == 0o700, 'data dir mode')
        check(stat.S_IMODE(os.stat(os.path.join(a.data, 'identity.key')).st_mode) == 0o600, 'key mode')
        check(stat.S_IMODE(os.stat(os.path.join(a.data, 'gilded.sock')).st_mode) == 0o600, 'socket mode')

        files = examples()
        res = a.json('publish', *files)
        check(len(res) == len(files), 'published %d of %d' % (len(res), len(files)))
        listing = a.json('list')
        check(len(listing) == len(files), 'list has %d records' % len(listing))
        for r in listing:
            for f in ('author', 'kind', 'id', 'version', 'content_id', 'issued', 'expires'):
                check(f in r, 'list entry lacks %s: %r' % (f, r))
            check(r['author'] == st['key'], 'author is the node')
        # get returns exactly the fields the file had, plus the envelope's
        src = [f for f in files if os.path.basename(f).startswith('offer-')][0]
        doc = json.load(open(src))
        got = a.json('get', 'offer/' + doc['id'])
        for k, v in doc.items():
            check(got.get(k) == v, 'get %s: field %s differs: %r != %r' % (doc['id'], k, got.get(k), v))
        check(a.json('list', '--kind', 'offer') == [r for r in listing if r['kind'] == 'offer'],
              'list --kind offer')
        check(len(a.json('list', '--author', st['key'])) == len(files), 'list --author')
        check(a.json('list', '--author', 'ed25519:' + 'A' * 43) == [], 'list --author other')

        # an update replaces the record with a higher version
        doc['name']['en'] = 'Updated name'
        upd = os.path.join(h.dir, 'updated.json')
        json.dump(doc, open(upd, 'w'))
        before = got['version']
        res = a.json('publish', upd)
        check(res[0]['version'] > before, 'version grew: %r' % res)
        got2 = a.json('get', 'offer/' + doc['id'])
        check(got2['name']['en'] == 'Updated name' and got2['content_id'] != got['content_id'],
              'update visible')
        check(len(a.json('list')) == len(files), 'update does not add a record')

        # bad input: nothing stored, the message names file and field, exit 1
        bad = os.path.join(h.dir, 'bad.json')
        json.dump({'kind': 'offer', 'id': 'bad', 'name': {'nl': 'x'}}, open(bad, 'w'))
        good = os.path.join(h.dir, 'good.json')
        gdoc = dict(doc, id='fresh-offer')
        json.dump(gdoc, open(good, 'w'))
        p = a.gilde('publish', good, bad, check_rc=False)
        check(p.returncode == 1, 'bad publish exit %d' % p.returncode)
        check('bad.json: /name/en: required field is missing' in p.stderr, p.stderr)
        check('bad.json: /description: required field is missing' in p.stderr, p.stderr)
        check('nothing was published' in p.stderr, p.stderr)
        check(a.gilde('get', 'offer/fresh-offer', check_rc=False).returncode == 3,
              'the good file of a failed publish must not be stored')

        # retract: gone from list and get, kept as a tombstone
        p = a.gilde('retract', 'offer/' + doc['id'])
        check('retracted' in p.stdout, p.stdout)
        p = a.gilde('get', 'offer/' + doc['id'], check_rc=False)
        check(p.returncode == 3 and 'retracted' in p.stderr, 'get after retract: %d %s' % (p.returncode, p.stderr))
        check(len(a.json('list')) == len(files) - 1, 'list after retract')
        check(a.json('status')['retracted'] == 1, 'status counts the tombstone')
        p = a.gilde('retract', 'offer/never-was', check_rc=False)
        check(p.returncode == 3, 'retract unknown: %d' % p.returncode)

        # restart: everything is still there
        view = a.listing(everything=False)
        a.stop()
        check('stopped' in a.log_tail(), 'clean stop logged')
        # queries work while the daemon is stopped
        check(a.listing(everything=False) == view, 'list while stopped')
        st2 = a.json('status')
        directory = sum(st2['records'][k] for k in ('partner', 'offer', 'event', 'news'))
        check(st2['daemon']['running'] is False and directory == len(files) - 1,
              'status while stopped: %r' % st2)
        p = a.gilde('publish', upd, check_rc=False)
        check(p.returncode == 1 and 'not running' in p.stderr, 'publish while stopped: ' + p.stderr)
        st3 = a.start()
        check(st3['key'] == st['key'], 'the key survives a restart')
        check(a.listing(everything=False) == view, 'data survives a restart')

        # a second daemon on the same data directory is refused
        b = h.node('a')
        rc = b.start(expect_fail=True)
        check(rc == 1 and 'another gilded' in b.log_tail(), 'second daemon: %d %s' % (rc, b.log_tail(3)))

        # SIGINT stops cleanly too
        a.stop(sig=signal.SIGINT)

        # a key readable by others is refused, with the fix in the message
        key = os.path.join(a.data, 'identity.key')
        os.chmod(key, 0o644)
        rc = a.start(expect_fail=True)
        check(rc == 1 and 'chmod 600' in a.log_tail(3), 'open key accepted: ' + a.log_tail(3))
        os.chmod(key, 0o600)
        os.chmod(a.data, 0o755)
        rc = a.start(expect_fail=True)
        check(rc == 1 and 'chmod 700' in a.log_tail(3), 'open data dir accepted: ' + a.log_tail(3))
        os.chmod(a.data, 0o700)
        a.start()
        check(a.listing(everything=False) == view, 'data after the refused starts')
    print('single node: ok')


if __name__ == '__main__':
    run(main)
