#!/usr/bin/env python3
"""gilde events: the Ghent sample events in start order from one node, the
--from/--to/--sector/--phase filters, and the iCalendar export (--ics),
read back twice: by a small parser here that checks the bytes (CRLF, lines
of at most 75 octets, escaping) and by libical itself through ctypes."""
import ctypes
import ctypes.util
import datetime
import glob
import json
import os

from harness import SOURCE, Harness, check, run

# The node's clock (GILDE_FAKE_NOW): "upcoming" means from here on.
NOW = datetime.datetime(2027, 3, 1, tzinfo=datetime.timezone.utc)
BRUSSELS = 'Europe/Brussels'


def instant(text):
    return datetime.datetime.fromisoformat(text.replace('Z', '+00:00'))


def sample_events():
    files = sorted(glob.glob(os.path.join(SOURCE, 'contrib', 'ghent', '*', 'event-*.json')))
    check(len(files) >= 10, 'sample events: %d files' % len(files))
    return files, [json.load(open(f)) for f in files]


def ids_in_order(docs):
    return [d['id'] for d in sorted(docs, key=lambda d: (instant(d['start']), d['id']))]


def check_listing(a, docs):
    got = a.json('events', '--from', '2027-01-01')
    check([r['id'] for r in got] == ids_in_order(docs), 'start order: %r' % [r['id'] for r in got])
    starts = [instant(r['start']) for r in got]
    check(starts == sorted(starts), 'starts ascend')
    for r in got:
        for f in ('author', 'kind', 'id', 'version', 'content_id', 'issued', 'name', 'start'):
            check(f in r, 'entry lacks %s: %r' % (f, r))
        check(r['kind'] == 'event', 'kind: %r' % r['kind'])

    # default --from is now (the node's clock)
    upcoming = [d for d in docs if instant(d['start']) >= NOW]
    check([r['id'] for r in a.json('events')] == ids_in_order(upcoming), 'default --from now')

    # [from, to): --from is inclusive, --to exclusive, DATE is 00:00 UTC
    cut = '2027-04-01'
    before = [d for d in docs if instant(d['start']) < instant(cut + 'T00:00:00Z')]
    check([r['id'] for r in a.json('events', '--from', '2027-01-01', '--to', cut)] ==
          ids_in_order(before), '--to')
    first = ids_in_order(docs)[3]
    start = [d['start'] for d in docs if d['id'] == first][0]
    got = a.json('events', '--from', start, '--to', '2027-12-31')
    check(got and got[0]['id'] == first, '--from is inclusive: %r' % [r['id'] for r in got[:2]])
    check(a.json('events', '--from', '2028-01-01') == [], 'nothing after the last event')

    for opt, field, value in (('--sector', 'sectors', 'biotech'), ('--phase', 'phases', 'growth'),
                              ('--sector', 'sectors', 'retail'), ('--phase', 'phases', 'idea')):
        want = [d for d in docs if field not in d or value in d[field]]
        got = a.json('events', '--from', '2027-01-01', opt, value)
        check([r['id'] for r in got] == ids_in_order(want), '%s %s: %r' % (opt, value, got))
        check(0 < len(want) < len(docs), 'the %s %s case filters something' % (opt, value))

    # human output: one line per event, the start as written in the record
    p = a.gilde('events', '--from', '2027-01-01', '--to', '2027-05-07', '--lang', 'nl')
    lines = p.stdout.splitlines()
    check(len(lines) == len([d for d in docs if instant(d['start']) < instant('2027-05-07T00:00:00Z')]),
          'human lines: %r' % lines)
    check(lines[-1].startswith('2027-05-06 19:00  Pitchavond van de studenten-ondernemers'), lines[-1])
    check('Pitchavond van de studenten-ondernemers (HOGENT) — HOGENT campus Schoonmeersen, '
          'Valentin Vaerwyckweg 1, 9000 Gent' in lines[-1], lines[-1])
    check(all(' — online' in l for l in lines if l.startswith('2027-01-19 12:30')), 'online: %r' % lines)

    # usage errors: exit 2, nothing on stdout
    for bad in (['--from', '2027-13-01'], ['--to', 'tomorrow'], ['--sector', 'no-such-sector'],
                ['--phase', 'teenager'], ['--from', '2027-05-01', '--to', '2027-04-01'],
                ['--ics', '-', '--json'], ['extra']):
        p = a.gilde('events', *bad, check_rc=False)
        check(p.returncode == 2 and p.stdout == '', 'events %s: exit %d, %r' % (bad, p.returncode, p.stdout))


