#!/usr/bin/env python3
"""Landing in Ghent, with real daemons and the real gilde: the screening of
foreign start-ups (daemon/query/screen.h) and the map of the ecosystem
(daemon/query/ecomap.h).

The screening:
- `gilde screen --answers FILE --json` is the answer of POST /api/v1/screen
  for the same answers; --answer flags, --ask on stdin and --save/--answers
  give the same report;
- the report in English and in Dutch: every step's title and text are the
  screening file's, in that language; a company's report says what it said
  before the screening asked how the starter will work here
  (landing_company_report.json: the steps, their titles and texts);
- a self-employed newcomer (a freelancer from outside the EEA): asked no
  company's questions (stage, team, funding: not required, and --ask does
  not ask them), and the report of one: the city, the professional card
  with the directory's offers for it (by their names: Xerius's and the
  Flemish economic migration service's, with their sites), a bank account,
  registering with a social insurance fund, VAT; no landing desk for
  companies, no company, deed or notary, no pilot plant, no co-founder;
  the same through the API, --answers, --answer and --ask, in both
  languages; a citizen of the EEA who is registered has both in place;
- the steps follow the rules: a route worked out by hand from
  schemas/screening.json; every step to prepare with a need lists the
  offers of the same match, with reasons;
- wrong answers are refused with the question named (exit 1, HTTP 400);
- a landing programme's own copy (GILDE_SCREENING, [web] screening) is
  used, and a broken copy is refused with where;
- the answers are stored nowhere: not in the store's files, not in the log.

The map, against the records:
- `gilde map --json` holds exactly the (partner, need, offer) triples a
  small model of the rules makes from the sample's files, for all sectors
  and for one; --csv and --svg say the same; /api/v1/map and /map.svg are
  the same map;
- in a curated federation: a partner's new offer appears on the city's map
  once it arrives; when the city revokes the partner, it is gone from the
  map, the CSV and the picture."""
import http.client
import json
import os
import subprocess
import threading
import xml.etree.ElementTree as ET

from harness import GHENT, GILDE, SOURCE, Harness, TestFailure, check, ghent_records, run, wait_until

SCREENING = json.load(open(os.path.join(SOURCE, 'schemas', 'screening.json')))
RULES = {r['id']: r for r in SCREENING['rules']}
TAXONOMY = json.load(open(os.path.join(SOURCE, 'schemas', 'taxonomy.json')))['x-terms']
PARENT = {t['id']: t.get('parent') for t in TAXONOMY['need']}
SVG = '{http://www.w3.org/2000/svg}'
MARKER = 'Atlantis-7f3e9c'  # a home country no file of the node may hold

ANSWERS = {
    'work': 'company', 'home_country': MARKER, 'stage': 'market', 'offering': 'tech', 'product_in_market': True,
    'team_size': 4, 'funding': 'none', 'sectors': ['photonics', 'digital'],
    'why': ['talent', 'research'], 'wants': ['office', 'permits', 'talent'],
    'relocating': True, 'nationality': 'some_non_eu', 'entity_here': False,
}
# the route schemas/screening.json gives these answers, worked out by hand
ROUTE = ['landing-desk-contact', 'why-here-write', 'market-in', 'entity-decide', 'permits-non-eu',
         'office-find', 'talent-hire', 'research-reason']
# what that report said before the screening asked how one works here
COMPANY_REPORT = json.load(open(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                             'landing_company_report.json')))
# a freelancer from outside the EEA who has just arrived and wants to register
FREELANCER = {
    'work': 'self_employed', 'home_country': MARKER, 'offering': 'clients', 'sectors': ['services'],
    'why': ['market', 'living'], 'wants': ['office'], 'eea_citizen': False, 'registered': False,
}
FREELANCER_ROUTE = ['newcomer-city', 'why-here-write', 'card-apply', 'bank-account', 'register-self',
                    'vat-activate', 'office-self']
# what a freelancer's report never says, in both languages
COMPANY_WORDS = ['BV', 'notary', 'notaris', 'pilot plant', 'proeffabriek', 'co-founder', 'medeoprichter',
                 'Invest in Flanders']


