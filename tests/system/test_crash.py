#!/usr/bin/env python3
"""Crash safety: gilded is killed with SIGKILL at random moments while it
takes in a large import, twenty times.  After every restart the store
opens, every record whose batch the daemon acknowledged is there, the
store's invariants hold (nothing half-written), and every record still
verifies; at the end, reconciliation with a peer that holds everything
completes the rest."""
import json
import os
import random
import signal
import subprocess
import time

from harness import SLOW, Harness, check, run, wait_until

ATTACK = os.environ.get('ATTACK', 'attack')
N = 40000
KILLS = 20


def main():
    rng = random.Random(20261123)
    with Harness('crash') as h:
        exp = os.path.join(h.dir, 'big.gilde')
        gen = json.loads(subprocess.run([ATTACK, 'mkexport', exp, str(N)], capture_output=True,
                                        text=True, check=True, timeout=300).stdout)
        author = gen['author']
        conf, _ = h.federation_config()
        # how long a whole import takes on this build and machine: the kills
        # fall inside that, so that they hit the import however fast it is
        timing = h.node('timing', ['--config', conf])
        timing.start()
        t0 = time.monotonic()
        check(timing.json('import', exp)['accepted'] == N, 'timing import')
        whole = time.monotonic() - t0
        timing.stop()
        t = h.node('t', ['--config', conf])
        # gilde import sends the records in key order (the file is one
        # chunk): flood-0, flood-1, flood-10, flood-100, ...
        sent = sorted('flood-%d' % i for i in range(N))
        acked = 0     # records in batches the daemon answered, in that order
        kills = interrupted = 0
        for round_ in range(KILLS):
            t.start()
            st = t.json('status')['store']
            check(st['entries_records'] == st['entries_items'] == st['entries_expiry'],
                  'round %d: store invariants broken: %r' % (round_, st))
            have = {r['id'] for r in t.json('list', '--author', author)}
            missing = [i for i in sent[:acked] if i not in have]
            check(not missing, 'round %d: %d acknowledged records lost (first %s)' %
                  (round_, len(missing), missing[0] if missing else '-'))
            imp = subprocess.Popen([os.environ.get('GILDE', 'gilde'), 'import', '--data', t.data,
                                    '--json', exp], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True)
            time.sleep(rng.uniform(0.05, 0.9) * whole)
            t.proc.send_signal(signal.SIGKILL)
            t.proc.wait()
            t.proc = None
            kills += 1
            out, _ = imp.communicate(timeout=60 * SLOW)
            try:
                res = json.loads(out)
                acked = max(acked, res['accepted'] + res['older'])
                interrupted += 'error' in res
            except ValueError:
                interrupted += 1  # killed before any answer
        check(kills == KILLS, 'kills: %d' % kills)
        check(interrupted >= KILLS // 2, 'only %d of %d kills hit the import' % (interrupted, kills))
        # after the last kill: everything acknowledged is there and verifies
        t.start()
        have = {r['id'] for r in t.json('list', '--author', author)}
        check(all(i in have for i in sent[:acked]), 'acknowledged records lost at the end')
        check(acked > 0, 'no batch was ever acknowledged: kills came too early')
        dump = os.path.join(h.dir, 't.gilde')
        t.gilde('export', dump)
        v = h.node('verify', ['--config', conf])
        v.start()
        res = v.json('import', dump)
        check(res['rejected'] == 0, 'records that do not verify after the crashes: %r' % res)
        v.stop()
        # a peer holding everything: reconciliation completes the rest
        s = h.node('s', ['--config', conf])
        s.start()
        res = s.json('import', exp)
        check(res['accepted'] == N, 's: %r' % res)
        t.stop()
        t.start(extra=['--peer', s.addr])
        wait_until(lambda: len(t.json('list', '--author', author)) == N, 120,
                   'reconciliation to complete the interrupted import')
        print('crash: %d kills, %d during the import, %d records acknowledged, all kept' %
              (kills, interrupted, acked))
    print('crash: ok')


if __name__ == '__main__':
    run(main)
