#!/usr/bin/env python3
"""The README's main job: contrib/quickstart.sh, run with the programs of
this build, starts the Ghent sample federation (the city curating, one
node per organisation) on the ports it is given, shows its progress,
waits until every node holds the whole directory, prints a starter's
to-do list from a partner's node and the same list from the city's web
API, and leaves the federation running where gilde finds it (gilde's
default data directory is the city's node; gilde is linked into
~/.local/bin).  `contrib/quickstart.sh --stop` then stops every node and
removes what it made.  A home of its own, so nothing of the user's is
touched."""
import glob
import json
import os
import random
import re
import shutil
import socket
import subprocess
import tempfile
import urllib.request

from harness import GILDE, GILDED, SLOW, SOURCE, TestFailure, check, run

SCRIPT = os.path.join(SOURCE, 'contrib', 'quickstart.sh')


def free_block(n):
    """A base port with n free ports after it, and a free web port, below
    the range the kernel hands out for port 0 (so daemons of other tests
    never take them)."""
    for _ in range(50):
        base = random.randrange(20000, 30000 - n)
        web = random.randrange(30000, 32000)
        ports = list(range(base, base + n)) + [web]
        taken = False
        for p in ports:
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(('127.0.0.1', p))
            except OSError:
                taken = True
            finally:
                s.close()
            if taken:
                break
        if not taken:
            return base, web
    raise TestFailure('no block of %d free ports found' % n)


def sample_env(home):
    """The environment of a newcomer whose home is home: ~/.local/bin on the
    PATH (Debian's ~/.profile puts it there), this build's programs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith('XDG_')}
    env.update(HOME=home, GILDED=GILDED, GILDE=GILDE,
               PATH=os.path.join(home, '.local', 'bin') + ':' + os.environ['PATH'])
    return env


def start_sample(env, *args, tries=3):
    """Run quickstart.sh with args; (output, base, web).  Ports another
    program took meanwhile make it try again on others."""
    n = len(glob.glob(os.path.join(SOURCE, 'contrib', 'ghent', '*', 'partner.json'))) + 1
    for attempt in range(tries):
        base, web = free_block(n + 1)
        try:
            p = subprocess.run(['bash', SCRIPT, '--ports', str(base), '--web', str(web)] +
                               list(args), capture_output=True, text=True, env=env,
                               stdin=subprocess.DEVNULL, timeout=300 * SLOW)
        except subprocess.TimeoutExpired as e:
            raise TestFailure('quickstart.sh did not finish in %ds:\n%s' % (300 * SLOW, e.stdout))
        if p.returncode != 0 and 'is taken' in p.stderr and attempt + 1 < tries:
            continue
        check(p.returncode == 0, 'quickstart.sh exited %d:\n%s\n%s' %
              (p.returncode, p.stdout[-3000:], p.stderr[-3000:]))
        return p.stdout, base, web
    raise TestFailure('quickstart.sh found its ports taken %d times' % tries)


def left_running(home):
    """The pids of gilded processes whose command line names this home."""
    out = subprocess.run(['pgrep', '-f', 'gilded --data %s/' % home], capture_output=True,
                         text=True)
    return out.stdout.split()


def main():
    home = tempfile.mkdtemp(prefix='gq-')
    env = sample_env(home)
    state = os.path.join(home, '.local', 'state', 'gilde-sample')
    try:
        # a port in use is found before anything starts, and named with a way out
        base, web = free_block(2)
        busy = socket.socket()
        busy.bind(('127.0.0.1', web))
        busy.listen()
        p = subprocess.run(['bash', SCRIPT, '--ports', str(base), '--web', str(web)],
                           capture_output=True, text=True, env=env, timeout=120 * SLOW)
        busy.close()
        check(p.returncode == 1 and 'port %d on 127.0.0.1 is taken' % web in p.stderr and
              '--ports' in p.stderr and left_running(home) == [], 'a taken port: %d %r' %
              (p.returncode, p.stderr))
        out, base, web = start_sample(env)
        orgs = [d for d in glob.glob(os.path.join(SOURCE, 'contrib', 'ghent', '*'))
                if os.path.isfile(os.path.join(d, 'partner.json'))]
        records = sum(len(glob.glob(os.path.join(d, '*.json'))) for d in orgs)
        # progress, and the ports it was given
        check('%d nodes on 127.0.0.1, ports %d to %d' % (len(orgs), base, base + len(orgs) - 1)
              in out, 'no ports line:\n' + out[:2000])
        check('nodes up %d/%d' % (len(orgs), len(orgs)) in out, 'no nodes-up progress:\n' + out[:2000])
        check('records converged on %d/%d' % (len(orgs), len(orgs)) in out,
              'no convergence progress:\n' + out[:3000])
        check('every node holds all %d records' % records in out,
              'the federation did not converge on %d records:\n%s' % (records, out[-2000:]))
        # the to-do list twice: from gilde match on a partner's node, and from the web API
        web_part = out.split("the city's web API")[-1]
        items = re.findall(r'^\d+\. (.+?)\s{2,}(.+)$', web_part, re.M)
        check(len(items) == 3, 'the web API printed %d to-do items, expected 3:\n%s' %
              (len(items), web_part))
        for label, offers in items:
            check(label.strip() in out.split("the city's web API")[0],
                  'the web item "%s" is not in gilde match\'s list' % label.strip())
            check('(no offer yet)' not in offers, 'the web list has an empty item: ' + label)
        check("the starter's page: http://127.0.0.1:%d/" % web in out, 'no page address')
        check('contrib/quickstart.sh --stop' in out, 'it does not say how to stop it')

        # it keeps running, where a plain `gilde` finds it: on the PATH, no --data
        check(len(left_running(home)) == len(orgs), 'not every node runs on: %r' % left_running(home))
        st = json.loads(subprocess.run(['gilde', 'status', '--json'], capture_output=True,
                                       text=True, env=env, timeout=30 * SLOW, check=True).stdout)
        check(st['name'] == 'stad-gent' and st['daemon']['listen'] == '127.0.0.1:%d' % base and
              st['daemon']['web']['listen'] == '127.0.0.1:%d' % web, 'gilde status: %r' % st)
        check(os.path.realpath(shutil.which('gilde', path=env['PATH'])) == os.path.realpath(GILDE),
              'the gilde on the PATH is not this build\'s')
        page = urllib.request.urlopen('http://127.0.0.1:%d/' % web, timeout=30).read()
        check(b'<html' in page.lower(), 'the page is not served')

        # stopped: nothing left running, nothing left but the links in ~/.local/bin
        p = subprocess.run(['bash', SCRIPT, '--stop'], capture_output=True, text=True, env=env,
                           timeout=120 * SLOW)
        check(p.returncode == 0 and 'stopped' in p.stdout, '--stop: %s %s' % (p.stdout, p.stderr))
        check(left_running(home) == [], 'quickstart --stop left processes running: %r' %
              left_running(home))
        check(not os.path.exists(state), 'the sample\'s folder is still there')
        check(not os.path.lexists(os.path.join(home, '.local', 'share', 'gilde')),
              'gilde\'s default data directory still points at the sample')
        p = subprocess.run(['bash', SCRIPT, '--stop'], capture_output=True, text=True, env=env,
                           timeout=60)
        check(p.returncode == 0 and 'nothing to stop' in p.stdout, 'a second --stop: %r' % p.stdout)
    finally:
        for pid in left_running(home):
            subprocess.run(['kill', pid])
    shutil.rmtree(home)
    print('quickstart: ok (%d organisations, %d records)' % (len(orgs), records))


if __name__ == '__main__':
    run(main)
