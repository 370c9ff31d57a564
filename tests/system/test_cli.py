#!/usr/bin/env python3
"""The command line's contract: exit codes, --help everywhere, --json is
one JSON document, errors say what to do."""
import json
import os
import pty
import re
import subprocess

from harness import examples, GILDE, SLOW, SOURCE, Harness, check, run, wait_until


def on_terminal(args):
    """Run gilde with stdout and stderr on a pseudo-terminal; its bytes."""
    master, slave = pty.openpty()
    try:
        subprocess.run([GILDE] + list(args), stdout=slave, stderr=slave, timeout=30 * SLOW)
    finally:
        os.close(slave)
    out = b''
    while True:
        try:
            part = os.read(master, 65536)
        except OSError:  # EIO: the terminal's other end is closed and drained
            break
        if not part:
            break
        out += part
    os.close(master)
    return out


def gilde(*args):
    return subprocess.run([GILDE] + list(args), capture_output=True, text=True, timeout=30)


def said(p, rc, *words):
    """p exited rc and its stderr (or stdout) says every one of words."""
    text = p.stdout + p.stderr
    return p.returncode == rc and all(w in text for w in words)


def empty_answers(a):
    """Every empty answer says so, in the user's language, and exits 0."""
    for args, en, nl in [
            (['search', 'zeppelin'], 'No record matches "zeppelin"', 'Geen record past bij'),
            (['applications'], 'No applications', 'Geen aanvragen'),
            (['events'], 'No events from', 'Geen evenementen vanaf'),
            (['news'], 'No news yet', 'Nog geen nieuws'),
            (['list', '--kind', 'event'], 'No records of kind event here', 'Hier geen records'),
            (['list', '--author', a.key[:16], '--kind', 'news'], 'No records by %s here' % a.key[:16],
             'Hier geen records van %s' % a.key[:16])]:
        p = a.gilde(*args, check_rc=False)
        check(p.returncode == 0 and p.stdout == '' and en in p.stderr,
              'gilde %s: %d %r %r' % (' '.join(args), p.returncode, p.stdout, p.stderr))
        p = a.gilde(*args, '--lang', 'nl', check_rc=False)
        check(p.returncode == 0 and nl in p.stderr, 'gilde %s --lang nl: %r' % (args, p.stderr))
        check(a.gilde(*args, '--json').stderr == '', 'gilde %s --json says nothing' % args)


def dutch(a, h):
    """Under --lang nl every word of gilde's is Dutch: help, usage errors,
    the headers of status, gaps and doctor, and what commands say."""
    out = gilde('--help', '--lang', 'nl').stdout
    check(out.startswith('gebruik: gilde COMMANDO') and 'commando\'s:' in out and
          'toon de publieke sleutel' in out, 'gilde --help --lang nl:\n' + out[:500])
    out = gilde('--lang', 'nl', 'match', '--help').stdout
    check('Het profiel komt uit de opties' in out, 'match --help in Dutch: ' + out[:300])
    p = gilde('list', '--lang', 'nl', '--frob')
    check(said(p, 2, 'onbekende optie --frob', 'gebruik: gilde list'), p.stderr)
    st = a.gilde('status', '--lang', 'nl').stdout
    for en in ('live (', 'retracted', 'used, may grow', 'running', 'resident'):
        check(en not in st, 'status --lang nl says "%s":\n%s' % (en, st))
    check('knoop ' in st and 'geldig (' in st and 'in gebruik, mag groeien tot' in st, st)
    gaps = a.gilde('gaps', '--lang', 'nl').stdout
    check(gaps.startswith('Geldig aanbod per behoefte en fase') and 'Fasen:' in gaps, gaps[:300])
    doc = a.gilde('doctor', '--lang', 'nl', check_rc=False).stdout
    check(re.search(r'^goed +gegevens ', doc, re.M) and 'opslag' in doc and
          re.search(r'\d+ fout(en)?, \d+ waarschuwing', doc), 'doctor --lang nl:\n' + doc)
    check(not re.search(r'^(ok|warn|FAIL) ', doc, re.M), 'doctor verdicts in English:\n' + doc)


