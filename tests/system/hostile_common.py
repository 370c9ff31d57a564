"""What the hostile suites share (test_hostile_*.py, issue 24): running the
attack tool, an honest peer whose records are timed, control calls timed,
and the figures every attack is held to while it runs:

  - the honest peer's record arrives within HONEST_S (2 s),
  - a control call answers within CONTROL_S (0.5 s),
  - anonymous memory stays under RSS_ANON_MAX_KB (128 MiB),
  - the attacker is banned or throttled within HELD_S (10 s).

The times are multiplied by GILDE_TEST_SLOW (sanitized builds run several
times slower); under the sanitizers the memory bound is 1 GiB, as ASan's
shadow and quarantine are most of it."""
import json
import os
import subprocess
import time

from harness import SLOW, check, examples, memory, wait_until

ATTACK = os.environ.get('ATTACK', 'attack')
SANITIZED = os.environ.get('GILDE_SANITIZED') == '1'
HONEST_S = 2.0
CONTROL_S = 0.5
HELD_S = 10.0
RSS_ANON_MAX_KB = (1024 if SANITIZED else 128) * 1024


def attack(*args, timeout=180):
    p = subprocess.run([ATTACK] + [str(a) for a in args], capture_output=True, text=True,
                       timeout=timeout * SLOW)
    check(p.returncode == 0, 'attack %s failed: %s %s' % (args[0], p.stdout, p.stderr))
    return json.loads(p.stdout)


def attack_bg(*args):
    """Start the attack tool; finish(p) waits for it and reads its answer."""
    return subprocess.Popen([ATTACK] + [str(a) for a in args], stdout=subprocess.PIPE, text=True)


def finish(p, timeout=120):
    out, _ = p.communicate(timeout=timeout * SLOW)
    check(p.returncode == 0, 'attack failed: %r' % out)
    return json.loads(out)


def group(c):
    """The address group of a connection in `gilde peers --json`."""
    return c.get('group', c['address'].rsplit(':', 1)[0])


def control_call(v):
    t0 = time.monotonic()
    v.json('peers')
    return time.monotonic() - t0


def link_with(v, key):
    return any(c['key'] == key and c['state'] == 'open' for c in v.json('peers')['connections'])


class Honest:
    """Publish on g; time the arrival on v, looked up by key (a listing
    would time the listing)."""

    def __init__(self, h, g, v, name='honest'):
        self.h, self.g, self.v, self.name, self.n = h, g, v, name, 0
        self.news = json.load(open(examples(('news',))[0]))

    def record(self, bound=60):
        self.n += 1
        d = dict(self.news, id='%s-%d' % (self.name, self.n))
        path = os.path.join(self.h.dir, d['id'] + '.json')
        json.dump(d, open(path, 'w'))
        t0 = time.monotonic()
        self.g.json('publish', path)
        wait_until(lambda: self.v.gilde('get', 'news/' + d['id'], '--author', self.g.key,
                                        check_rc=False).returncode == 0,
                   bound, 'the honest record %s' % d['id'], interval=0.05)
        return time.monotonic() - t0


class Figures:
    """The worst of the figures while an attack runs: sample() now and then."""

    def __init__(self, what, honest, v):
        self.what, self.honest, self.v = what, honest, v
        self.record = self.control = 0.0
        self.rss = 0
        self.t0 = time.monotonic()
        self.held = {}

    def sample(self, attackers=()):
        """One round: an honest record, a control call, the memory, and for
        each attacker group whether it is banned, gone or throttled."""
        self.record = max(self.record, self.honest.record())
        self.control = max(self.control, control_call(self.v))
        self.rss = max(self.rss, memory(self.v.proc.pid)['RssAnon'])
        peers = self.v.json('peers')
        banned = {b['ip'] for b in peers['banned']}
        for src in attackers:
            c = [c for c in peers['connections'] if group(c) == src]
            if src not in self.held and (src in banned or not c or
                                         c[0].get('throttled') or c[0].get('have_dropped')):
                self.held[src] = time.monotonic() - self.t0

    def report(self, attackers=(), extra=''):
        held = [self.held.get(s, -1) for s in attackers]
        print('%s: honest record within %.2fs, control call %.2fs, RssAnon %d KiB%s%s' %
              (self.what, self.record, self.control, self.rss,
               ', attackers held back after %s s' % ', '.join('%.1f' % x for x in held)
               if attackers else '', extra))
        check(self.record < HONEST_S * SLOW, '%s: an honest record took %.2fs' %
              (self.what, self.record))
        check(self.control < CONTROL_S * SLOW, '%s: a control call took %.2fs' %
              (self.what, self.control))
        check(self.rss < RSS_ANON_MAX_KB, '%s: RssAnon %d KiB' % (self.what, self.rss))
        check(all(0 <= x < HELD_S * SLOW for x in held),
              '%s: attackers not banned or throttled within %ds: %r' % (self.what, HELD_S, held))
