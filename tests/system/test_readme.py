#!/usr/bin/env python3
"""The README, run: every command it shows, in order, as written, with
this build's programs, in a home of its own, so that the README cannot
drift from what the programs do.

How the README is read: the commands are the lines of its ```sh blocks
(a line ending in a backslash goes on), with their comments.  There are
three kinds:

- root and system commands, marked by their first word: `sudo`,
  `sudoedit`, and the build of a system install (`meson setup` of its
  own build folder, with `ninja`).  They are not run.  Each must match
  one of SYSTEM below, which checks what can be checked without root:
  that the files they name are where the build puts them, that the unit
  and the example configuration say what the README says.  A root command
  the test does not know fails it, so a new one comes with a check.
- `gilded` without --check-config starts a daemon in the foreground (the
  README says: in a second terminal).  It is started in the background,
  must log that it started, and is stopped at the end.
- everything else runs with bash in the source tree, with HOME a fresh
  folder, ~/.local/bin on the PATH (as Debian's ~/.profile puts it there),
  and GILDED and GILDE this build's: it must exit 0.  A gilde command
  must also print something: the federation is eventually consistent, so
  a gilde command is tried again (for at most 30 s) until it does.

contrib/quickstart.sh runs on ports the test picks, through
GILDE_QUICKSTART_PORTS and GILDE_QUICKSTART_WEB, so that test runs in
parallel never collide; the README's own ports are checked against the
script's defaults.  The federation it leaves running is stopped at the end
with `contrib/quickstart.sh --stop`, even when the test fails.
"""
import glob
import os
import re
import shlex
import signal
import subprocess
import tempfile
import time
import urllib.request

from harness import GILDED, SLOW, SOURCE, TestFailure, check, run
from test_quickstart import SCRIPT, free_block, left_running, sample_env

README = os.path.join(SOURCE, 'README.md')
RETRY = 30  # seconds a gilde command may take to see what the federation sends it


def commands(text):
    """The README's commands: (line number, command) from its ```sh blocks."""
    out, inside, pending, start = [], False, '', 0
    for no, line in enumerate(text.splitlines(), 1):
        if line.startswith('```'):
            inside = line.strip() == '```sh'
            continue
        if not inside or (not pending and (not line.strip() or line.lstrip().startswith('#'))):
            continue
        if not pending:
            start = no
        if line.rstrip().endswith('\\'):
            pending += line.rstrip()[:-1] + ' '
            continue
        out.append((start, (pending + line).strip()))
        pending = ''
    return out


def words(cmd):
    """The command's words, its comment left out."""
    return shlex.split(cmd, comments=True)


# ---- root and system commands: what can be checked without root -----------

def read(*path):
    with open(os.path.join(SOURCE, *path)) as f:
        return f.read()


def check_system_build(cmd, ctx):
    w = words(cmd)
    check(w[:2] == ['meson', 'setup'] and '&&' in w, 'the system build: %s' % cmd)
    build = w[2]
    check(build != 'build', 'the system build must not reuse build/ (quickstart\'s): %s' % cmd)
    check(w[w.index('&&') + 1:] == ['ninja', '-C', build], 'ninja builds another folder: %s' % cmd)
    helptext = subprocess.run(['meson', 'setup', '--help'], capture_output=True, text=True,
                              timeout=60).stdout
    for opt in (o.split('=')[0] for o in w[:w.index('&&')] if o.startswith('--')):
        check(opt in helptext, 'meson setup has no option %s' % opt)
    ctx['build'] = build
    ctx['prefix'] = next((o.split('=', 1)[1] for o in w if o.startswith('--prefix=')), '/usr/local')


def check_install(cmd, ctx):
    check(words(cmd) == ['sudo', 'meson', 'install', '-C', ctx.get('build')],
          'meson install of another folder than the one built: %s' % cmd)


def check_sysusers(cmd, ctx):
    check(re.search(r'^u gilde\b', read('contrib', 'systemd', 'gilde.sysusers'), re.M),
          'contrib/systemd/gilde.sysusers makes no user gilde')