def taxonomy():
    """gilde taxonomy: every facet, both languages, --json."""
    tax = json.load(open(os.path.join(SOURCE, 'schemas', 'taxonomy.json')))['x-terms']
    out = gilde('taxonomy').stdout
    for facet, terms in tax.items():
        one = gilde('taxonomy', facet).stdout
        check(one in out, 'taxonomy %s is not part of taxonomy' % facet)
        for t in terms:
            line = [l for l in one.splitlines() if l.split()[:1] == [t['id']]]
            check(len(line) == 1 and t['label']['en'] in line[0] and t['label']['nl'] in line[0],
                  'taxonomy: %s %s: %r' % (facet, t['id'], line))
    check('Needs (gilde match --need)' in out and 'Behoeften' in gilde('taxonomy', '--lang', 'nl').stdout,
          'headers: ' + out[:200])
    j = json.loads(gilde('taxonomy', '--json', 'needs', 'areas').stdout)
    check(list(j) == ['need', 'area'] and
          [t['id'] for t in j['need']] == [t['id'] for t in tax['need']] and
          j['need'][3] == {'id': 'legal-ip', 'label': tax['need'][3]['label'], 'parent': 'legal'},
          'taxonomy --json: %r' % list(j))
    check(said(gilde('taxonomy', 'colours'), 2, 'no facet "colours"'), 'unknown facet')


def two_partners(h):
    """Two open nodes publishing the same offer id: gilde get lists the
    candidates; --author takes a short key or a partner id; search says
    whose a hit is."""
    conf, _ = h.federation_config('open')
    p = h.node('p', ['--config', conf])
    p.start()
    q = h.node('q', ['--config', conf, '--peer', p.addr])
    q.start()
    src = os.path.join(SOURCE, 'schemas', 'examples')
    for node, partner in ((p, 'partner-vib.json'), (q, 'partner-ugent-techtransfer.json')):
        node.json('publish', os.path.join(src, partner), os.path.join(src, 'offer-imec-istart.json'))
    q.json('publish', os.path.join(src, 'offer-ugent-spin-off-support.json'))  # q alone
    # the offers and the partner records that name them: get and search
    # below name each offer's partner (two batches, from two peers, may
    # bring an offer before its partner record)
    def holds_all(n):
        return (len(n.json('list', '--kind', 'offer')) == 3 and
                len(n.json('list', '--kind', 'partner')) == 2)
    wait_until(lambda: holds_all(p), 30, 'p to hold q\'s offers and partner record')
    vib, ugent = (json.load(open(os.path.join(src, f)))['name']['en']
                  for f in ('partner-vib.json', 'partner-ugent-techtransfer.json'))
    # one author has it: found, whoever it is
    r = p.json('get', 'offer/ugent-spin-off-support')
    check(r['author'] == q.key, 'get finds the one author\'s record: %r' % r['author'])
    out = p.gilde('get', 'offer/ugent-spin-off-support').stdout
    check(out.startswith('offer/ugent-spin-off-support by %s (%s)' % (ugent, q.key)),
          'get names whose: ' + out.splitlines()[0])
    # this node's own first; from a third node the candidates, with names and short keys
    check(p.json('get', 'offer/imec-istart')['author'] == p.key, 'get prefers this node\'s own')
    x = h.node('x', ['--config', conf, '--peer', p.addr])
    x.start()
    # records received are searchable once the writer indexes them, after
    # their commit (textindex.h): the search below needs that too
    wait_until(lambda: holds_all(x) and x.json('status')['search']['index_behind'] == 0, 30,
               'x to hold the offers and their partners, and to index them')
    c = x.gilde('get', 'offer/imec-istart', check_rc=False)
    check(said(c, 2, '2 partners publish offer/imec-istart', '--author ' + p.key[:16],
               '--author ' + q.key[:16], vib, ugent), 'candidates: %r' % c.stderr)
    check(c.stdout == '', 'the candidates go to stderr')
    # --author: a short key, a partner's id; several or none said so
    check(x.json('get', 'offer/imec-istart', '--author', q.key[:16])['author'] == q.key,
          '--author short key')
    check(x.json('get', 'offer/imec-istart', '--author', q.key[8:14])['author'] == q.key,
          '--author without ed25519:')
    check(x.json('get', 'offer/imec-istart', '--author', 'vib')['author'] == p.key,
          '--author partner id')
    check({r['author'] for r in x.json('list', '--author', 'ugent-techtransfer')} == {q.key},
          'list --author partner id')
    check(said(x.gilde('list', '--author', 'nobody-here', check_rc=False), 3, 'nobody-here'),
          '--author matching nothing')
    # search says whose each hit is
    hits = [l.split('\t') for l in x.gilde('search', 'istart').stdout.splitlines()]
    check(len(hits) == 2 and {h_[3] for h_ in hits} ==
          {'%s (%s)' % (vib, p.key[:16]), '%s (%s)' % (ugent, q.key[:16])},
          'search hits name their partner: %r' % hits)


