#!/usr/bin/env python3
"""What a hostile peer or partner can make a node write (issue 24): log
lines of its choosing, a refusal of untrusted records switched off by an
endorsement it signs itself, and control characters on the terminal of
whoever runs `gilde list` or `gilde get`.

Each attack runs against a victim beside a well-behaved peer, whose
record must still arrive."""
import json
import os
import re
import subprocess
import time

from harness import SLOW, Harness, check, examples, run, wait_until

ATTACK = os.environ.get('ATTACK', 'attack')
RAWPUT = os.environ.get('RAWPUT', 'rawput')
# a line of gilded's log: time, level, event (daemon/log.h)
LOG_LINE = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (error|warn|info|debug) [a-z][a-z0-9-]*( |$)')


def attack(*args, timeout=120):
    p = subprocess.run([ATTACK] + [str(a) for a in args], capture_output=True, text=True,
                       timeout=timeout * SLOW)
    check(p.returncode == 0, 'attack %s failed: %s %s' % (args[0], p.stdout, p.stderr))
    return json.loads(p.stdout)


def cpu_seconds(pid):
    """User and system CPU time of a process so far."""
    with open('/proc/%d/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def publisher(h, g, news):
    """A function that publishes a news record on g and returns how long
    it took to reach node v."""
    count = [0]

    def synced(v, bound=30):
        count[0] += 1
        d = json.load(open(news[0]))
        d['id'] = 'honest-%d' % count[0]
        path = os.path.join(h.dir, d['id'] + '.json')
        json.dump(d, open(path, 'w'))
        t0 = time.monotonic()
        g.json('publish', path)
        wait_until(lambda: any(r['id'] == d['id'] for r in v.json('list', '--kind', 'news')),
                   bound, 'the honest record %s to reach the victim' % d['id'])
        return time.monotonic() - t0
    return synced


def log_forging(h, conf, netkey, news):
    v = h.node('logvictim', ['--config', conf])
    v.start()
    g = h.node('loghonest', ['--config', conf, '--peer', v.addr])
    g.start()
    synced = publisher(h, g, news)
    synced(v)
    host, port = v.addr.rsplit(':', 1)
    res = attack('peer', host, port, '127.0.0.21', netkey, 'forgelog')
    check(res['records'] == 3, 'forgelog: %r' % res)
    took = synced(v)
    wait_until(lambda: v.json('status')['daemon']['rejected_by']['schema'] >= 3, 10,
               'the victim to reject the three records')
    log = open(v.log_path, errors='replace').read()
    forged = [l for l in log.split('\n') if 'FORGED-LINE' in l and not LOG_LINE.match(l)]
    strays = [l for l in log.split('\n') if l and not LOG_LINE.match(l)]
    print('log forging: %d lines a peer wrote, %d lines not gilded\'s; honest record in %.2fs'
          % (len(forged), len(strays), took))
    check(not forged, 'a peer wrote lines into the log: %r' % forged[:3])
    check(not strays, 'lines that are not one event each: %r' % strays[:3])
    check(any('FORGED-LINE' in l and '\\x0a' in l for l in log.split('\n')),
          'the rejected text should be in the log, escaped')
    check(took < 2 * SLOW, 'the honest record took %.2fs' % took)
    g.stop()
    v.stop()


def self_endorsement(h, netkey, news):
    """A curated victim refuses an unendorsed key's records before checking
    their signatures; the key's endorsement of itself in every frame must
    not change that.  Every frame also carries a damaged signature: checked,
    it would be counted and the sender banned."""
    first = h.node('curator')
    curator = first.first_key()
    conf = h.write_config('curated', '[federation]\nnetwork_key = %s\ncurator = %s\n'
                          'recon_interval = 2s\n[peers]\nbackoff_max = 2s\n' % (netkey, curator))
    v = h.node('curvictim', ['--config', conf])
    v.start()
    host, port = v.addr.rsplit(':', 1)
    n = 20000
    before = v.json('status')['daemon']['rejected_by']
    cpu0 = cpu_seconds(v.proc.pid)
    res = attack('peer', host, port, '127.0.0.22', netkey, 'selfendorse', n)
    check(res['records'] >= n, 'selfendorse: %r' % res)
    # every record refused, or (as before the fix) the sender banned for the
    # damaged signatures once they were checked
    wait_until(lambda: v.json('status')['daemon']['rejected'] >= n or
               any(b['ip'] == '127.0.0.22' for b in v.json('peers')['banned']), 60,
               'the victim to refuse the records')
    cpu = cpu_seconds(v.proc.pid) - cpu0
    after = v.json('status')['daemon']['rejected_by']
    banned = any(b['ip'] == '127.0.0.22' for b in v.json('peers')['banned'])
    print('self-endorsement: %d records refused with %.2fs of CPU (%.0f us each); signatures '
          'checked %d, untrusted %d' % (n, cpu, cpu * 1e6 / n,
                                        after['signature'] - before['signature'],
                                        after['untrusted'] - before['untrusted']))
    check(after['signature'] == before['signature'],
          'the self-endorsement made the victim check %d signatures' %
          (after['signature'] - before['signature']))
    check(after['untrusted'] - before['untrusted'] >= n, 'refused: %r' % after)
    check(not banned, 'refused unread, the records are no forgery: no ban')
    v.stop()


def terminal(h, news):
    a = h.node('termnode')
    a.start()
    d = json.load(open([p for p in examples(('partner',))][0]))
    d['id'] = 'esc'
    d['name'] = {'nl': 'Naam\x1b[2K\rnews/forged\tby\tsomeone', 'en': 'Name\x1b]0;t\x07\u009b2J'}
    path = os.path.join(h.dir, 'esc.json')
    json.dump(d, open(path, 'w'))
    # today's schemas refuse such a name: check that they do, then put it
    # in as an older node would have stored it (tests/tools/rawput.c)
    check(a.gilde('publish', path, check_rc=False).returncode == 1,
          'the schema took a name with control characters')
    subprocess.run([RAWPUT, a.data, path], check=True, capture_output=True, timeout=60 * SLOW)
    outs = {'list': a.gilde('list', '--lang', 'nl').stdout + a.gilde('list').stdout,
            'get': a.gilde('get', 'partner/esc').stdout + a.gilde('get', 'partner/esc',
                                                                   '--lang', 'nl').stdout}
    for cmd, out in outs.items():
        bad = [c for c in out if (ord(c) < 32 and c not in '\n\t') or 0x7f <= ord(c) <= 0x9f]
        print('gilde %s into a pipe: %d control characters' % (cmd, len(bad)))
        check(not bad, 'gilde %s printed control characters: %r' % (cmd, out))
    lines = [l for l in outs['list'].split('\n') if l.startswith('partner/esc')]
    check(len(lines) == 2 and all(l.count('\t') == 2 for l in lines),
          'a name split a list line: %r' % outs['list'])
    check('news/forged' not in [l.split('\t')[0] for l in outs['list'].split('\n')],
          'a forged list line')
    a.stop()


def main():
    news = examples(('news',))
    with Harness('hostile-text') as h:
        conf, netkey = h.federation_config()
        log_forging(h, conf, netkey, news)
        self_endorsement(h, netkey, news)
        terminal(h, news)
    print('hostile-text: ok')


if __name__ == '__main__':
    run(main)
