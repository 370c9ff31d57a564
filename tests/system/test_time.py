#!/usr/bin/env python3
"""Time: records issued too far in the future are refused; expired records
and old tombstones are collected, checked with an injected clock
(GILDE_FAKE_NOW) instead of waiting."""
import json
import os
import time

from harness import Harness, check, examples, run, wait_until

DAY = 86400


def main():
    with Harness('time') as h:
        now = int(time.time())
        # a node whose clock runs a day ahead signs records "from the future"
        ahead = h.node('ahead', env={'GILDE_FAKE_NOW': str(now + DAY)})
        ahead.start()
        ahead.json('publish', *examples(('news',)))
        exp = os.path.join(h.dir, 'ahead.gilde')
        ahead.gilde('export', exp)
        ahead.stop()
        open_conf = h.write_config('open', '[federation]\nopen = true\n')
        n = h.node('n', ['--config', open_conf])
        n.start()
        p = n.gilde('import', exp, '--json', check_rc=False)
        res = json.loads(p.stdout)
        check(p.returncode == 1 and res['accepted'] == 0 and res['rejected'] >= 2,
              'future records were accepted: %r' % res)
        check('in the future' in res['first_error'], 'reason: %r' % res)
        n.stop()

        # expiry and collection: publish now, look again 200 and 400 days later
        env = {'GILDE_FAKE_NOW': str(now)}
        c = h.node('c', env=env)
        c.start()
        files = examples(('offer',))
        c.json('publish', *files)
        doc = json.load(open(files[0]))
        c.gilde('retract', 'offer/' + doc['id'])
        st = c.json('status')
        check(st['retracted'] == 1 and st['records']['offer'] == len(files) - 1, 'before: %r' % st)
        c.stop()
        # 200 days on: the tombstone (kept 180 days) is gone, the offers (365) stay
        c.env = {'GILDE_FAKE_NOW': str(now + 200 * DAY)}
        c.start()
        wait_until(lambda: c.json('status')['retracted'] == 0, 30, 'the old tombstone to be collected')
        check(c.json('status')['records']['offer'] == len(files) - 1, 'live offers were collected')
        c.stop()
        # 400 days on: everything has expired and is collected
        c.env = {'GILDE_FAKE_NOW': str(now + 400 * DAY)}
        c.start()
        wait_until(lambda: c.json('status')['records']['offer'] == 0, 30, 'expired offers to be collected')
        st = c.json('status')['store']
        check(st['entries_records'] == st['entries_items'] == st['entries_expiry'], 'invariants: %r' % st)
        check(c.json('list') == [], 'expired records are still listed')
    print('time: ok')


if __name__ == '__main__':
    run(main)