class Web:
    """The node's web API over real HTTP."""

    def __init__(self, node):
        web = node.json('status')['daemon'].get('web') or {}
        check(web.get('listen', '').startswith('127.0.0.1:'), 'no web address: %r' % web)
        host, port = web['listen'].rsplit(':', 1)
        self.host, self.port = host, int(port)

    def raw(self, method, path, body=None, headers=None):
        c = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            c.close()

    def get(self, path):
        st, hd, data = self.raw('GET', path)
        check(st == 200, 'GET %s: %d: %s' % (path, st, data[:300]))
        return hd, data

    def json(self, path, status=200, method='GET', body=None, headers=None):
        st, hd, data = self.raw(method, path, body, headers)
        check(st == status, '%s %s: %d, expected %d: %s' % (method, path, st, status, data[:400]))
        try:
            return json.loads(data)
        except ValueError:
            raise TestFailure('%s %s: not JSON: %r' % (method, path, data[:200]))

    def error(self, path, status, param=None, method='GET', body=None, headers=None):
        e = self.json(path, status, method, body, headers).get('error') or {}
        check(e.get('status') == status and e.get('message') and
              (param is None or e.get('parameter') == param), '%s: error %r' % (path, e))
        return e['message']


def top(need):
    while PARENT.get(need):
        need = PARENT[need]
    return need


def model_map(sector=None, extra=()):
    """{(partner id, top-level need, offer id)} of the sample (and extra
    offers), as ecomap.h says: current offers, under their partner, once
    per top-level need, for the sector (eligibility.sectors absent or
    holding it)."""
    out = set()
    for o in ghent_records('offer') + list(extra):
        if o.get('status') == 'inactive' or o.get('valid_until', '9999') < '2026':
            continue
        sectors = (o.get('eligibility') or {}).get('sectors')
        if sector and sectors is not None and sector not in sectors:
            continue
        for n in {top(n) for n in o['needs']}:
            out.add((o['partner'], n, o['id']))
    return out


def map_triples(m):
    return {(p['id'], c['need'], o['id']) for p in m['partners'] for c in p['cells']
            for o in c['offers']}


def asked(q, answers):
    """Whether the screening asks q after these answers (its when)."""
    def holds(c):
        v = answers.get(c['q'])
        if 'answered' in c:
            return (v is not None) == c['answered']
        if v is None:
            return False
        if 'in' in c:
            return any(x in c['in'] for x in (v if isinstance(v, list) else [v]))
        if 'is' in c:
            return v is c['is']
        return v >= c['min'] if 'min' in c else v <= c['max']
    return all(holds(c) for c in q.get('when', []))


def answer_lines(answers):
    """The lines --ask reads for answers: one per question it asks."""
    lines = []
    for q in SCREENING['questions']:
        if not asked(q, answers):
            continue
        v = answers.get(q['id'])
        if v is None:
            lines.append('')
        elif q['type'] in ('choice', 'multi'):
            ids = [o['id'] for o in q['options']]
            lines.append(','.join(str(ids.index(x) + 1) for x in (v if isinstance(v, list) else [v])))
        elif q['type'] == 'yesno':
            lines.append('y' if v else 'n')
        else:
            lines.append(str(v))
    return lines


def answer_flags(answers):
    flags = []
    for k, v in answers.items():
        v = ','.join(v) if isinstance(v, list) else ('yes' if v is True else 'no' if v is False else v)
        flags += ['--answer', '%s=%s' % (k, v)]
    return flags


