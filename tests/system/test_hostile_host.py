#!/usr/bin/env python3
"""What the machine does to a node, and what gilde says about it (issue 24):
a gilded.conf holding the network key that other users can read, and a
store whose map fills up.  gilde status, metrics and doctor must report the
store's real map size (the one gilded opened it with, not a default), the
"map nearly full" warning must fire and a full store must be reported as
full, with the fix."""
import json
import os
import subprocess

from harness import GILDE, SLOW, Harness, check, run, wait_until

ATTACK = os.environ.get('ATTACK', 'attack')


def doctor(node, *extra):
    p = subprocess.run([GILDE, 'doctor', '--data', node.data, '--json', *extra],
                       capture_output=True, text=True, timeout=60 * SLOW)
    return p.returncode, json.loads(p.stdout)


def checks(res, what):
    return [c for c in res['checks'] if c['check'] == what]


def config_readable(h):
    conf, _ = h.federation_config('open')
    a = h.node('confnode', ['--config', conf])
    a.start()
    rc, res = doctor(a)
    check(not [c for c in checks(res, 'config') if c['result'] != 'ok'],
          'a 0600 configuration is fine: %r' % checks(res, 'config'))
    a.stop()
    # readable by the group (root:gilde 0640, as the systemd unit has it): fine too
    os.chmod(conf, 0o640)
    a.start()
    check('config-open' not in open(a.log_path).read(), 'warned about a 0640 file')
    a.stop()
    os.chmod(conf, 0o644)
    a.start()
    log = open(a.log_path).read()
    warned = [l for l in log.split('\n') if 'config-open' in l]
    print('gilded on a 0644 configuration with the network key: %r' % warned)
    check(warned and 'chmod o-r %s' % conf in warned[0] and ' warn ' in warned[0],
          'no warning with the fix for a readable network key: %r' % warned)
    rc, res = doctor(a)
    bad = [c for c in checks(res, 'config') if c['result'] == 'fail']
    print('gilde doctor: %r' % bad)
    check(rc == 1 and bad and 'network_key' in bad[0]['detail'] and
          'chmod o-r %s' % conf in bad[0]['fix'], 'doctor on a readable network key: %r' % res)
    a.stop()
    os.chmod(conf, 0o600)


def map_full(h):
    conf = h.write_config('small', '[store]\nmap_size = 16M\n[federation]\nopen = true\n')
    a = h.node('small', ['--config', conf])
    a.start()
    st = a.json('status')
    print('status of a node with [store] map_size = 16M: map_size %d' % st['store']['map_size'])
    check(st['store']['map_size'] == 16 << 20, 'status reports a map of %d bytes, not 16 MiB' %
          st['store']['map_size'])
    metrics = a.gilde('metrics').stdout
    check('gilde_store_map_size_bytes %d' % (16 << 20) in metrics or
          'gilde_store_map_size_bytes 1.6777216e+07' in metrics,
          'metrics: %r' % [l for l in metrics.split('\n') if 'map_size' in l])
    # fill it: records with text, until the store takes no more
    export = os.path.join(h.dir, 'many.gilde')
    subprocess.run([ATTACK, 'mkexport', export, '40000', '1', 'ordered', 'text'], check=True,
                   capture_output=True, timeout=300 * SLOW)
    p = a.gilde('import', export, check_rc=False, timeout=300)
    print('import into the 16 MiB store: exit %d, %s' % (p.returncode, p.stderr.strip()[-300:]))
    check(p.returncode == 1 and 'full' in p.stderr and 'map_size' in p.stderr,
          'a full store should be reported as such: %r' % p.stderr)
    st = a.json('status')
    used = st['store']['used_bytes']
    print('store used %.1f of %.1f MiB; daemon says: %s' %
          (used / 2**20, st['store']['map_size'] / 2**20, st['daemon'].get('store_error')))
    check('map_size' in st['daemon'].get('store_error', ''), 'status: %r' % st['daemon'])
    rc, res = doctor(a)
    store = checks(res, 'store')
    print('gilde doctor on the full store: %r' % store)
    check(rc == 1 and any(c['result'] == 'fail' and 'map_size' in c.get('fix', '')
                          for c in store), 'doctor on a full store: %r' % store)
    # smaller batches fill what is left, to the brim: then the store's own
    # figures show it (doctor's "nearly full" warning, or "full")
    for i in range(40):
        small = os.path.join(h.dir, 'small-%d.gilde' % i)
        subprocess.run([ATTACK, 'mkexport', small, '300', '1', 'ordered', 'text'], check=True,
                       capture_output=True, timeout=60 * SLOW)
        if a.gilde('import', small, check_rc=False, timeout=120).returncode:
            break
    st = a.json('status')
    used, size = st['store']['used_bytes'], st['store']['map_size']
    rc, res = doctor(a)
    store = [c for c in checks(res, 'store') if not c['detail'].startswith('writes fail')]
    print('filled to the brim: %.1f of %.1f MiB used (%.0f%%); doctor: %r' %
          (used / 2**20, size / 2**20, 100.0 * used / size, store))
    check(used > size * 0.8, 'the store did not fill: %d of %d' % (used, size))
    check(store and store[0]['result'] in ('warn', 'fail') and 'map_size' in store[0]['fix'],
          'doctor on a store over 80%% of its map: %r' % store)
    wait_until(lambda: 'store-failed' in open(a.log_path).read(), 5, 'an error in the log')
    a.stop()


def main():
    with Harness('hostile-host') as h:
        config_readable(h)
        map_full(h)
    print('hostile-host: ok')


if __name__ == '__main__':
    run(main)