def check_install_conf(cmd, ctx):
    w = words(cmd)
    src, dst = w[-2], w[-1]
    check(src == ctx.get('prefix') + '/share/doc/gilde/examples/gilded.conf',
          'the example is installed elsewhere than %s (contrib/systemd/meson.build)' % src)
    check("'doc' / 'gilde' / 'examples'" in read('contrib', 'systemd', 'meson.build') and
          "install_data('..' / 'gilded.conf'" in read('contrib', 'systemd', 'meson.build'),
          'contrib/systemd/meson.build no longer installs the example where the README says')
    check('--config %s' % dst in read('contrib', 'systemd', 'gilded.service'),
          'the unit does not read %s' % dst)
    ctx['conf'] = dst


def check_edit(cmd, ctx):
    check(words(cmd)[-1] == ctx.get('conf'), 'sudoedit edits another file: %s' % cmd)
    check(read('contrib', 'gilded.conf').count('# CHANGE:') >= 3,
          'the example configuration marks nothing with CHANGE:')


def check_check_config(cmd, ctx):
    w = words(cmd)
    check(w[1] == 'gilded' and '--check-config' in w and w[-1] == ctx.get('conf'),
          'check-config of another file: %s' % cmd)
    # the file installed there is the example: it parses, and its placeholders are named
    p = subprocess.run([GILDED] + w[2:-1] + [os.path.join(SOURCE, 'contrib', 'gilded.conf')],
                       capture_output=True, text=True, timeout=30)
    check(p.returncode == 0 and p.stderr.count('is a placeholder') == 2,
          'gilded --check-config on the example: %d %s' % (p.returncode, p.stderr))


def check_systemctl(cmd, ctx):
    unit = read('contrib', 'systemd', 'gilded.service')
    check(words(cmd)[-1] == 'gilded' and '[Install]' in unit and 'WantedBy=' in unit and
          'ExecStart=/usr/bin/gilded' in unit, 'the unit cannot be enabled as the README says')


SYSTEM = [
    (r'^meson setup ', check_system_build),
    (r'^sudo meson install ', check_install),
    (r'^sudo systemd-sysusers\b', check_sysusers),
    (r'^sudo install -D -m 640 -g gilde ', check_install_conf),
    (r'^sudoedit ', check_edit),
    (r'^sudo gilded --check-config ', check_check_config),
    (r'^sudo systemctl enable --now gilded\b', check_systemctl),
]


def system_command(cmd):
    return re.match(r'^(sudo|sudoedit|meson setup|ninja)\b', cmd)


# ---- the rest: run ---------------------------------------------------------

class Runner:
    def __init__(self, home):
        self.home = home
        self.env = sample_env(home)
        self.daemons = []
        self.web = None

    def shell(self, cmd, timeout=120):
        return subprocess.run(['bash', '-c', cmd], capture_output=True, text=True, env=self.env,
                              cwd=SOURCE, stdin=subprocess.DEVNULL, timeout=timeout * SLOW)

    def quickstart(self, cmd):
        n = len(glob.glob(os.path.join(SOURCE, 'contrib', 'ghent', '*', 'partner.json')))
        for attempt in range(3):
            base, web = free_block(n + 1)
            self.env.update(GILDE_QUICKSTART_PORTS=str(base), GILDE_QUICKSTART_WEB=str(web))
            p = self.shell(cmd, timeout=300)
            if p.returncode and 'is taken' in p.stderr and attempt < 2:
                continue
            self.web = web
            return p
        return p

    def daemon(self, cmd):
        log = open(os.path.join(self.home, 'daemon-%d.log' % len(self.daemons)), 'w+')
        proc = subprocess.Popen(['bash', '-c', 'exec ' + cmd], stdout=log, stderr=log,
                                env=self.env, cwd=SOURCE, stdin=subprocess.DEVNULL,
                                start_new_session=True)
        self.daemons.append(proc)
        deadline = time.monotonic() + 20 * SLOW
        while time.monotonic() < deadline:
            log.seek(0)
            text = log.read()
            if re.search(r'^\S+ info started ', text, re.M):
                return
            check(proc.poll() is None, '%s exited %s:\n%s' % (cmd, proc.returncode, text))
            time.sleep(0.1)
        raise TestFailure('%s did not start within %ds' % (cmd, 20 * SLOW))

    def gilde(self, cmd):
        """Run until it exits 0 and prints something, for at most RETRY s."""
        deadline = time.monotonic() + RETRY * SLOW
        while True:
            p = self.shell(cmd)
            if p.returncode == 0 and p.stdout.strip():
                return p
            if time.monotonic() >= deadline:
                return p
            time.sleep(0.5)

    def stop(self):
        for proc in self.daemons:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=20 * SLOW)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        subprocess.run(['bash', SCRIPT, '--stop'], capture_output=True, env=self.env,
                       timeout=120 * SLOW)
        for pid in left_running(self.home):
            subprocess.run(['kill', pid])


