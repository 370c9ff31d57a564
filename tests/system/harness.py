"""System-test harness: start real gilded processes on loopback, drive them
with the real gilde, and always stop them, even when a test fails.

Every wait polls with a deadline (wait_until); nothing sleeps blindly.
Daemons listen on port 0, so tests running in parallel never collide;
each daemon reports the port it got through `gilde status --json`.
"""
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

GILDED = os.environ.get('GILDED', 'gilded')
GILDE = os.environ.get('GILDE', 'gilde')
SOURCE = os.environ.get('GILDE_SOURCE_ROOT', os.path.join(os.path.dirname(__file__), '..', '..'))
# Sanitizer builds run several times slower; every bound scales with this.
SLOW = float(os.environ.get('GILDE_TEST_SLOW', '1'))


class TestFailure(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise TestFailure(msg)


def wait_until(fn, timeout, what, interval=0.05):
    """Poll fn() until it returns a true value, for at most timeout seconds."""
    deadline = time.monotonic() + timeout * SLOW
    last = None
    while True:
        last = fn()
        if last:
            return last
        if time.monotonic() >= deadline:
            raise TestFailure('timed out after %.1fs waiting for %s' % (timeout * SLOW, what))
        time.sleep(interval)


class Node:
    def __init__(self, harness, name, args=(), env=None):
        self.h = harness
        self.name = name
        self.data = os.path.join(harness.dir, name)
        self.args = list(args)
        self.env = env
        self.proc = None
        self.log_path = os.path.join(harness.dir, name + '.log')
        self.addr = None
        self.key = None

    # -- the daemon ----------------------------------------------------------
    def start(self, extra=(), expect_fail=False, timeout=20):
        check(self.proc is None, self.name + ' already running')
        cmd = [GILDED, '--data', self.data, '--name', self.name]
        if not any(a.startswith('--listen') or a == '-l' for a in self.args + list(extra)):
            # a restarted node comes back on its port, as a real one would
            cmd += ['--listen', self.addr or '127.0.0.1:0']
        cmd += self.args + list(extra)
        env = dict(os.environ)
        if self.env:
            env.update(self.env)
        log = open(self.log_path, 'a')
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=log, env=env,
                                     start_new_session=True)
        log.close()
        if expect_fail:
            try:
                rc = self.proc.wait(timeout=timeout * SLOW)
            except subprocess.TimeoutExpired:
                raise TestFailure(self.name + ' started although it should have refused')
            self.proc = None
            return rc
        def up():
            if self.proc.poll() is not None:
                raise TestFailure('%s exited with %d at start:\n%s' %
                                  (self.name, self.proc.returncode, self.log_tail()))
            st = self.gilde('status', '--json', check_rc=False)
            if st.returncode != 0:
                return None
            doc = json.loads(st.stdout)
            d = doc.get('daemon', {})
            if d.get('running') and d.get('pid') == self.proc.pid:
                return doc
            return None
        doc = wait_until(up, timeout, self.name + ' to answer on its control socket')
        self.key = doc['key']
        self.addr = doc['daemon'].get('listen')
        return doc

    def stop(self, sig=signal.SIGTERM, timeout=20, expect_rc=0):
        if self.proc is None:
            return None
        self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout=timeout * SLOW)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            self.proc = None
            raise TestFailure('%s did not stop within %ss after %s:\n%s' %
                              (self.name, timeout * SLOW, signal.Signals(sig).name, self.log_tail()))
        self.proc = None
        if expect_rc is not None and rc != expect_rc:
            raise TestFailure('%s exited with %d (expected %d):\n%s' %
                              (self.name, rc, expect_rc, self.log_tail()))
        return rc

    def first_key(self):
        """Start once on our own to create the key, stop, and return it, so
        that configurations naming this node's key can be written first."""
        self.start()
        key = self.key
        self.stop()
        return key

    def kill(self):
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, n=40):
        try:
            with open(self.log_path, errors='replace') as f:
                return ''.join(f.readlines()[-n:])
        except OSError:
            return '(no log)'

    # -- the client ----------------------------------------------------------
    def gilde(self, *args, check_rc=True, input=None, timeout=60):
        cmd = [GILDE] + list(args[:1]) + ['--data', self.data] + list(args[1:])
        env = None
        if self.env:
            env = dict(os.environ)
            env.update(self.env)
        p = subprocess.run(cmd, capture_output=True, text=input is None or isinstance(input, str),
                           input=input, timeout=timeout * SLOW, env=env)
        if check_rc and p.returncode != 0:
            raise TestFailure('gilde %s exited %d:\n%s%s' % (' '.join(args), p.returncode,
                                                               p.stdout, p.stderr))
        return p

    def json(self, *args):
        p = self.gilde(*args, '--json')
        try:
            return json.loads(p.stdout)
        except ValueError:
            raise TestFailure('gilde %s --json printed no JSON:\n%s' % (' '.join(args), p.stdout))

    def listing(self, *extra, everything=True):
        """A comparable view of `gilde list --json` (with --all unless
        everything is false: a node's own node record changes when its
        port does)."""
        args = ['--all'] if everything else []
        return sorted((r['author'], r['kind'], r['id'], r['version'], r['content_id'])
                      for r in self.json('list', *(args + list(extra))))


