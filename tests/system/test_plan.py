#!/usr/bin/env python3
"""gilde plan keeps the partner a starter chose for each step and when they
asked it, prints how to reach that partner, and reads and writes the plan
file the web page saves and opens (schemas/plan.schema.json): choose,
asked, note, export and import, a plan of the page's (no offers in it)
made this machine's, a version 1 plan read and written back as version 2,
and bad plan files refused with the place of the fault.  All with the
daemon stopped: nothing of the plan goes to it."""
import json
import os

from harness import Harness, check, run

BOOK = 'https://example.org/afspraak/startersgesprek'


def record(h, d):
    path = os.path.join(h.dir, d['kind'] + '-' + d['id'] + '.json')
    with open(path, 'w') as f:
        json.dump(d, f)
    return path


def offer(h, oid, needs, contact=None, phases=None):
    d = {'kind': 'offer', 'id': oid, 'partner': 'loket',
         'name': {'nl': 'Aanbod ' + oid, 'en': 'Offer ' + oid},
         'description': {'nl': 'Testaanbod ' + oid, 'en': 'Test offer ' + oid},
         'url': 'https://example.org/' + oid, 'needs': needs, 'languages': ['nl', 'en']}
    if contact:
        d['contact'] = contact
    if phases:
        d['eligibility'] = {'phases': phases}
    return record(h, d)


def write(h, name, doc):
    path = os.path.join(h.dir, name)
    with open(path, 'w') as f:
        json.dump(doc, f)
    return path


def load(path):
    with open(path) as f:
        return json.load(f)


def step(doc, need):
    found = [i for i in doc['items'] if i['need'] == need]
    check(len(found) == 1, 'no step %s in %r' % (need, [i['need'] for i in doc['items']]))
    return found[0]