def check_report(rep, lang, what):
    got = [s['rule'] for s in rep['steps']]
    check(got == ROUTE, '%s: route %r, expected %r' % (what, got, ROUTE))
    check(rep['lang'] == lang and rep['title'] == SCREENING['title'][lang], '%s: title %r' % (what, rep['title']))
    for s in rep['steps']:
        r = RULES[s['rule']]
        check(s['title'] == r['title'][lang] and s['text'] == r['text'][lang],
              '%s: step %s is not the file\'s %s text' % (what, s['rule'], lang))
        check(s['status'] == r['status'] and s['need'] == r.get('need'), '%s: step %r' % (what, s))
    in_place = sum(s['status'] == 'in_place' for s in rep['steps'])
    check(rep['in_place'] == in_place and rep['to_prepare'] == len(ROUTE) - in_place,
          '%s: counts %r %r' % (what, rep['in_place'], rep['to_prepare']))
    sample = {o['id'] for o in ghent_records('offer')}
    seen = set()
    for s in rep['steps']:
        if s['status'] != 'to_prepare' or not s['need']:
            check(not s['offers'], '%s: step %s lists offers' % (what, s['rule']))
            continue
        # a need once, unless each step names its own offers by their words
        # (about: the company's registration desk, the permits' card)
        key = (s['need'], tuple(RULES[s['rule']].get('about', [])))
        if key in seen:
            check(s.get('see_step') and not s['offers'], '%s: %s repeats need %s' % (what, s['rule'], s['need']))
            continue
        seen.add(key)
        check(s['offers'], '%s: step %s (%s) lists no offer' % (what, s['rule'], s['need']))
        for o in s['offers']:
            check(o['id'] in sample and o['reasons'], '%s: offer %r' % (what, o.get('id')))
    check(rep['profile']['international'] is True and rep['profile']['phase'] == 'start' and
          rep['profile']['sectors'] == ['digital', 'photonics'], '%s: profile %r' % (what, rep['profile']))
    # what it says: as before the screening asked how one works here
    said = COMPANY_REPORT[lang]
    check(rep['title'] == said['title'] and rep['in_place'] == said['in_place'] and
          rep['to_prepare'] == said['to_prepare'], '%s: its head changed' % what)
    got = [{k: s.get(k) for k in said['steps'][0]} for s in rep['steps']]
    for g, w in zip(got, said['steps']):
        check(g == w, '%s: step %s says %r, it said %r' % (what, w['rule'], g, w))
    check(len(got) == len(said['steps']), '%s: %d steps, it had %d' % (what, len(got), len(said['steps'])))


def both_reports(h, a, w, name, answers, check_one, who):
    """answers written to name, reported by gilde screen in English and in
    Dutch, each checked by check_one(report, lang, what), and the API's
    English report the same as gilde's; the file's path and that report."""
    path = os.path.join(h.dir, name)
    json.dump(answers, open(path, 'w'))
    en = a.json('screen', '--answers', path)
    check_one(en, 'en', who + 'gilde screen --json')
    nl = a.json('screen', '--answers', path, '--lang', 'nl')
    check_one(nl, 'nl', who + 'gilde screen --lang nl --json')
    api = w.json('/api/v1/screen?per_step=3', method='POST', headers={'Content-Type': 'application/json'},
                 body=json.dumps({'answers': answers, 'lang': 'en'}))
    check(api == en, '%sPOST /api/v1/screen differs from gilde screen --json' % who)
    return path, en