class Harness:
    """Use as a context manager: every node is stopped on the way out."""

    def __init__(self, name):
        self.name = name
        self.dir = tempfile.mkdtemp(prefix='gilde-%s-' % name)
        self.nodes = []
        self.failed = False

    def node(self, name, args=(), env=None):
        n = Node(self, name, args, env)
        self.nodes.append(n)
        return n

    def federation_config(self, name='fed', network_key=None, extra='', federation='open = true\n',
                          recon_interval='2s'):
        """Write a config file with a network key (fresh unless given) and
        short intervals, so tests do not wait for production timings
        (benchmarks pass the default recon_interval, 60s).
        `federation` adds lines to [federation]: by default the node is open
        (accepts every validly signed record); curation tests pass curators."""
        if network_key is None:
            network_key = subprocess.run([GILDE, 'network-key'], capture_output=True, text=True,
                                         timeout=30, check=True).stdout.strip()
        path = os.path.join(self.dir, name + '.conf')
        # it holds the network key: the node's user only, as gilded wants it
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 'w') as f:
            f.write('[federation]\nnetwork_key = %s\nrecon_interval = %s\n%s'
                    '[peers]\nbackoff_max = 2s\n%s' % (network_key, recon_interval, federation, extra))
        return path, network_key

    def write_config(self, name, text):
        path = os.path.join(self.dir, name + '.conf')
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 'w') as f:
            f.write(text)
        return path

    def converged(self, nodes, timeout=30, what='the nodes to converge'):
        """Wait until every node lists the same records; return that listing."""
        def same():
            views = [n.listing() for n in nodes]
            return views[0] if all(v == views[0] for v in views) else None
        return wait_until(same, timeout, what)

    def __enter__(self):
        return self

    def __exit__(self, etype, exc, tb):
        problems = []
        for n in self.nodes:
            if n.proc is None:
                continue
            rc = n.proc.poll()
            if etype is not None and rc:
                # a daemon that died shows to the test only as a closed
                # connection: say how it ended (a signal: a crash)
                sys.stderr.write('%s had exited with %d before the test stopped it%s\n' %
                                 (n.name, rc, ' (%s)' % signal.Signals(-rc).name if rc < 0 else ''))
            try:
                n.stop(expect_rc=0 if etype is None else None)
            except TestFailure as e:
                problems.append(str(e))
            finally:
                n.kill()
        if etype is not None or problems:
            self.failed = True
            for n in self.nodes:
                sys.stderr.write('---- log of %s ----\n%s\n' % (n.name, n.log_tail(60)))
            sys.stderr.write('(test files kept in %s)\n' % self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)
        if problems and etype is None:
            raise TestFailure('; '.join(problems))
        return False


def examples(kinds=('partner', 'offer', 'event', 'news')):
    d = os.path.join(SOURCE, 'schemas', 'examples')
    return sorted(os.path.join(d, f) for f in os.listdir(d)
                  if f.endswith('.json') and f.split('-')[0] in kinds)


# The Ghent sample federation's records (contrib/ghent/ORG/*.json; the
# starter profiles in contrib/ghent/profiles/ are not records).
GHENT = sorted(f for f in glob.glob(os.path.join(SOURCE, 'contrib', 'ghent', '*', '*.json'))
               if os.path.basename(os.path.dirname(f)) != 'profiles')


def ghent_records(kind):
    """The sample's records of one kind, as JSON objects."""
    out = []
    for f in GHENT:
        with open(f) as fh:
            d = json.load(fh)
        if d.get('kind') == kind:
            out.append(d)
    return out


def memory(pid):
    """VmRSS, VmHWM (peak), RssAnon, RssFile and RssShmem of a process, in KiB."""
    out = {}
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            k, _, v = line.partition(':')
            if k in ('VmRSS', 'VmHWM', 'RssAnon', 'RssFile', 'RssShmem'):
                out[k] = int(v.split()[0])
    return out


class MemoryPeak:
    """The most of fields of memory() (their sum, KiB) a process holds
    while the block runs, sampled every interval seconds on a thread of
    its own: the anonymous memory through an ingest (issue 22: 64 MiB at
    most throughout, not only at its end), the mapped files through an
    import."""

    def __init__(self, pid, fields=('RssAnon',), interval=0.05):
        self.pid, self.fields, self.interval, self.kib = pid, fields, interval, 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.sample)

    def sample(self):
        while True:
            try:
                m = memory(self.pid)
            except OSError:
                return
            self.kib = max(self.kib, sum(m.get(f, 0) for f in self.fields))
            if self.stop.wait(self.interval):
                return

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


def run(main):
    """Run a test's main(), turning a TestFailure into exit status 1."""
    try:
        main()
    except TestFailure as e:
        sys.stderr.write('FAILED: %s\n' % e)
        sys.exit(1)
    sys.exit(0)