def main():
    with Harness('plan') as h:
        a = h.node('a')
        a.start()
        partner = record(h, {
            'kind': 'partner', 'id': 'loket', 'name': {'nl': 'Testloket', 'en': 'Test desk'},
            'description': {'nl': 'x', 'en': 'x'}, 'url': 'https://example.org/',
            'org_type': 'government',
            'contact': {'email': 'loket@example.org', 'phone': '+32 9 210 10 10',
                        'languages': ['nl', 'en']}})
        coach = offer(h, 'coach', ['administration'],
                      {'email': 'coach@example.org', 'booking_url': BOOK})
        files = [partner, coach, offer(h, 'desk', ['administration']),
                 offer(h, 'loan', ['financing']), offer(h, 'grant', ['financing']),
                 offer(h, 'network', ['networking'])]
        a.json('publish', *files)
        a.stop()

        def plan(*args, rc=0, path=None):
            p = a.gilde('plan', *args, '--plan', path or mine, check_rc=False)
            check(p.returncode == rc, 'gilde plan %s exited %d, expected %d:\n%s%s'
                  % (' '.join(args), p.returncode, rc, p.stdout, p.stderr))
            return p

        prof = write(h, 'profile.json', {'phase': 'prestart', 'lang': 'en'})
        mine = os.path.join(h.dir, 'plan.json')
        plan('init', '--profile', prof)
        doc = load(mine)
        check(doc['format'] == 'gilde-plan' and doc['version'] == 2 and doc['lang'] == 'en',
              'the plan file is not format gilde-plan version 2: %r' % {k: doc.get(k) for k in
                                                                        ('format', 'version', 'lang')})
        check([i['need'] for i in doc['items']][:2] == ['administration', 'financing'],
              'no needs: the paths propose them: %r' % [i['need'] for i in doc['items']])

        # -- choose, by number, by id and by AUTHOR/ID; asked; a note ----------------
        adm = step(doc, 'administration')
        pos = [o['id'] for o in adm['offers']].index('coach') + 1
        plan('asked', 'administration', rc=1)
        plan('choose', 'administration', str(pos))
        got = step(load(mine), 'administration')['chosen']
        check(got['id'] == 'coach' and got['author'] == a.key and got['partner'] == 'Test desk' and
              got['contact'].get('booking_url') == BOOK and 'asked_at' not in got,
              'chosen by number: %r' % got)
        shown = plan('show').stdout
        check('chosen: Offer coach — Test desk' in shown and 'not asked yet' in shown and
              'book: ' + BOOK in shown and 'coach@example.org' in shown,
              'show does not print the chosen offer and how to reach it:\n' + shown)
        plan('asked', '1')
        asked = step(load(mine), 'administration')['chosen']
        check(asked.get('asked_at', '').endswith('Z') and asked['chosen_at'] == got['chosen_at'],
              'asked: %r' % asked)
        check('asked ' + asked['asked_at'][:10] in plan('show').stdout, 'show omits the asked date')
        # choosing the same offer again keeps when it was chosen and asked
        plan('choose', 'administration', a.key + '/coach')
        check(step(load(mine), 'administration')['chosen'] == asked, 'choosing again lost the dates')
        plan('choose', 'financing', 'loan')
        loan = step(load(mine), 'financing')['chosen']
        # an offer without a contact of its own is reached through its partner's
        check(loan['contact'] == {'email': 'loket@example.org', 'phone': '+32 9 210 10 10',
                                  'languages': ['nl', 'en']}, 'partner contact: %r' % loan)
        check('loket@example.org  +32 9 210 10 10' in plan('show').stdout,
              'show prints no contact line for the partner\'s contact')
        plan('choose', 'financing', 'nothing', rc=3)
        plan('choose', 'nothing', '1', rc=3)
        plan('note', 'financing', 'Ask about the guarantee.\nBring the plan.')
        plan('done', 'administration')
        plan('choose', 'networking', '1')
        plan('choose', 'networking', '-')
        check('chosen' not in step(load(mine), 'networking'), '- must clear the choice')
        plan('note', '1', 'x' * 4001, rc=1)

        # -- export: the plan file itself, refused over a file, to stdout -------------
        out = os.path.join(h.dir, 'exported.json')
        plan('export', out)
        check(load(out) == load(mine), 'the export is not the plan')
        plan('export', out, rc=1)
        plan('export', out, '--force')
        check(json.loads(plan('export', '-').stdout) == load(mine), 'export - is not the plan')

        # -- import into another plan: everything the starter said survives ----------
        other = os.path.join(h.dir, 'other.json')
        plan('import', out, path=other)
        back = load(other)
        for need in ('administration', 'financing'):
            was, now = step(load(mine), need), step(back, need)
            for k in ('done', 'done_at', 'chosen', 'notes'):
                check(was.get(k) == now.get(k), 'import lost %s of %s: %r, now %r'
                      % (k, need, was.get(k), now.get(k)))
        plan('import', out, rc=1, path=other)
        # a plan the page saved: no offers, Dutch; matched again, offers come back
        page = load(out)
        page['lang'] = 'nl'
        page['profile']['lang'] = 'nl'
        for it in page['items']:
            it.pop('offers', None)
            it.pop('gone', None)
            it.pop('label', None)
        page['items'].append({'need': 'soft-landing', 'done': True})
        from_page = write(h, 'from-page.json', page)
        p = plan('import', from_page, '--force', path=other)
        check('soft-landing' in p.stderr and 'left out' in p.stderr,
              'a step the list lacks must be reported: %s' % p.stderr)
        back = load(other)
        check(back['lang'] == 'nl' and step(back, 'administration')['label'] == 'Administratie en inschrijving'
              and step(back, 'administration')['offers'], 'import did not match again: %r'
              % step(back, 'administration'))
        check(step(back, 'financing')['chosen']['name'] == 'Aanbod loan',
              'the chosen offer is not named in the plan\'s language: %r' % step(back, 'financing'))
        check(step(back, 'administration')['chosen']['asked_at'] == asked['asked_at'],
              'the asked date did not survive the page\'s file')

        # -- refresh brings the chosen offer's contact up to date --------------------
        a.start()
        a.json('publish', offer(h, 'coach', ['administration'],
                                {'email': 'coach@example.org', 'phone': '+32 9 000 00 00'}))
        a.stop()
        plan('refresh')
        fresh = step(load(mine), 'administration')['chosen']
        check(fresh['contact'] == {'email': 'coach@example.org', 'phone': '+32 9 000 00 00'} and
              fresh['asked_at'] == asked['asked_at'], 'refresh: %r' % fresh)

        # -- bad files are refused, with the place of the fault ----------------------
        bad = load(out)
        bad['items'][1]['need'] = 'administration'
        p = plan('import', write(h, 'twice.json', bad), '--force', rc=1, path=other)
        check('/items/1/need' in p.stderr, 'a need twice: %s' % p.stderr)
        bad = load(out)
        bad['items'][0]['chosen']['asked_at'] = 'yesterday'
        p = plan('import', write(h, 'when.json', bad), '--force', rc=1, path=other)
        check('/items/0/chosen/asked_at' in p.stderr, 'a bad date: %s' % p.stderr)
        bad = load(out)
        bad['profile']['phase'] = 'later'
        p = plan('import', write(h, 'phase.json', bad), '--force', rc=1, path=other)
        check('profile: /phase' in p.stderr, 'a bad profile: %s' % p.stderr)
        p = plan('import', write(h, 'other-json.json', {'items': []}), '--force', rc=1, path=other)
        check('not a gilde plan' in p.stderr, 'not a plan: %s' % p.stderr)
        check(load(other) == back, 'a refused import changed the plan')

        # -- a version 1 plan (gilde plan before) is read and written as version 2 ----
        v1 = {'gilde_plan': 1, 'profile': {'phase': 'start', 'needs': ['administration'], 'lang': 'en'},
              'created': '2026-01-01T10:00:00Z', 'refreshed': '2026-01-02T10:00:00Z',
              'items': [{'need': 'administration', 'label': 'Paperwork', 'done': True,
                         'done_at': '2026-01-02T10:00:00Z',
                         'offers': [{'author': a.key, 'id': 'desk', 'name': 'Offer desk',
                                     'partner': 'Test desk', 'url': 'https://example.org/desk',
                                     'email': 'old@example.org'}], 'gone': []}]}
        old = write(h, 'v1.json', v1)
        check('1. [x] Paperwork  (done 2026-01-02)' in plan('show', path=old).stdout, 'v1 show')
        plan('choose', '1', 'desk', path=old)
        now = load(old)
        check(now['version'] == 2 and 'gilde_plan' not in now and now['created'] == v1['created'] and
              now['items'][0]['done_at'] == v1['items'][0]['done_at'] and
              now['items'][0]['chosen']['id'] == 'desk', 'v1 written back: %r' % now)
    print('plan: ok')


if __name__ == '__main__':
    run(main)
