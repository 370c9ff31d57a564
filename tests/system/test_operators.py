#!/usr/bin/env python3
"""For operators: `gilde metrics` is valid Prometheus text with the figures
the daemon reports; `gilde doctor` finds what is wrong (key permissions,
an unreachable peer, a peer's clock off) and says so in its exit status;
SIGHUP applies a new peer without a restart and keeps the running
configuration when the new one does not parse; [log] syslog parses."""
import json
import os
import re
import signal
import socket
import subprocess
import time

from harness import GILDE, Harness, check, examples, run, wait_until

SKEW = 30  # seconds b's clock runs ahead

# The text exposition format, version 0.0.4: a metric name, optional labels,
# a value; # HELP and # TYPE lines before a family's samples.
NAME = r'[a-zA-Z_:][a-zA-Z0-9_:]*'
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\\\|\\"|\\n)*"'
SAMPLE = re.compile(r'^(%s)(\{(?:%s)(?:,%s)*\})? (-?[0-9.eE+-]+|NaN|\+Inf|-Inf)$' % (NAME, LABEL, LABEL))
TYPES = {'counter', 'gauge', 'histogram', 'summary', 'untyped'}


def parse_prometheus(text):
    """Parse strictly; return {(name, labels): value}.  Fails on anything
    a Prometheus server would reject or that breaks the conventions."""
    types, helps, series = {}, set(), {}
    seen_families = []
    for i, line in enumerate(text.split('\n')):
        where = 'line %d: %r' % (i + 1, line)
        if line == '':
            check(i == len(text.split('\n')) - 1, 'empty line inside: ' + where)
            continue
        if line.startswith('# HELP '):
            name = line.split(' ')[2]
            check(re.fullmatch(NAME, name), 'bad name: ' + where)
            check(name not in helps, 'second HELP: ' + where)
            helps.add(name)
            continue
        if line.startswith('# TYPE '):
            parts = line.split(' ')
            check(len(parts) == 4 and parts[3] in TYPES, 'bad TYPE: ' + where)
            check(parts[2] not in types, 'second TYPE: ' + where)
            types[parts[2]] = parts[3]
            seen_families.append(parts[2])
            continue
        check(not line.startswith('#'), 'stray comment: ' + where)
        m = SAMPLE.match(line)
        check(m, 'not a sample line: ' + where)
        name, labels, value = m.group(1), m.group(2) or '', float(m.group(3))
        check(name in types, 'sample before its TYPE: ' + where)
        check(seen_families[-1] == name, 'family interleaved: ' + where)
        if types[name] == 'counter':
            check(name.endswith('_total'), 'counter without _total: ' + where)
            check(value >= 0, 'negative counter: ' + where)
        key = (name, labels)
        check(key not in series, 'duplicate series: ' + where)
        series[key] = value
    return series


def metrics(node, check_rc=True):
    p = node.gilde('metrics', check_rc=check_rc)
    return parse_prometheus(p.stdout)


def doctor(node, *extra):
    p = subprocess.run([GILDE, 'doctor', '--data', node.data, '--json', *extra],
                       capture_output=True, text=True, timeout=60)
    res = json.loads(p.stdout)
    return p.returncode, res