# -- iCalendar, read by hand ----------------------------------------------------

def unfold(raw):
    """Check the bytes and return the logical lines."""
    check(raw.endswith(b'\r\n'), 'the file ends with CRLF')
    physical = raw[:-2].split(b'\r\n')
    for line in physical:
        check(b'\n' not in line and b'\r' not in line, 'bare line break in %r' % line)
        check(len(line) <= 75, 'a line of %d octets: %r' % (len(line), line))
    logical = []
    for line in physical:
        if line[:1] in (b' ', b'\t'):
            logical[-1] += line[1:]
        else:
            logical.append(line)
    # folding may only cut between characters: every logical line is UTF-8
    return [l.decode('utf-8') for l in logical]


def unescape(text):
    out, i = [], 0
    while i < len(text):
        c = text[i]
        if c == '\\' and i + 1 < len(text):
            n = text[i + 1]
            out.append('\n' if n in 'nN' else n)
            i += 2
        else:
            out.append(c)
            i += 1
    return ''.join(out)


def parse_ics(raw):
    """The calendar's own properties and its components as lists of
    (name, params, value), in file order."""
    comps, stack = [], []
    for line in unfold(raw):
        head, _, value = line.partition(':')
        name, *params = head.split(';')
        if name == 'BEGIN':
            stack.append((value, []))
        elif name == 'END':
            kind, props = stack.pop()
            check(kind == value, 'END:%s closes %s' % (value, kind))
            comps.append((kind, props, len(stack)))
        else:
            stack[-1][1].append((name, dict(p.split('=', 1) for p in params), value))
    check(not stack, 'unclosed components')
    return comps


def prop(props, name):
    found = [p for p in props if p[0] == name]
    check(len(found) == 1, '%d %s properties' % (len(found), name))
    return found[0]


def read_calendar(path):
    raw = open(path, 'rb').read()
    comps = parse_ics(raw)
    cal = [c for c in comps if c[0] == 'VCALENDAR']
    check(len(cal) == 1 and cal[0][2] == 0, 'one VCALENDAR')
    props = cal[0][1]
    for name, value in (('VERSION', '2.0'), ('PRODID', '-//gilde//gilde 0.1//EN'),
                        ('CALSCALE', 'GREGORIAN'), ('METHOD', 'PUBLISH')):
        check(prop(props, name)[2] == value, '%s: %r' % (name, prop(props, name)))
    tzs = [c for c in comps if c[0] == 'VTIMEZONE']
    check(len(tzs) == 1 and prop(tzs[0][1], 'TZID')[2] == BRUSSELS, 'one VTIMEZONE %s' % BRUSSELS)
    check(b'freeassociation' not in raw and b'X-LIC-ERROR' not in raw, 'no libical prefix or errors')
    events = {}
    for kind, props, _ in comps:
        if kind != 'VEVENT':
            continue
        ev = {n: (pa, v) for n, pa, v in props}
        check(len(ev) == len(props), 'repeated property in %r' % props)
        events[ev['UID'][1]] = ev
    return raw, events


def local_hour(ev, name):
    params, value = ev[name]
    check(params.get('TZID') == BRUSSELS, '%s TZID: %r' % (name, params))
    return value


# -- iCalendar, read by libical -------------------------------------------------

def libical_check(raw, expect):
    """Parse with libical; expect maps UID to (DTSTART value, DESCRIPTION)."""
    lib = ctypes.CDLL(ctypes.util.find_library('ical') or 'libical.so.3')
    vp, cp, ci = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int
    for fn, res, args in (('icalparser_parse_string', vp, [cp]),
                          ('icalcomponent_string_to_kind', ci, [cp]),
                          ('icalproperty_string_to_kind', ci, [cp]),
                          ('icalcomponent_get_first_component', vp, [vp, ci]),
                          ('icalcomponent_get_next_component', vp, [vp, ci]),
                          ('icalcomponent_get_first_property', vp, [vp, ci]),
                          ('icalproperty_get_parameter_as_string', cp, [vp, cp]),
                          ('icalproperty_get_value_as_string', cp, [vp]),
                          ('icalcomponent_get_uid', cp, [vp]),
                          ('icalcomponent_get_description', cp, [vp]),
                          ('icalcomponent_count_errors', ci, [vp]),
                          ('icalcomponent_free', None, [vp])):
        getattr(lib, fn).restype = res
        getattr(lib, fn).argtypes = args
    cal = lib.icalparser_parse_string(raw)
    check(cal, 'libical parses the calendar')
    try:
        check(lib.icalcomponent_count_errors(cal) == 0, 'libical finds errors')
        vevent = lib.icalcomponent_string_to_kind(b'VEVENT')
        dtstart = lib.icalproperty_string_to_kind(b'DTSTART')
        seen = {}
        c = lib.icalcomponent_get_first_component(cal, vevent)
        while c:
            uid = lib.icalcomponent_get_uid(c).decode()
            p = lib.icalcomponent_get_first_property(c, dtstart)
            tzid = lib.icalproperty_get_parameter_as_string(p, b'TZID')
            check(tzid == BRUSSELS.encode(), 'libical: DTSTART TZID %r' % tzid)
            seen[uid] = (lib.icalproperty_get_value_as_string(p).decode(),
                         lib.icalcomponent_get_description(c).decode())
            c = lib.icalcomponent_get_next_component(cal, vevent)
        for uid, want in expect.items():
            check(seen.get(uid) == want, 'libical %s: %r != %r' % (uid, seen.get(uid), want))
        return len(seen)
    finally:
        lib.icalcomponent_free(cal)