def screening_checks(h, a, w):
    path, en = both_reports(h, a, w, 'answers.json', ANSWERS, check_report, '')
    # "talk to a landing desk first" names Invest in Flanders and Invest in Ghent: its
    # helpers are those desks, before any other help for landing
    desks = {o['id'] for o in ghent_records('offer') if 'soft-landing-desk' in o['needs']}
    first = [o['id'] for o in en['steps'][0]['offers']][:len(desks)]
    check(desks == {'stad-gent-invest-in-ghent', 'fit-invest-in-flanders'} and set(first) == desks,
          'the landing desk step lists first %r' % first)
    check(w.json('/api/v1/screening') == a.json('screen', '--questions'),
          'GET /api/v1/screening differs from gilde screen --questions --json')

    # the same answers as flags, asked on stdin, saved and read again
    check(a.json('screen', *answer_flags(ANSWERS)) == en, 'gilde screen --answer ... differs from --answers')
    lines = answer_lines(ANSWERS)
    check(SCREENING['questions'][0]['id'] == 'work' and SCREENING['questions'][1]['id'] == 'home_country',
          'the screening asks first how one works here, then the country')
    saved = os.path.join(h.dir, 'saved.json')
    p = a.gilde('screen', '--ask', '--save', saved, '--json',
                input='\n'.join(lines[:1] + ['maybe'] + lines[2:]) + '\n', check_rc=False)
    # "maybe" is a fine home country: the one wrong answer is in the next test
    check(p.returncode == 0, 'gilde screen --ask: %d %s' % (p.returncode, p.stderr))
    asked = json.loads(p.stdout)
    check([s['rule'] for s in asked['steps']] == ROUTE, 'gilde screen --ask: route %r'
          % [s['rule'] for s in asked['steps']])
    check(json.load(open(saved)) == dict(ANSWERS, home_country='maybe'), 'saved answers differ')
    p = a.gilde('screen', '--ask', '--json', input='\n'.join(lines[:2] + ['later', '3'] + lines[3:]) + '\n',
                check_rc=False)
    check(p.returncode == 0 and 'give one of: idea, prototype, market, scaling' in p.stderr,
          'gilde screen --ask did not ask again after a wrong answer: %s' % p.stderr)
    check(json.loads(p.stdout) == en, 'gilde screen --ask after a retry differs')

    # on a terminal, gilde asks by itself (no --ask): the questions on it, the report on stdout
    master, slave = os.openpty()
    proc = subprocess.Popen([GILDE, 'screen', '--data', a.data, '--json'], stdin=slave,
                            stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    shown = []

    def drain():  # what gilde shows on the terminal, read so that it never blocks
        try:
            while True:
                chunk = os.read(master, 4096)
                if not chunk:
                    break
                shown.append(chunk)
        except OSError:
            pass  # the terminal closed with gilde
    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    os.write(master, ('\n'.join(lines) + '\n').encode())
    try:
        out, _ = proc.communicate(timeout=60)
    finally:
        proc.kill()
        reader.join(10)
        os.close(master)
    check(SCREENING['questions'][1]['label']['en'].encode() in b''.join(shown),
          'gilde screen on a terminal did not show the questions')
    check(proc.returncode == 0 and json.loads(out) == en, 'gilde screen on a terminal: %d' % proc.returncode)

    # the human report, in both languages
    out = a.gilde('screen', '--answers', path, '--lang', 'nl').stdout
    for rule in ROUTE:
        check(RULES[rule]['title']['nl'] in out, 'the Dutch report lacks %s' % rule)
    out = a.gilde('screen', '--answers', path).stdout
    check(all(RULES[r]['title']['en'] in out for r in ROUTE) and 'Who helps' in out, out[:500])

    # wrong answers, named
    bad = os.path.join(h.dir, 'bad.json')
    json.dump(dict(ANSWERS, stage='later', team_size=0), open(bad, 'w'))
    p = a.gilde('screen', '--answers', bad, check_rc=False)
    check(p.returncode == 1 and 'answers: /stage: give one of' in p.stderr and '/team_size:' in p.stderr,
          'bad answers: %d %s' % (p.returncode, p.stderr))
    msg = w.error('/api/v1/screen', 400, method='POST', headers={'Content-Type': 'application/json'},
                  body=json.dumps({'answers': {'work': 'company', 'stage': 'later'}}))
    check('/stage: give one of' in msg and '/home_country: required' in msg, msg)
    # answers of before: how one works here is asked first, and required
    old = dict(ANSWERS)
    del old['work']
    msg = w.error('/api/v1/screen', 400, method='POST', headers={'Content-Type': 'application/json'},
                  body=json.dumps({'answers': old}))
    check('/work: required' in msg, msg)
    w.error('/api/v1/screen', 400, method='POST', headers={'Content-Type': 'application/json'},
            body=json.dumps({'answers': ANSWERS, 'lang': 'fr'}))
    w.error('/api/v1/screen', 415, method='POST', body=json.dumps({'answers': ANSWERS}))
    w.error('/api/v1/screen?per_step=101', 400, 'per_step', method='POST',
            headers={'Content-Type': 'application/json'}, body=json.dumps({'answers': ANSWERS}))
    p = a.gilde('screen', '--answer', 'colour=red', check_rc=False)
    check(p.returncode == 2 and 'colour: no such question' in p.stderr, p.stderr)
    p = subprocess.run([GILDE, 'screen', '--data', a.data], capture_output=True, text=True,
                       stdin=subprocess.DEVNULL, timeout=60)
    check(p.returncode == 2 and '--answers FILE' in p.stderr, 'no answers, no terminal: %s' % p.stderr)

    # a landing programme's own copy, and a broken one
    own = json.loads(json.dumps(SCREENING))
    own['title']['en'] = 'Landing in Ghent, as a test programme asks it'
    own_path = os.path.join(h.dir, 'own-screening.json')
    json.dump(own, open(own_path, 'w'))
    env = dict(os.environ, GILDE_SCREENING=own_path)
    p = subprocess.run([GILDE, 'screen', '--data', a.data, '--answers', path, '--json'],
                       capture_output=True, text=True, env=env, timeout=60)
    check(p.returncode == 0 and json.loads(p.stdout)['title'] == own['title']['en'],
          'GILDE_SCREENING is not used: %s' % p.stderr)
    own['rules'][0]['when'][0]['q'] = 'nope'
    json.dump(own, open(own_path, 'w'))
    p = subprocess.run([GILDE, 'screen', '--data', a.data, '--check'], capture_output=True,
                       text=True, env=env, timeout=60)
    check(p.returncode == 1 and '/rules/0/when/0/q: no question "nope"' in p.stderr,
          'a broken screening: %d %s' % (p.returncode, p.stderr))
    check('sound' in a.gilde('screen', '--check').stdout, 'gilde screen --check on the built-in copy')

    # the answers went nowhere
    for root, _, files in os.walk(a.data):
        for f in files:
            if not os.path.isfile(os.path.join(root, f)):
                continue  # the control socket
            with open(os.path.join(root, f), 'rb') as fh:
                check(MARKER.encode() not in fh.read(), 'the answers are in %s' % os.path.join(root, f))
    check(MARKER not in open(a.log_path, errors='replace').read(), 'the answers are in the log')


def freelancer_report(rep, lang, what):
    """The report of FREELANCER: its route, the file's texts, the
    professional card with the directory's offers for it."""
    got = [s['rule'] for s in rep['steps']]
    check(got == FREELANCER_ROUTE, '%s: route %r, expected %r' % (what, got, FREELANCER_ROUTE))
    for s in rep['steps']:
        r = RULES[s['rule']]
        check(s['title'] == r['title'][lang] and s['text'] == r['text'][lang],
              '%s: step %s is not the file\'s %s text' % (what, s['rule'], lang))
        for word in COMPANY_WORDS:
            check(word not in s['title'] and word not in s['text'],
                  '%s: step %s speaks of a company: %r' % (what, s['rule'], word))
    steps = {s['rule']: s for s in rep['steps']}
    offers = {o['id']: o for o in ghent_records('offer')}
    # the card: the sample's offers named after it, each with its site
    cards = {i for i, o in offers.items() if 'beroepskaart' in o['name']['nl'].lower()}
    card = steps['card-apply']
    check(cards == {'xerius-beroepskaart', 'vlaanderen-economische-migratie-beroepskaart'} and
          {o['id'] for o in card['offers']} == cards and not card.get('see_step'),
          '%s: the card step lists %r, see_step %r' % (what, [o['id'] for o in card['offers']],
                                                       card.get('see_step')))
    for o in card['offers']:
        check(o['url'] == offers[o['id']]['url'] and o['reasons'], '%s: card offer %r' % (what, o))
    # registering: the desks and the social insurance funds; the bank: a bank
    reg = {o['id'] for o in steps['register-self']['offers']}
    check(reg and reg <= {'xerius-ondernemingsloket', 'acerta-ondernemingsloket',
                          'xerius-sociaal-verzekeringsfonds', 'acerta-sociaal-verzekeringsfonds'} and
          steps['register-self']['more'] == 4 - len(reg), '%s: registering lists %r' % (what, reg))
    check([o['id'] for o in steps['bank-account']['offers']] == ['bnp-paribas-fortis-zichtrekening'],
          '%s: the bank step lists %r' % (what, steps['bank-account']['offers']))
    # the city: its desks for newcomers and starters
    check({o['id'] for o in steps['newcomer-city']['offers']} ==
          {'stad-gent-expatloket', 'stad-gent-spreekuur'}, '%s: the city step lists %r'
          % (what, [o['id'] for o in steps['newcomer-city']['offers']]))
    # VAT: the registration desks listed at the registration step do it
    vat = steps['vat-activate']
    check(vat['offers'] or vat.get('see_step') == FREELANCER_ROUTE.index('register-self') + 1,
          '%s: the VAT step %r' % (what, vat))
    check(rep['profile'].get('activity') == 'freelance' and 'team_size' not in rep['answers'],
          '%s: profile %r' % (what, rep['profile']))


def freelancer_checks(h, a, w):
    path, en = both_reports(h, a, w, 'freelancer.json', FREELANCER, freelancer_report, 'a freelancer, ')
    check(a.json('screen', *answer_flags(FREELANCER)) == en, 'a freelancer: --answer differs')
    # asked on stdin: no company's question
    p = a.gilde('screen', '--ask', '--json', input='\n'.join(answer_lines(FREELANCER)) + '\n', check_rc=False)
    check(p.returncode == 0 and json.loads(p.stdout) == en, 'a freelancer, --ask: %d %s' % (p.returncode, p.stderr))
    for qid in ('stage', 'team_size', 'funding', 'product_in_market', 'entity_here'):
        q = next(q for q in SCREENING['questions'] if q['id'] == qid)
        check(q['label']['en'] not in p.stderr, 'a freelancer is asked %s' % qid)
    check(next(q for q in SCREENING['questions'] if q['id'] == 'eea_citizen')['label']['en'] in p.stderr,
          'a freelancer is not asked whether they are from the EEA')
    # team and funding are not required of them; their citizenship is
    msg = w.error('/api/v1/screen', 400, method='POST', headers={'Content-Type': 'application/json'},
                  body=json.dumps({'answers': dict((k, v) for k, v in FREELANCER.items() if k != 'eea_citizen')}))
    check('/eea_citizen: required' in msg and 'team_size' not in msg and 'funding' not in msg, msg)
    # the report on the terminal: the card's offers, by name, with their sites
    out = a.gilde('screen', '--answers', path).stdout
    for oid in ('xerius-beroepskaart', 'vlaanderen-economische-migratie-beroepskaart'):
        o = next(o for o in en['steps'][2]['offers'] if o['id'] == oid)
        check(o['name'] in out, 'the text report lacks %s' % oid)
    check('Apply for your professional card' in out and 'https://www.xerius.be/' in out and
          'The partners of step' not in out.split('Apply for your professional card')[1].split('\n 4.')[0],
          'the text report\'s card step: %s' % out[:2000])
    out = a.gilde('screen', '--answers', path, '--lang', 'nl').stdout
    check(RULES['card-apply']['title']['nl'] in out and 'Beroepskaart voor ondernemers van buiten de EER' in out,
          'the Dutch text report\'s card step')
    # first clients and a desk: networks, the city's work, workspaces; not the
    # landing desks for companies (Invest in Flanders, Invest in Ghent)
    rep = w.json('/api/v1/screen', method='POST', headers={'Content-Type': 'application/json'},
                 body=json.dumps({'answers': dict(FREELANCER, wants=['office', 'pilots'])}))
    steps = {s['rule']: [o['id'] for o in s['offers']] for s in rep['steps']}
    check(steps.get('market-self-clients') and steps.get('office-self') and
          not {'fit-invest-in-flanders', 'stad-gent-invest-in-ghent'} &
          set(steps['market-self-clients'] + steps['office-self']),
          'a freelancer\'s first clients and desk: %r' % steps)
    # from the EEA, registered already: both in place, no bank, no VAT
    eea = dict(FREELANCER, eea_citizen=True, registered=True)
    rep = w.json('/api/v1/screen', method='POST', headers={'Content-Type': 'application/json'},
                 body=json.dumps({'answers': eea}))
    got = [(s['rule'], s['status']) for s in rep['steps']]
    check(got == [('newcomer-city', 'to_prepare'), ('why-here-write', 'to_prepare'),
                  ('card-none', 'in_place'), ('register-done', 'in_place'), ('office-self', 'to_prepare')],
          'a registered freelancer from the EEA: %r' % got)


def map_checks(a, w):
    for sector in (None, 'photonics', 'agrofood'):
        args = ['--sector', sector] if sector else []
        m = a.json('map', *args)
        want = model_map(sector)
        got = map_triples(m)
        check(got == want, 'gilde map %s: %d triples, model %d; only in the map: %r; only in the model: %r'
              % (sector, len(got), len(want), sorted(got - want)[:5], sorted(want - got)[:5]))
        check(m['offers_shown'] == len({t[2] for t in want}) and
              m['partners_shown'] == len({t[0] for t in want}), 'counts %r' % m)
        # the sample is under the bounds: every partner listed, every cell whole
        check(m['partners_more'] == 0 and len(m['partners']) == m['partners_shown'],
              'partners listed %d of %d, more %r' % (len(m['partners']), m['partners_shown'],
                                                     m.get('partners_more')))
        cells = [(p['id'], c) for p in m['partners'] for c in p['cells']]
        check(all(c['count'] == len(c['offers']) and
                  c['made_for'] == any(o['sectors'] is not None for o in c['offers'])
                  for _, c in cells), 'a cell whose count or made_for is not its offers\'')
        check(m['hubs_shown'] == len(m['hubs']), 'hubs_shown %r, hubs %d' % (m['hubs_shown'], len(m['hubs'])))
        q = '?sector=' + sector if sector else ''
        check(w.json('/api/v1/map' + q) == m, '/api/v1/map%s differs from gilde map --json' % q)
        # the CSV: one row per partner, need and sector
        out = subprocess.run([GILDE, 'map', '--data', a.data, '--csv'] + args, capture_output=True,
                             timeout=60).stdout.decode()
        rows = out.split('\r\n')  # RFC 4180: CRLF
        check(rows[0] == '"partner_id","partner","hub","place","need","sector","offers","offer_ids"'
              and rows[-1] == '' and '\n' not in ''.join(rows), 'CSV: %r' % out[:200])
        csv = set()
        for r in rows[1:-1]:
            f = r[1:-1].split('","')
            for oid in f[7].split(' '):
                csv.add((f[0], f[4], oid))
        check(csv == want, 'gilde map --csv %s differs from the model' % sector)
        # the picture: a dot per cell, every partner named
        svg = a.gilde('map', '--svg', '-', '--lang', 'nl', *args).stdout
        root = ET.fromstring(svg.encode())
        cells = sum(len(p['cells']) for p in m['partners'])
        dots = root.findall('.//%sg/%scircle' % (SVG, SVG))
        check(len(dots) == cells, 'the SVG has %d dots for %d cells' % (len(dots), cells))
        texts = ''.join(''.join(t.itertext()) for t in root.iter(SVG + 'text'))
        for p in m['partners']:
            check(p['name']['nl'][:20] in texts, 'the SVG does not name %s' % p['id'])
        status, hd, body = w.raw('GET', '/map.svg?lang=nl' + ('&sector=' + sector if sector else ''))
        check(status == 200 and hd['content-type'].startswith('image/svg+xml') and body.decode() == svg,
              '/map.svg differs from gilde map --svg -')
    hubs = {h['id'] for h in a.json('map')['hubs']}
    check({'tech-lane-ghent-science-park', 'wintercircus'} <= hubs, 'hubs on the map: %r' % hubs)
    p = a.gilde('map', '--sector', 'space', check_rc=False)
    check(p.returncode == 2 and 'not one of' in p.stderr, p.stderr)
    w.error('/api/v1/map?sector=space', 400, 'sector')


def partner_files(h, offers):
    d = os.path.join(h.dir, 'partner')
    os.makedirs(d, exist_ok=True)
    recs = [{'kind': 'partner', 'id': 'lab-x', 'name': {'nl': 'Labo X', 'en': 'Lab X'},
             'description': {'nl': 'Een proeflabo.', 'en': 'A test lab.'},
             'url': 'https://lab-x.example.org/', 'org_type': 'incubator',
             'hub': {'id': 'test-park', 'name': {'nl': 'Testpark', 'en': 'Test Park'},
                     'locality': 'Gent (Testwijk)'}}]
    for oid, needs in offers:
        recs.append({'kind': 'offer', 'id': oid, 'partner': 'lab-x', 'name': {'nl': oid, 'en': oid},
                     'description': {'nl': 'Proef.', 'en': 'Test.'}, 'url': 'https://lab-x.example.org/',
                     'needs': needs, 'languages': ['en']})
    paths = []
    for r in recs:
        p = os.path.join(d, '%s-%s.json' % (r['kind'], r['id']))
        json.dump(r, open(p, 'w'))
        paths.append(p)
    return paths


def federation_checks(h):
    """A partner's new offer appears on the city's map; revoked, it is gone."""
    city = h.node('city')
    city_key = city.first_key()
    conf, _ = h.federation_config('curated', federation='curator = %s\n' % city_key,
                                  extra='dial = 0\n[web]\nlisten = 127.0.0.1:0\n')
    city.args = ['--config', conf]
    city.start()
    w = Web(city)
    city.gilde('publish', *GHENT)
    lab = h.node('lab', ['--config', conf, '--peer', city.addr])
    lab.start()
    city.gilde('endorse', lab.key, '--name', 'Lab X')
    lab.gilde('publish', *partner_files(h, [('lab-x-desks', ['location-office'])]))

    def lab_on_map():
        m = city.json('map')
        return next((p for p in m['partners'] if p['id'] == 'lab-x'), None)
    p = wait_until(lab_on_map, 40, 'the endorsed partner on the city\'s map')
    check(p['hub'] == 'test-park' and p['location'] == {'from': 'hub', 'locality': 'Gent (Testwijk)'} and
          [(c['need'], [o['id'] for o in c['offers']]) for c in p['cells']] == [('location', ['lab-x-desks'])],
          'the partner on the map: %r' % p)
    check(any(h_['id'] == 'test-park' and h_['partners'] == 1 for h_ in city.json('map')['hubs']),
          'its hub is not on the map')

    # a new offer: it appears, under its need, in JSON, CSV and picture
    lab.gilde('publish', *partner_files(h, [('lab-x-hiring', ['talent'])])[1:])
    wait_until(lambda: ('lab-x', 'talent', 'lab-x-hiring') in map_triples(city.json('map')), 40,
               'the new offer on the city\'s map')
    check('"lab-x","Lab X","test-park","Gent (Testwijk)","talent","","1","lab-x-hiring"'
          in city.gilde('map', '--csv').stdout, 'the new offer is not in the CSV')
    svg = w.get('/map.svg')[1].decode()
    check('Lab X' in svg and 'lab-x-hiring' in svg, 'the new offer is not in the picture')

    # revoked: gone from the map, the CSV and the picture
    city.gilde('revoke', lab.key, '--reason', 'left')
    wait_until(lambda: lab_on_map() is None, 40, 'the revoked partner to leave the map')
    check('lab-x' not in city.gilde('map', '--csv').stdout, 'the revoked partner is in the CSV')
    svg = w.get('/map.svg')[1].decode()
    check('Lab X' not in svg and 'Test Park' not in svg, 'the revoked partner is in the picture')
    check('test-park' not in {h_['id'] for h_ in city.json('map')['hubs']}, 'its hub stays on the map')
    check(map_triples(city.json('map')) == model_map(), 'the map after the revocation is not the sample\'s')


def main():
    with Harness('landing') as h:
        conf = h.write_config('a', '[federation]\nopen = true\n[web]\nlisten = 127.0.0.1:0\n'
                                   'rate = 100000\nburst = 100000\n')
        a = h.node('a', args=['--config', conf])
        a.start()
        w = Web(a)
        a.gilde('publish', *GHENT)
        screening_checks(h, a, w)
        freelancer_checks(h, a, w)
        map_checks(a, w)
        federation_checks(h)
        print('ok: screening and map against %d sample offers' % len(ghent_records('offer')))


if __name__ == '__main__':
    run(main)
