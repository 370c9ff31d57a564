#!/usr/bin/env python3
"""gilde search's human lines for a long answer, every hit printed: the
same hits in the same order with the same text as a straightforward
reference made here from `gilde search --json` (which looks each hit up
in rank order): "%.2f" of the score, KIND/ID, the title in the preferred
language and whose the record is ("NAME (ed25519:SHORTKEY)": its partner
record's name, else the author's first partner record's).

The lines are made in key order and written in rank order (cmd_search.c),
the hits sorted by key and then by score (search_score.c): ties are where
that can go wrong, so the records come in a few shapes (many equal
scores), with ids that agree past 8 bytes, ids that begin others ("k1",
"k10", "k100") and partners named, absent or missing."""
import json
import os

from harness import Harness, check, run

N = 2400
SHAPES = [('Mango lening', 'Mango loan', 'Een lening voor starters.', 'A loan for starters.'),
          ('Mango advies en begeleiding', 'Mango advice and guidance', 'Advies.', 'Advice.'),
          ('Kantoor bij Mango', 'Office at Mango', 'Een kantoor met mango.', 'An office with mango.'),
          ('Mango', 'Mango', 'Mango mango.', 'Mango mango.'),
          ('Netwerk café', 'Network café', 'Een netwerk rond mango.', 'A network around mango.')]
PARTNERS = {'p-een': 'Eerste partner', 'p-twee': 'Tweede partner'}


def write(h, doc):
    path = os.path.join(h.dir, 'rec', doc['kind'] + '-' + doc['id'] + '.json')
    with open(path, 'w', encoding='utf-8') as f:
        json.dump(doc, f, ensure_ascii=False)
    return path


def records(h):
    os.makedirs(os.path.join(h.dir, 'rec'))
    files = [write(h, {'kind': 'partner', 'id': pid, 'name': {'nl': name, 'en': name + ' (en)'},
                       'description': {'nl': 'Een partner.', 'en': 'A partner.'},
                       'url': 'https://example.org/' + pid, 'languages': ['nl'],
                       'contact': {'url': 'https://example.org/', 'languages': ['nl']},
                       'org_type': 'investor', 'areas': ['vlaanderen'],
                       'last_confirmed': '2026-12-05'})
             for pid, name in PARTNERS.items()]
    for i in range(N):
        ident = ('gedeeld-lang-voorvoegsel-%d' % i, 'k%d' % (i // 3), 'o-%05d' % i)[i % 3]
        nl, en, dnl, den = SHAPES[i % len(SHAPES)]
        pad = ' vulling' * (i % 7)  # lengths of 7 kinds: scores of 5 x 7 kinds, each tied
        doc = {'kind': 'offer', 'id': ident, 'name': {'nl': nl, 'en': en},
               'description': {'nl': dnl + pad, 'en': den + pad},
               'url': 'https://example.org/o',
               'needs': ['financing-loan'], 'languages': ['nl']}
        partner = (None, 'p-een', 'p-twee', 'p-ontbreekt')[i % 4]
        if partner:
            doc['partner'] = partner
        files.append(write(h, doc))
    return files


def title(doc):
    """body_text's choice for the preferred language, English."""
    v = doc.get('name', doc.get('title'))
    if isinstance(v, str):
        return v
    for lang in ('en', 'nl'):
        if isinstance(v.get(lang), str):
            return v[lang]
    return next((s for s in v.values() if isinstance(s, str)), '')


def who(doc):
    short = doc['author'][:len('ed25519:') + 8]
    name = PARTNERS.get(doc.get('partner')) or PARTNERS['p-een']  # else the first partner
    return '%s (en) (%s)' % (name, short) if doc['kind'] == 'offer' else None


def reference(hits):
    lines = []
    for d in hits:
        w = who(d)
        if w is None:  # a partner record: its own first partner, by key
            w = '%s (en) (%s)' % (PARTNERS['p-een'], d['author'][:len('ed25519:') + 8])
        lines.append('%.2f\t%s/%s\t%s\t%s' % (d['score'], d['kind'], d['id'], title(d), w))
    return lines


def main():
    with Harness('search_print') as h:
        a = h.node('a')
        a.start()
        check(len(a.json('publish', *records(h))) >= 0, 'publish')
        check(a.json('status')['records']['offer'] == N, 'the %d offers held' % N)
        for q in ('mango', 'lening starters mango', 'café', 'kantoor advies'):
            hits = a.json('search', q, '--prefer', 'en')
            text = a.gilde('search', q, '--prefer', 'en').stdout
            want = reference(hits)
            got = text.split('\n')
            check(got[-1] == '', '%s: the answer ends with a newline' % q)
            got = got[:-1]
            scores = [d['score'] for d in hits]
            tied = sum(1 for i in range(1, len(scores)) if scores[i] == scores[i - 1])
            shown = len({'%.2f' % x for x in scores})
            check(len(hits) >= N // 5 and tied >= len(hits) // 2 and (shown >= 5 or q == 'mango'),
                  '%s: %d hits, %d tied with the one above, %d scores shown: the test asks '
                  'too little' % (q, len(hits), tied, shown))
            for i, (g, w) in enumerate(zip(got, want)):
                check(g == w, '%s: line %d is %r, the reference %r' % (q, i, g, w))
            check(len(got) == len(want), '%s: %d lines, %d hits' % (q, len(got), len(want)))
            # a page is the answer's first lines
            page = a.gilde('search', q, '--prefer', 'en', '--limit', '50').stdout
            check(page == ''.join(l + '\n' for l in got[:50]), '%s: --limit 50' % q)
    print('search print: ok')


if __name__ == '__main__':
    run(main)