def check_shape(text):
    """Short, and the ports it names are quickstart's."""
    lines = text.count('\n')
    check(lines < 200, 'the README has %d lines: a newcomer reads it in five minutes' % lines)
    script = open(SCRIPT).read()
    base = re.search(r'base=\$\{GILDE_QUICKSTART_PORTS:-(\d+)\}', script).group(1)
    web = re.search(r'web=\$\{GILDE_QUICKSTART_WEB:-(\d+)\}', script).group(1)
    flat = ' '.join(text.split())
    check('port %s' % base in flat, 'the README does not name the city\'s port %s' % base)
    check('http://127.0.0.1:%s/' % web in flat, 'the README does not name the page at port %s' % web)
    check(text.index('contrib/quickstart.sh') < text.index('## Then'),
          'the two commands do not come first')


def main():
    text = open(README).read()
    check_shape(text)
    cmds = commands(text)
    check(cmds and cmds[0][1].startswith('contrib/quickstart.sh'),
          'the README does not begin with quickstart: %r' % cmds[:1])
    home = tempfile.mkdtemp(prefix='gr-')
    r = Runner(home)
    ctx = {}
    ran = 0
    try:
        for no, cmd in cmds:
            where = 'README.md:%d: %s' % (no, cmd)
            if cmd.startswith('contrib/test.sh'):
                # the whole suite, of which this test is a part: its existence is enough
                check(os.access(os.path.join(SOURCE, 'contrib', 'test.sh'), os.X_OK), where)
                continue
            if system_command(cmd):
                fn = next((f for pat, f in SYSTEM if re.match(pat, cmd)), None)
                check(fn is not None, '%s: a root or system command the test has no check for'
                      % where)
                fn(cmd, ctx)
                continue
            w = words(cmd)
            if w[0] == 'gilded' and '--check-config' not in w and '-n' not in w:
                r.daemon(cmd)
                ran += 1
                continue
            if w[0] == 'contrib/quickstart.sh':
                p = r.quickstart(cmd)
            elif w[0] == 'gilde':
                p = r.gilde(cmd)
            else:
                p = r.shell(cmd)
            ran += 1
            check(p.returncode == 0, '%s\nexited %d:\n%s%s' % (where, p.returncode,
                                                              p.stdout[-2000:], p.stderr[-2000:]))
            check(w[0] not in ('gilde', 'gilded') or p.stdout.strip(),
                  '%s\nprinted nothing; stderr: %s' % (where, p.stderr))
        # the page the README names, at the port quickstart was given
        page = urllib.request.urlopen('http://127.0.0.1:%d/' % r.web, timeout=30).read()
        check(b'<html' in page.lower(), 'the page is not served')
        check(set(ctx) >= {'build', 'conf'}, 'the service set-up is not in the README')
    finally:
        r.stop()
    check(left_running(home) == [], 'processes left running: %r' % left_running(home))
    subprocess.run(['rm', '-rf', home])
    print('readme: ok (%d commands run, %d root or system commands checked)' %
          (ran, sum(1 for _, c in cmds if system_command(c))))


if __name__ == '__main__':
    run(main)