def plan_lang(h):
    """plan init honours the profile's language; refresh keeps language and
    order; a missing folder for the plan is made; a missing profile is named
    with the system's reason."""
    n = h.node('planner')
    n.start()
    n.json('publish', *examples())
    home = os.path.join(h.dir, 'fresh-home')  # no .local/share yet
    os.makedirs(home)
    env = dict(os.environ, HOME=home)
    env.pop('XDG_DATA_HOME', None)
    def plan(*args):
        return subprocess.run([GILDE, 'plan'] + list(args) + ['--data', n.data],
                              capture_output=True, text=True, env=env, timeout=60 * SLOW)
    prof = os.path.join(SOURCE, 'schemas', 'examples', 'profile-student-webshop.json')
    check(json.load(open(prof))['lang'] == 'nl', 'the example profile is Dutch')
    p = plan('init', '--profile', os.path.join(h.dir, 'nope.json'))
    check(said(p, 3, '--profile %s' % os.path.join(h.dir, 'nope.json'), 'cannot open it',
               'No such file'), 'a missing profile: %r' % p.stderr)
    # the temporary directory's name may hold "-1" itself: look for jansson's forms
    check(not re.search(r':-1\b|line -1', p.stderr), 'jansson\'s line -1: %r' % p.stderr)
    p = plan('init', '--profile', prof)
    check(p.returncode == 0, 'plan init with a fresh home: %s' % p.stderr)
    path = os.path.join(home, '.local', 'share', 'gilde', 'plan.json')
    check(os.path.exists(path) and path in p.stderr, 'where the plan is: %r' % p.stderr)
    check('Administratie en inschrijving' in p.stdout and 'van' in p.stdout.splitlines()[-1] and
          'gedaan' in p.stdout.splitlines()[-1], 'the plan in the profile\'s Dutch:\n' + p.stdout)
    before = json.load(open(path))
    p = plan('refresh')
    after = json.load(open(path))
    check(p.returncode == 0 and p.stdout.startswith('bijgewerkt:'), 'refresh in Dutch: ' + p.stdout)
    check([(i['need'], i['label'], [o['id'] for o in i['offers']]) for i in after['items']] ==
          [(i['need'], i['label'], [o['id'] for o in i['offers']]) for i in before['items']],
          'refresh changed the language or the order')
    os.unlink(path)
    p = plan('init', '--profile', prof, '--lang', 'en')
    check('Paperwork and registration' in p.stdout and 'done' in p.stdout.splitlines()[-1],
          '--lang en at init: ' + p.stdout)
    p = plan('refresh')
    check('Paperwork and registration' in p.stdout and p.stdout.startswith('refreshed:'),
          'refresh keeps the English of init: ' + p.stdout)
    # a folder that cannot be made is named, with the file the plan goes to
    env['HOME'] = '/proc/gilde-nowhere'
    p = plan('init', '--profile', prof)
    check(said(p, 1, 'cannot make the folder', '/proc/gilde-nowhere', 'plan.json', '--plan FILE'),
          'an impossible folder: %r' % p.stderr)


def web_page(h):
    """gilde doctor checks that / serves the page, and says how to fix a
    missing web root."""
    empty = os.path.join(h.dir, 'no-page')
    os.makedirs(empty)
    for root, verdict in ((empty, 'FAIL'), (os.path.join(SOURCE, 'daemon', 'web'), 'ok')):
        conf = h.write_config('web-' + verdict, '[web]\nlisten = 127.0.0.1:0\nroot = %s\n' % root)
        w = h.node('web-' + verdict, ['--config', conf])
        w.start()
        doc = w.gilde('doctor', check_rc=False).stdout
        page = [l for l in doc.splitlines() if re.match(r'^\S+ +page ', l)]
        check(page and page[0].startswith(verdict), 'doctor with root %s:\n%s' % (root, doc))
        if verdict == 'FAIL':
            check('not the page: no index.html in ' + empty in page[0] and 'set [web] root' in doc
                  and os.path.join(SOURCE, 'daemon', 'web') in doc, 'the fix: ' + doc)
        w.stop()


def newcomer():
    """What a newcomer met in the first hour (issue 25)."""
    empty = None
    with Harness('cli-newcomer') as h:
        a = h.node('a')
        a.start()
        empty_answers(a)
        # lists of allowed values are never cut with …
        bad = os.path.join(h.dir, 'bad.json')
        doc = json.load(open(os.path.join(SOURCE, 'schemas', 'examples', 'offer-imec-istart.json')))
        doc['needs'] = ['marketing']
        doc['eligibility'] = {'sectors': ['space']}
        json.dump(doc, open(bad, 'w'))
        p = a.gilde('publish', bad, check_rc=False)
        check(p.returncode == 1 and '…' not in p.stderr and 'gilde taxonomy' in p.stderr and
              'biotech, pharma-medtech' in p.stderr and 'social-economy' in p.stderr,
              'allowed values: %r' % p.stderr)
        # the sample's profiles, published with its records by a glob, are named for what they are
        p = a.gilde('publish', os.path.join(SOURCE, 'contrib', 'ghent', 'profiles',
                                            'profile-student-webshop.json'), check_rc=False)
        check(said(p, 1, "this is a starter's profile, not a record", 'gilde match --profile'),
              'a profile published: %r' % p.stderr)
        p = a.gilde('events', '--sector', 'space', check_rc=False)
        check(said(p, 2, 'one of: biotech,', 'social-economy') and '["' not in p.stderr, p.stderr)
        # the store's size as it is
        doc = a.gilde('doctor', check_rc=False).stdout
        check(re.search(r'store +\d+ live records, \d+ retractions; [\d.]+ KiB used of the '
                        r'[\d.]+ GiB the store may grow to', doc), 'doctor store:\n' + doc)
        a.json('publish', os.path.join(SOURCE, 'schemas', 'examples',
                                       'offer-voorbeeldstad-startersgesprek.json'))
        dutch(a, h)
        taxonomy()
        two_partners(h)
        plan_lang(h)
        web_page(h)
        empty = True
    check(empty, 'the newcomer checks ran')


