#!/usr/bin/env python3
"""A node whose wall clock is set back or forward keeps its links and its
rhythm: durations and deadlines run on the monotonic clock (proto/clock.h).

b's wall clock jumps by an hour at a known moment (GILDE_FAKE_JUMP=M:N:
N seconds, M seconds after b's first reading; its monotonic clock does
not jump), as when NTP or an operator steps it or a VM resumes:

  - set back while its peer a is away: once a is back, b dials it again
    within the bound (before the fix, the retry b had scheduled before
    the jump lay an hour ahead, so b stayed away for an hour);
  - set back, and set forward, while linked: the same link stays open and
    b goes on reconciling on it every interval (before the fix, `now -
    last_rx` wrapped or leapt an hour and b closed the link for an idle
    timeout at once).

b's log lines carry its wall clock: each scenario checks there that the
jump did happen, so the test cannot pass without one.

Waiting for the jump is waiting for a moment the test set itself (the
monotonic time since b started), polled, bounded like every other wait."""
import re
import time

from harness import Harness, TestFailure, SLOW, check, run, wait_until

HOUR = 3600
JUMP_AFTER = int(6 * SLOW)   # s after b starts: time to link, and to stop a
BOUND = 10                   # s (times SLOW): backoff_max is 2 s, recon_interval 2 s

STAMP = re.compile(r'^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3})Z ')


def stamps(node):
    """The wall-clock times of node's log lines, in seconds, in order."""
    out = []
    with open(node.log_path, errors='replace') as f:
        for line in f:
            m = STAMP.match(line)
            if m:
                out.append(time.mktime(time.strptime(m.group(1)[:19], '%Y-%m-%dT%H:%M:%S')))
    return out


def jumped(node, by):
    """Whether node's log shows its wall clock stepped by about `by` s."""
    s = stamps(node)
    if not s:
        return False
    if by < 0:
        return any(t < s[0] + by / 2 for t in s)
    return any(t > s[0] + by / 2 for t in s)


def link(x, y):
    """x's open link to y, once y's HELLO arrived, or None."""
    for p in x.json('peers')['connections']:
        if p['state'] == 'open' and p['key'] == y.key and 'clock_offset_ms' in p:
            return p
    return None


def dialled(x, y):
    """x's address entry for y, if x's own dial to y is connected."""
    for a in x.json('peers')['addresses']:
        if a['address'] == y.addr and a['state'] == 'connected':
            return a
    return None


def pair(h, by):
    """a (dials no learnt address, so only b can restore the link) and b,
    which dials a and whose wall clock jumps by `by` s at JUMP_AFTER."""
    conf_a, key = h.federation_config('a', extra='dial = 0\n')
    conf_b, _ = h.federation_config('b', network_key=key)
    a = h.node('a', ['--config', conf_a])
    a.start()
    b = h.node('b', ['--config', conf_b, '--peer', a.addr, '--log-level', 'debug'],
               env={'GILDE_FAKE_JUMP': '%d:%d' % (JUMP_AFTER, by)})
    started = time.monotonic()  # before b's first reading: the jump is after started + JUMP_AFTER
    b.start()
    up = time.monotonic()       # after it: the jump is by up + JUMP_AFTER
    wait_until(lambda: link(b, a) and link(a, b), 20, 'the link')
    return a, b, started, up


def wait_jump(up):
    wait_until(lambda: time.monotonic() > up + JUMP_AFTER + 0.2, JUMP_AFTER + 5,
               'the moment b\'s clock jumps', interval=0.1)


def check_jumped(b, by, what):
    """b logged a line since (peer-open, recon-done): it shows the jump."""
    check(jumped(b, by), what + ': b\'s log does not show its clock jumped')


def set_back_while_away():
    with Harness('clock-step-away') as h:
        a, b, started, up = pair(h, -HOUR)
        a.stop()
        wait_until(lambda: not link(b, a), 20, 'b to see a gone')
        if time.monotonic() >= started + JUMP_AFTER:
            raise TestFailure('the setup took longer than %d s: the clock jumped before a '
                              'was gone (raise JUMP_AFTER)' % JUMP_AFTER)
        check(not jumped(b, -HOUR), 'b\'s clock jumped before a was gone')
        wait_jump(up)
        a.start()
        wait_until(lambda: dialled(b, a) and link(b, a), BOUND,
                   'b, its clock set back an hour while a was away, to dial a again')
        check_jumped(b, -HOUR, 'away')


def linked(by, label):
    with Harness('clock-step-' + label) as h:
        a, b, started, up = pair(h, by)
        first = link(a, b)
        if time.monotonic() >= started + JUMP_AFTER:
            raise TestFailure('the setup took longer than %d s (raise JUMP_AFTER)' % JUMP_AFTER)
        wait_jump(up)
        before = link(b, a)
        check(before is not None, '%s: b lost its link to a when its clock jumped' % label)
        # two more reconciliations of b's on the same link, a's end unchanged
        want = before['reconciliations'] + 2

        def going_on():
            x, y = link(b, a), link(a, b)
            if not x or not y or y['address'] != first['address']:
                raise TestFailure('%s: the link was closed after b\'s clock jumped:\n%s'
                                  % (label, b.log_tail(15)))
            return x['reconciliations'] >= want
        wait_until(going_on, BOUND, '%s: b to reconcile twice more after its clock jumped' % label)
        check_jumped(b, by, label)


def main():
    failed = []
    for scenario in (set_back_while_away, lambda: linked(-HOUR, 'back'),
                     lambda: linked(HOUR, 'forward')):
        try:
            scenario()
        except TestFailure as e:
            failed.append(str(e))
    check(not failed, '\n'.join(failed))


if __name__ == '__main__':
    run(main)
