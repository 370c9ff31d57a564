#!/usr/bin/env python3
"""Counts of the Ghent sample: organisations, offers by sector, by need and
by activity, and how many offers a starter can reach by e-mail, phone,
appointment page or contact page (the offer's own contact, else its
partner's, as schemas/README.md says).

Usage: python3 contrib/ghent/stats.py"""
import collections
import glob
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
TAX = json.load(open(os.path.join(HERE, '..', '..', 'schemas', 'taxonomy.json')))['x-terms']
PARENT = {t['id']: t.get('parent') for t in TAX['need']}


def records():
    for f in sorted(glob.glob(os.path.join(HERE, '*', '*.json'))):
        if os.path.basename(os.path.dirname(f)) != 'profiles':
            yield json.load(open(f))


def top(need):
    while PARENT.get(need):
        need = PARENT[need]
    return need


def main():
    recs = list(records())
    partners = {r['id']: r for r in recs if r['kind'] == 'partner'}
    offers = [r for r in recs if r['kind'] == 'offer']
    events = [r for r in recs if r['kind'] == 'event']
    print('organisations: %d' % len(partners))
    print('offers: %d   events: %d (recurring: %d)   news: %d'
          % (len(offers), len(events), sum('recurrence' in e for e in events),
             sum(r['kind'] == 'news' for r in recs)))
    by_sector, by_need, by_act = (collections.Counter() for _ in range(3))
    for o in offers:
        el = o.get('eligibility', {})
        for s in el.get('sectors') or ['(any sector)']:
            by_sector[s] += 1
        for n in {top(n) for n in o['needs']}:
            by_need[n] += 1
        for a in el.get('activities') or ['(any activity)']:
            by_act[a] += 1
    for title, c in (('by sector (an offer open to all sectors counts once as "(any sector)")', by_sector),
                     ('by need (top-level need; an offer counts once per need it answers)', by_need),
                     ('by activity', by_act)):
        print('\n' + title + ':')
        for k, v in sorted(c.items(), key=lambda kv: (-kv[1], kv[0])):
            print('  %-22s %3d' % (k, v))
    reach = collections.Counter()
    for o in offers:
        c = o.get('contact') or partners.get(o.get('partner'), {}).get('contact') or {}
        for k in ('email', 'phone', 'booking_url', 'url'):
            reach[k] += k in c
        reach['email or phone'] += 'email' in c or 'phone' in c
        reach['any contact point'] += any(k in c for k in ('email', 'phone', 'booking_url', 'url'))
        reach['own contact'] += 'contact' in o
        reach['last_confirmed'] += 'last_confirmed' in o
    print('\noffers a starter can reach (own contact, else the partner\'s):')
    for k, label in (('email', 'by e-mail'), ('phone', 'by phone'), ('email or phone', 'by e-mail or phone'),
                     ('booking_url', 'through an appointment page'), ('url', 'through a contact page'),
                     ('any contact point', 'in at least one of these ways'),
                     ('own contact', 'with a contact of their own'), ('last_confirmed', 'with last_confirmed')):
        print('  %-34s %3d of %d' % (label, reach[k], len(offers)))


if __name__ == '__main__':
    main()