TRICKY = ('Bring: laptop, charger; notes\\drafts. Tweede regel: café – "crème brûlée" '
          'voor iedereen, en een lange zin die zeker over de 75 octets van één regel gaat, '
          'zodat libical moet vouwen; ook midden in é, ü, € en 🎉 tekens.\nLaatste regel.')


def tricky_event(h, version_text, start='2027-07-01T08:00:00Z', end='2027-07-01T10:30:00+02:00',
                 status='scheduled', id='gilde-test-tricky'):
    doc = {
        'kind': 'event', 'id': id,
        'name': {'nl': 'Test; met, tekens \\ ' + version_text, 'en': 'Test; with, marks \\ ' + version_text},
        'description': {'nl': TRICKY, 'en': TRICKY},
        'url': 'https://example.org/events?a=1;b=2',
        'start': start, 'end': end,
        'location': {'name': 'Zaal A, B; C', 'address': {'street': 'Kouter 1', 'postal_code': '9000',
                                                          'locality': 'Gent', 'country': 'BE'},
                     'online': True},
        'sectors': ['digital'], 'status': status,
    }
    path = os.path.join(h.dir, id + '.json')
    json.dump(doc, open(path, 'w'), ensure_ascii=False)
    return path


def check_ics(h, a, docs):
    path = os.path.join(h.dir, 'events.ics')
    tricky = tricky_event(h, 'v1')
    a.gilde('publish', tricky)
    off = tricky_event(h, 'off', start='2027-06-29T09:00:00+02:00', end='2027-06-29T10:00:00+02:00',
                       status='cancelled', id='gilde-test-off')
    a.gilde('publish', off)
    check('gilde-test-off' not in [r['id'] for r in a.json('events', '--from', '2027-01-01')],
          'a cancelled event is not listed')
    p = a.gilde('events', '--from', '2027-01-01', '--ics', path)
    check(p.stdout.strip() == 'wrote %d events to %s' % (len(docs) + 2, path), p.stdout)
    check(not os.path.exists(path + '.part'), 'no .part file left')
    raw, events = read_calendar(path)
    check(len(events) == len(docs) + 2, '%d VEVENTs' % len(events))
    # the same calendar on stdout
    # (input=b'' makes the harness keep stdout as bytes: CRLF intact)
    check(a.gilde('events', '--from', '2027-01-01', '--ics', '-', input=b'').stdout == raw, '--ics -')

    key_hex = None
    expect = {}
    for d in docs:
        uid = [u for u in events if u.startswith(d['id'] + '@')]
        check(len(uid) == 1, 'UID of %s' % d['id'])
        ev = events[uid[0]]
        key_hex = uid[0].split('@')[1].split('.')[0]
        check(uid[0].endswith('.gilde') and len(key_hex) == 16, 'UID form %s' % uid[0])
        local = instant(d['start']).strftime('%Y%m%dT%H%M%S')  # sample times are Brussels times
        check(local_hour(ev, 'DTSTART') == local, '%s DTSTART %r' % (d['id'], ev['DTSTART']))
        check(local_hour(ev, 'DTEND') == instant(d['end']).strftime('%Y%m%dT%H%M%S'), 'DTEND')
        check(unescape(ev['SUMMARY'][1]) == d['name']['en'], 'SUMMARY %r' % ev['SUMMARY'][1])
        check(unescape(ev['DESCRIPTION'][1]) == d['description']['en'] + '\n\n' + d['url'], 'DESCRIPTION')
        check(ev['URL'][1] == d['url'] and ev['STATUS'][1] == 'CONFIRMED', 'URL, STATUS')
        check(ev['DTSTAMP'][1].endswith('Z') and int(ev['SEQUENCE'][1]) > 0, 'DTSTAMP, SEQUENCE')
        expect[uid[0]] = (local, d['description']['en'] + '\n\n' + d['url'])

    uid = 'gilde-test-tricky@%s.gilde' % key_hex
    ev = events[uid]
    # 08:00Z on 1 July is 10:00 summer time in Brussels
    check(local_hour(ev, 'DTSTART') == '20270701T100000', 'tricky DTSTART %r' % (ev['DTSTART'],))
    check(ev['SUMMARY'][1] == 'Test\\; with\\, marks \\\\ v1', 'escaped SUMMARY %r' % ev['SUMMARY'][1])
    want = TRICKY + '\n\nhttps://example.org/events?a=1;b=2'
    check(unescape(ev['DESCRIPTION'][1]) == want, 'DESCRIPTION round trip %r' % ev['DESCRIPTION'][1])
    check('\\,' in ev['DESCRIPTION'][1] and '\\;' in ev['DESCRIPTION'][1] and
          '\\\\' in ev['DESCRIPTION'][1] and '\\n' in ev['DESCRIPTION'][1], 'escapes in DESCRIPTION')
    check(b'DESCRIPTION:' in raw and raw.count(b'\r\n ') > 10, 'long texts are folded')
    check(unescape(ev['LOCATION'][1]) == 'Zaal A, B; C, Kouter 1, 9000 Gent, online', 'LOCATION %r' % ev['LOCATION'][1])
    check(events['gilde-test-off@%s.gilde' % key_hex]['STATUS'][1] == 'CANCELLED', 'STATUS:CANCELLED')
    expect[uid] = ('20270701T100000', want)
    check(libical_check(raw, expect) == len(events), 'libical sees every VEVENT')

    # an update keeps the UID and raises SEQUENCE; a retraction drops the event
    # (SEQUENCE counts seconds, so the update comes a day later: restart
    # the node with its clock moved on, which also shows the index persists)
    seq1 = int(ev['SEQUENCE'][1])
    a.stop()
    a.env = {'GILDE_FAKE_NOW': str(int(NOW.timestamp()) + 86400)}
    a.start()
    check(len(a.json('events', '--from', '2027-01-01')) == len(docs) + 1, 'index after restart')
    a.gilde('publish', tricky_event(h, 'v2', start='2027-12-01T08:00:00Z',
                                    end='2027-12-01T11:00:00+01:00'))
    a.gilde('retract', 'event/gilde-test-off')
    a.gilde('events', '--from', '2027-01-01', '--ics', path)
    raw2, events2 = read_calendar(path)
    check(set(events2) == set(events) - {'gilde-test-off@%s.gilde' % key_hex}, 'UIDs after update')
    ev2 = events2[uid]
    check(int(ev2['SEQUENCE'][1]) > seq1, 'SEQUENCE grew: %s -> %s' % (seq1, ev2['SEQUENCE'][1]))
    check(ev2['DTSTAMP'][1] > ev['DTSTAMP'][1], 'DTSTAMP grew')
    check(local_hour(ev2, 'DTSTART') == '20271201T090000', 'winter time: %r' % (ev2['DTSTART'],))
    check(local_hour(ev2, 'DTEND') == '20271201T110000', 'DTEND moved: %r' % (ev2['DTEND'],))
    check(unescape(ev2['SUMMARY'][1]).endswith('v2'), 'new SUMMARY')
    # the moved event is last now, in start order
    check(list(events2)[-1] == uid, 'order after the move')


def main():
    files, docs = sample_events()
    env = {'GILDE_FAKE_NOW': str(int(NOW.timestamp()))}
    with Harness('events') as h:
        a = h.node('a', env=env)
        a.start()
        check(a.json('events') == [], 'no events yet')
        # one node publishes for every organisation: events name theirs in "partner"
        partners = sorted(glob.glob(os.path.join(SOURCE, 'contrib', 'ghent', '*', 'partner.json')))
        res = a.json('publish', *(files + partners))
        check(len(res) == len(files) + len(partners), 'published %d' % len(res))
        check_listing(a, docs)
        check_ics(h, a, docs)
        # the index survives a restart and reads work while the daemon is down
        a.stop()
        got = a.json('events', '--from', '2027-01-01')
        check(len(got) == len(docs) + 1, 'after stop: %d events' % len(got))
        check(got[-1]['id'] == 'gilde-test-tricky', 'moved event last: %r' % got[-1]['id'])


if __name__ == '__main__':
    run(main)