def results(res, what):
    return [c for c in res['checks'] if c['check'] == what]


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def main():
    with Harness('operators') as h:
        conf, _ = h.federation_config()
        a = h.node('a', ['--config', conf])
        a.start()
        b = h.node('b', ['--config', conf, '--peer', a.addr],
                   env={'GILDE_FAKE_NOW': str(int(time.time()) + SKEW)})
        b.start()
        wait_until(lambda: any(p['state'] == 'open' and 'clock_offset_ms' in p
                               for p in a.json('peers')['connections']), 20, 'a and b to connect')
        a.json('publish', *examples(('partner', 'offer')))
        # b's node record, the one record b has to send, reaches a at the
        # link's first reconciliation or one ~12 s later (made while the link
        # was in its handshake): the metrics and the status read below, one
        # after the other, must count the same records
        wait_until(lambda: any(r['author'] == b.key and r['kind'] == 'node'
                               for r in a.json('list', '--all')), 30, 'a to hold b\'s node record')

        # ---- metrics
        m = metrics(a)
        check(m[('gilde_up', '')] == 1, 'gilde_up')
        st = a.json('status')
        for kind, n in st['records'].items():
            check(m[('gilde_records', '{kind="%s"}' % kind)] == n,
                  'records of kind %s: metrics %r, status %r' % (kind, m.get(('gilde_records', '{kind="%s"}' % kind)), n))
        check(m[('gilde_published_total', '')] == st['daemon']['published'], 'published')
        # memory: the daemon's own and of files, each a real share of a live process
        own, files = m[('gilde_memory_bytes', '{kind="anonymous"}')], m[('gilde_memory_bytes', '{kind="file"}')]
        check(own > 0 and files > 0 and m[('gilde_memory_peak_bytes', '')] >= own + files * 0.5,
              'memory metrics: %r %r %r' % (own, files, m[('gilde_memory_peak_bytes', '')]))
        check(('gilde_store_map_releases_total', '') in m, 'map releases counted')
        check(m[('gilde_peers', '{direction="in"}')] + m[('gilde_peers', '{direction="out"}')] == 1,
              'one peer')
        off = [v for (name, labels), v in m.items()
               if name == 'gilde_peer_clock_offset_seconds' and b.key in labels]
        check(len(off) == 1 and SKEW - 5 < off[0] < SKEW + 5, 'clock offset of b: %r' % off)
        check(any(name == 'gilde_peer_received_bytes_total' and b.key in labels and v > 0
                  for (name, labels), v in m.items()), 'bytes from b')

        # rejects by reason: a record whose signature was damaged
        exp = os.path.join(h.dir, 'a.gilde')
        a.gilde('export', exp)
        data = bytearray(open(exp, 'rb').read())
        data[len(data) - 5] ^= 0x01
        bad = os.path.join(h.dir, 'bad.gilde')
        open(bad, 'wb').write(bytes(data))
        c = h.node('c', ['--config', conf])
        c.start()
        before = metrics(c)[('gilde_rejected_total', '{reason="signature"}')]
        p = c.gilde('import', '--json', bad, check_rc=False)
        res = json.loads(p.stdout)
        check(p.returncode == 1 and res['rejected'] == 1, 'damaged import: %r' % res)
        after = metrics(c)
        check(after[('gilde_rejected_total', '{reason="signature"}')] == before + 1,
              'rejected by signature: %r -> %r' % (before, after[('gilde_rejected_total', '{reason="signature"}')]))
        check(c.json('status')['daemon']['rejected_by']['signature'] == before + 1, 'status rejected_by')
        c.stop()
        m = metrics(c)
        check(m[('gilde_up', '')] == 0 and ('gilde_uptime_seconds', '') not in m,
              'stopped daemon: gilde_up 0 and no daemon figures')
        check(m[('gilde_records', '{kind="offer"}')] > 0, 'stopped daemon: store figures still there')

        # ---- doctor
        rc, res = doctor(a)
        check(rc == 0, 'doctor on a healthy node with a skewed peer: exit %d %r' % (rc, res))
        for what in ('data', 'key', 'store', 'config', 'daemon'):
            check([x['result'] for x in results(res, what)] == ['ok'],
                  'doctor %s: %r' % (what, results(res, what)))
        clock = results(res, 'clock')
        check(len(clock) == 1 and clock[0]['result'] == 'warn' and 'fix' in clock[0],
              'doctor should warn about b\'s clock: %r' % clock)
        key = os.path.join(a.data, 'identity.key')
        os.chmod(key, 0o644)
        try:
            rc, res = doctor(a)
            check(rc == 1 and results(res, 'key')[0]['result'] == 'fail',
                  'a readable key must fail: %r' % res)
        finally:
            os.chmod(key, 0o600)
        # a configured peer nobody listens on
        dead = '127.0.0.1:%d' % free_port()
        d = h.node('d', ['--config', conf, '--peer', dead])
        d.start()
        wait_until(lambda: any(x['address'] == dead and x['failures'] >= 1
                               for x in d.json('peers')['addresses']), 20, 'd to fail to dial')
        rc, res = doctor(d)
        peer = [x for x in results(res, 'peer') if dead in x['detail']]
        check(rc == 1 and peer and peer[0]['result'] == 'fail', 'unreachable peer: %r' % res)
        d.stop()
        rc, res = doctor(d)
        check(rc == 1 and results(res, 'daemon')[0]['result'] == 'fail', 'stopped daemon: %r' % res)
        # a configuration that does not parse, named by doctor
        broken = h.write_config('broken', '[node]\nlisten = 127.0.0.1:0\nbogus = 1\n')
        rc, res = doctor(a, '--config', broken)
        cf = results(res, 'config')
        check(rc == 1 and cf[0]['result'] == 'fail' and 'broken.conf:3' in cf[0]['detail'] and
              'bogus' in cf[0]['detail'], 'broken config: %r' % cf)

        # ---- quiet in steady state: three reconciliations with b, no log line
        def recons():
            return sum(p['reconciliations'] for p in a.json('peers')['connections']
                       if p['key'] == b.key)
        lines = len(open(a.log_path, errors='replace').readlines())
        r0 = recons()
        wait_until(lambda: recons() >= r0 + 3, 30, 'three more reconciliations with b')
        new = open(a.log_path, errors='replace').readlines()[lines:]
        check(not new, 'a logs in steady state at the default level: %r' % new[:5])

        # ---- SIGHUP: a new peer without a restart; a broken file is ignored
        e = h.node('e', ['--config', conf])
        e.start()
        pid = a.proc.pid
        netkey = open(conf).read()
        with open(conf, 'a') as f:
            f.write('peer = %s\n' % e.addr)
        a.proc.send_signal(signal.SIGHUP)
        wait_until(lambda: any(p['key'] == e.key and p['state'] == 'open'
                               for p in a.json('peers')['connections']), 20, 'a to dial e after SIGHUP')
        check(a.json('status')['daemon']['pid'] == pid, 'a restarted')
        check(any(p['key'] == b.key for p in a.json('peers')['connections']), 'a dropped b')
        with open(conf, 'a') as f:
            f.write('[limits]\nidle_timeout = soon\n')
        a.proc.send_signal(signal.SIGHUP)
        wait_until(lambda: 'reload-failed' in a.log_tail(40), 20, 'a to refuse the broken file')
        check('idle_timeout' in a.log_tail(40), 'the reload error names the option')
        check(a.json('status')['daemon']['pid'] == pid and
              any(p['key'] == e.key for p in a.json('peers')['connections']),
              'a must keep running with the old configuration')
        with open(conf, 'w') as f:
            f.write(netkey)

        # ---- [log] syslog is an option like the others
        sl = h.write_config('syslog', '[log]\nsyslog = true\nlevel = warn\n')
        p = subprocess.run([os.environ.get('GILDED', 'gilded'), '--check-config', '--config', sl],
                           capture_output=True, text=True, timeout=30)
        check(p.returncode == 0 and 'syslog = true' in p.stdout, 'syslog option: %r' % (p,))
        f = h.node('f', ['--config', sl, '--listen', '127.0.0.1:0'])
        f.start()
        check(f.json('status')['daemon']['running'], 'a node logging to syslog runs')
        f.stop()
        print('operators: metrics parse and match, doctor finds four faults, SIGHUP applies and '
              'refuses, syslog option')


if __name__ == '__main__':
    run(main)