def main():
    p = gilde()
    check(p.returncode == 2 and 'usage' in p.stderr, 'no command: %d' % p.returncode)
    p = gilde('--help')
    check(p.returncode == 0, '--help')
    commands = [l.split()[0] for l in p.stdout.split('commands:\n')[1].split('\n\n')[0].splitlines()]
    check(len(commands) >= 9, 'commands: %r' % commands)
    for c in commands:
        q = gilde(c, '--help')
        check(q.returncode == 0 and q.stdout.startswith('usage: gilde ' + c), c + ' --help')
    check(gilde('frobnicate').returncode == 2, 'unknown command')
    check(gilde('list', '--frob').returncode == 2, 'unknown option')
    check(gilde('list', '--kind', 'offers').returncode == 2, 'bad --kind')
    check(gilde('get', 'nonsense').returncode == 2, 'bad KIND/ID')
    check(gilde('list', '--lang', 'fr').returncode == 2, 'bad --lang')
    p = gilde('network-key', '--json')
    key = json.loads(p.stdout)['network_key']
    check(key.startswith('gilde-net:') and len(key) == 10 + 43, key)
    check(gilde('network-key').stdout.strip() != gilde('network-key').stdout.strip(), 'keys repeat')

    with Harness('cli') as h:
        a = h.node('a')
        # no node yet: a clear message, exit 1
        p = a.gilde('list', check_rc=False)
        check(p.returncode == 1 and 'gilded --data' in p.stderr, 'no store: ' + p.stderr)
        a.start()
        check(a.gilde('get', 'offer/none', check_rc=False).returncode == 3, 'get missing')
        p = a.gilde('list')
        check(p.stdout == '' and 'No records here yet' in p.stderr,
              'an empty list prints nothing on stdout and says so: %r %r' % (p.stdout, p.stderr))
        check(a.json('list') == [], 'empty list --json is []')
        p = a.gilde('publish', '/nonexistent/x.json', check_rc=False)
        check(p.returncode == 1 and '/nonexistent/x.json: cannot open it: No such file' in p.stderr,
              p.stderr)
        p = a.gilde('publish', check_rc=False)
        check(p.returncode == 2, 'publish without files')

        # a record's control characters never reach a terminal as such
        rec = os.path.join(h.dir, 'esc.json')
        with open(rec, 'w') as f:
            json.dump({'kind': 'news', 'id': 'esc', 'published': '2026-11-01T10:00:00Z',
                       'title': {'nl': 'Titel \x1b]0;pwned\x07 \x9b31m \u00e9',
                                 'en': 'Title \x1b[2J'},
                       'summary': {'nl': 'caf\u00e9', 'en': 'x'}}, f)
        # today's schemas refuse such texts (issue 24): put it as an older
        # node would have stored it
        subprocess.run([os.environ.get('RAWPUT', 'rawput'), a.data, rec], check=True,
                       capture_output=True, timeout=60)
        out = on_terminal(['news', '--data', a.data, '--lang', 'nl'])
        check(b'Titel' in out and '\u00e9'.encode() in out, 'gilde news on a terminal: %r' % out)
        check(b'\x1b' not in out and b'\x07' not in out and b'\xc2\x9b' not in out,
              'control characters reached the terminal: %r' % out)
        check(out.count('\ufffd'.encode()) == 3, 'not replaced by U+FFFD: %r' % out)
        # ... nor a pipe or a file, read later on a terminal (issue 24)
        piped = a.gilde('news', '--lang', 'nl').stdout
        check('\x1b' not in piped and '\x07' not in piped and '\x9b' not in piped and
              'Titel \ufffd]0;pwned\ufffd' in piped, 'control characters in a pipe: %r' % piped)
    newcomer()
    print('cli: ok')


if __name__ == '__main__':
    run(main)
