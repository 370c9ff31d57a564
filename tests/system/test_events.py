#!/usr/bin/env python3
"""gilde events: the Ghent sample events in start order from one node, the
--from/--to/--sector/--phase filters, and the iCalendar export (--ics),
read back twice: by a small parser here that checks the bytes (CRLF, lines
of at most 75 octets, escaping) and by libical itself through ctypes.

Recurring events: the sample's four (the twice-yearly starters' day, Level
Up four times a year, the Business Desk's Monday mornings without the
public holidays, Gentrepreneur's Wednesday coaching) expand as their
descriptions say, and the same way in `gilde events --json`, in GET
/api/v1/events (what the page's calendar shows) and in the .ics feed
expanded by libical as a subscriber's calendar would (its own VTIMEZONE,
RRULE, EXDATE), in whole and partial windows; a series that began before
the window is still found; an open rule stops at the caps; a bad rule is
refused at publish with the field named."""
import ctypes
import ctypes.util
import datetime
import glob
import http.client
import json
import os
import zoneinfo

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


def recurs(d):
    return 'recurrence' in d


def ids_in_order(docs):
    return [d['id'] for d in sorted(docs, key=lambda d: (instant(d['start']), d['id']))]


def one_off_ids(rows):
    """The ids of the rows that are one-off events (no recurrence_id), in order."""
    return [r['id'] for r in rows if 'recurrence_id' not in r]


def check_listing(a, docs):
    singles = [d for d in docs if not recurs(d)]
    got = a.json('events', '--from', '2027-01-01')
    check(one_off_ids(got) == ids_in_order(singles), 'start order: %r' % one_off_ids(got))
    check({r['id'] for r in got if 'recurrence_id' in r} == {d['id'] for d in docs if recurs(d)},
          'the recurring events are listed: %r' % sorted({r['id'] for r in got}))
    starts = [instant(r['start']) for r in got]
    check(starts == sorted(starts), 'starts ascend')
    for r in got:
        for f in ('author', 'kind', 'id', 'version', 'content_id', 'issued', 'name', 'start', 'uid'):
            check(f in r, 'entry lacks %s: %r' % (f, r))
        check(r['kind'] == 'event', 'kind: %r' % r['kind'])

    # default --from is now (the node's clock)
    upcoming = [d for d in singles if instant(d['start']) >= NOW]
    check(one_off_ids(a.json('events')) == ids_in_order(upcoming), 'default --from now')

    # [from, to): --from is inclusive, --to exclusive, DATE is 00:00 UTC
    cut = '2027-04-01'
    before = [d for d in singles if instant(d['start']) < instant(cut + 'T00:00:00Z')]
    check(one_off_ids(a.json('events', '--from', '2027-01-01', '--to', cut)) ==
          ids_in_order(before), '--to')
    first = ids_in_order(singles)[3]
    start = [d['start'] for d in docs if d['id'] == first][0]
    got = a.json('events', '--from', start, '--to', '2027-12-31')
    check(got and got[0]['id'] == first, '--from is inclusive: %r' % [r['id'] for r in got[:2]])
    check(a.json('events', '--from', '2028-01-01') == [], 'nothing after the last event')

    for opt, field, value in (('--sector', 'sectors', 'biotech'), ('--phase', 'phases', 'growth'),
                              ('--sector', 'sectors', 'retail'), ('--phase', 'phases', 'idea')):
        want = [d for d in docs if field not in d or value in d[field]]
        got = a.json('events', '--from', '2027-01-01', opt, value)
        check(one_off_ids(got) == ids_in_order([d for d in want if not recurs(d)]),
              '%s %s: %r' % (opt, value, got))
        check({r['id'] for r in got if 'recurrence_id' in r} == {d['id'] for d in want if recurs(d)},
              '%s %s: recurring %r' % (opt, value, {r['id'] for r in got}))
        check(0 < len(want) < len(docs), 'the %s %s case filters something' % (opt, value))

    # human output: one line an occurrence, the start in Brussels time
    p = a.gilde('events', '--from', '2027-01-01', '--to', '2027-05-07', '--lang', 'nl')
    lines = p.stdout.splitlines()
    rows = a.json('events', '--from', '2027-01-01', '--to', '2027-05-07')
    check(len(lines) == len(rows), 'human lines: %d, JSON rows %d' % (len(lines), len(rows)))
    check(lines[-1].startswith('2027-05-06 19:00  Pitchavond van de studenten-ondernemers'), lines[-1])
    check(any(l.startswith('2027-04-05 09:00  Spreekuur van het Ondernemerspunt (') for l in lines),
          'the Monday after Easter Monday: %r' % lines)
    check(not any(l.startswith('2027-03-29 09:00') for l in lines), 'Easter Monday: %r' % lines)
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
        once = [(n, pa, v) for n, pa, v in props if n != 'EXDATE']  # EXDATE: one per date
        ev = {n: (pa, v) for n, pa, v in once}
        check(len(ev) == len(once), 'repeated property in %r' % props)
        ev['EXDATE'] = [(pa, v) for n, pa, v in props if n == 'EXDATE']
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
        # a recurring event: its rule (libical's order of the parts) and its exdates in Brussels time
        rule = d.get('recurrence', {})
        if rule:
            check(dict(x.split('=') for x in ev['RRULE'][1].split(';')) ==
                  dict(x.split('=') for x in rule['rrule'].split(';')),
                  '%s RRULE %r, record %r' % (d['id'], ev['RRULE'][1], rule['rrule']))
        else:
            check('RRULE' not in ev, '%s: an RRULE without a recurrence' % d['id'])
        check([(pa.get('TZID'), v) for pa, v in ev['EXDATE']] ==
              [(BRUSSELS, instant(x).astimezone(TZ).strftime('%Y%m%dT%H%M%S'))
               for x in rule.get('exdates', [])], '%s EXDATE %r' % (d['id'], ev['EXDATE']))
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
    check(len(event_ids(a.json('events', '--from', '2027-01-01'))) == len(docs) + 1,
          'index after restart')
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


# -- recurring events: the CLI, the API and the feed expand alike --------------

TZ = zoneinfo.ZoneInfo(BRUSSELS)
D = datetime.date


def at_local(y, m, d, hour, minute=0):
    return datetime.datetime(y, m, d, hour, minute, tzinfo=TZ)


def weekly(first, last, hour, skip=()):
    """Brussels wall-clock times every seventh day from date first through last."""
    out, d = [], first
    while d <= last:
        if d not in skip:
            out.append(at_local(d.year, d.month, d.day, hour))
        d += datetime.timedelta(days=7)
    return out


# What the sample's descriptions say, written out here (not read from the rules).
SERIES = {
    # the Business Desk's Monday mornings, none on Easter Monday, Whit Monday, All Saints
    'stad-gent-ondernemerspunt-spreekuur-2027':
        weekly(D(2027, 1, 4), D(2027, 12, 20), 9, skip={D(2027, 3, 29), D(2027, 5, 17), D(2027, 11, 1)}),
    # Gentrepreneur's Wednesday afternoons until the end of June
    'gentrepreneur-coachingsmoment-2027': weekly(D(2027, 2, 10), D(2027, 6, 30), 14),
    # Level Up: four a year, the third Thursday of March, June, September, December
    'ghent-economic-board-level-up-2027': [at_local(2027, 3, 18, 18), at_local(2027, 6, 17, 18),
                                           at_local(2027, 9, 16, 18), at_local(2027, 12, 16, 18)],
    # the starters' day: twice a year, the second Saturday of March and September
    'stad-gent-startersdag-2027-03': [at_local(2027, 3, 13, 10), at_local(2027, 9, 11, 10)],
}


def check_series_expectations():
    """The lists above are what the descriptions say: the weekday, the week of the month."""
    s = SERIES
    check(len(s['stad-gent-ondernemerspunt-spreekuur-2027']) == 48 and
          all(t.weekday() == 0 and t.hour == 9 for t in s['stad-gent-ondernemerspunt-spreekuur-2027']),
          'Mondays 09:00')
    check(len(s['gentrepreneur-coachingsmoment-2027']) == 21 and
          all(t.weekday() == 2 for t in s['gentrepreneur-coachingsmoment-2027']), 'Wednesdays')
    check(all(t.weekday() == 3 and 15 <= t.day <= 21 for t in s['ghent-economic-board-level-up-2027']),
          'third Thursdays')
    check(all(t.weekday() == 5 and 8 <= t.day <= 14 for t in s['stad-gent-startersdag-2027-03']),
          'second Saturdays')


class _Time(ctypes.Structure):  # struct icaltimetype (libical 3.0)
    _fields_ = [(n, ctypes.c_int) for n in ('year', 'month', 'day', 'hour', 'minute', 'second',
                                            'is_date', 'is_daylight')] + [('zone', ctypes.c_void_p)]


class _Span(ctypes.Structure):  # struct icaltime_span
    _fields_ = [('start', ctypes.c_int64), ('end', ctypes.c_int64), ('is_busy', ctypes.c_int)]


_SPAN_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.POINTER(_Span), ctypes.c_void_p)


def feed_occurrences(raw, frm, to):
    """{UID: [occurrence starts]} of a calendar as a subscriber's libical expands it:
    each VEVENT's DTSTART in the file's own VTIMEZONE, its RRULE and EXDATEs; the
    occurrences that start in [frm, to)."""
    lib = ctypes.CDLL(ctypes.util.find_library('ical') or 'libical.so.3')
    vp, cp, ci = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int
    for fn, res, args in (('icalparser_parse_string', vp, [cp]),
                          ('icalcomponent_string_to_kind', ci, [cp]),
                          ('icalcomponent_get_first_component', vp, [vp, ci]),
                          ('icalcomponent_get_next_component', vp, [vp, ci]),
                          ('icalcomponent_get_uid', cp, [vp]),
                          ('icaltimezone_get_utc_timezone', vp, []),
                          ('icaltime_from_timet_with_zone', _Time, [ctypes.c_int64, ci, vp]),
                          ('icalcomponent_foreach_recurrence', None, [vp, _Time, _Time, _SPAN_FN, vp]),
                          ('icalcomponent_free', None, [vp])):
        getattr(lib, fn).restype = res
        getattr(lib, fn).argtypes = args
    cal = lib.icalparser_parse_string(raw)
    check(cal, 'libical parses the feed')
    utc = lib.icaltimezone_get_utc_timezone()
    day = 86400  # libical gives what overlaps its window: ask wider, keep the starts
    a = lib.icaltime_from_timet_with_zone(int(frm.timestamp()) - day, 0, utc)
    b = lib.icaltime_from_timet_with_zone(int(to.timestamp()) + day, 0, utc)
    out = {}
    try:
        c = lib.icalcomponent_get_first_component(cal, lib.icalcomponent_string_to_kind(b'VEVENT'))
        while c:
            starts = []
            keep = _SPAN_FN(lambda comp, span, data: starts.append(span.contents.start))
            lib.icalcomponent_foreach_recurrence(c, a, b, keep, None)
            got = [datetime.datetime.fromtimestamp(t, datetime.timezone.utc) for t in starts]
            got = [t for t in got if frm <= t < to]
            if got:
                out[lib.icalcomponent_get_uid(c).decode()] = got
            c = lib.icalcomponent_get_next_component(cal, lib.icalcomponent_string_to_kind(b'VEVENT'))
    finally:
        lib.icalcomponent_free(cal)
    return out


def listed(rows):
    """{UID: [occurrence starts]} of a listing (gilde events --json, /api/v1/events),
    checking that UID and recurrence_id name each row once."""
    out, seen = {}, set()
    for r in rows:
        key = (r['uid'], r.get('recurrence_id'))
        check(key not in seen, 'occurrence %r listed twice' % (key,))
        seen.add(key)
        if 'recurrence_id' in r:
            # the RECURRENCE-ID is the occurrence's start in Brussels time
            check(instant(r['start']).astimezone(TZ).strftime('%Y%m%dT%H%M%S') == r['recurrence_id'],
                  'recurrence_id %r, start %r' % (r['recurrence_id'], r['start']))
        out.setdefault(r['uid'], []).append(instant(r['start']))
    return out


class Web:
    def __init__(self, node):
        web = node.json('status')['daemon'].get('web')
        check(web and web.get('listen'), 'no web address: %r' % web)
        self.host, port = web['listen'].rsplit(':', 1)
        self.port = int(port)

    def get(self, path):
        c = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            c.request('GET', path)
            r = c.getresponse()
            body = r.read()
            check(r.status == 200, 'GET %s: %d %s' % (path, r.status, body[:300]))
            return body
        finally:
            c.close()

    def json(self, path):
        return json.loads(self.get(path))


def check_recurring(h, a, web, docs):
    check_series_expectations()
    uid_of = {}
    for r in a.json('events', '--from', '2027-01-01'):
        uid_of[r['id']] = r['uid']
    for frm, to in (('2027-01-01T00:00:00Z', '2028-01-01T00:00:00Z'),
                    ('2027-03-20T00:00:00Z', '2027-06-01T00:00:00Z'),
                    ('2027-03-29T00:00:00Z', '2027-03-30T00:00:00Z')):
        cli = listed(a.json('events', '--from', frm, '--to', to))
        api_rows = web.json('/api/v1/events?from=%s&to=%s&limit=500' % (frm, to))
        check(api_rows['more'] is False, 'the window holds no more than listed')
        api = listed(api_rows['events'])
        feed = feed_occurrences(web.get('/events.ics?from=%s&to=%s' % (frm, to)), instant(frm), instant(to))
        cli_feed = feed_occurrences(a.gilde('events', '--from', frm, '--to', to, '--ics', '-', input=b'').stdout,
                                    instant(frm), instant(to))
        check(cli == api, '%s..%s: gilde events and /api/v1/events differ:\n%r\n%r' % (frm, to, cli, api))
        check(cli == feed, '%s..%s: the listing and the expanded feed differ:\n%r\n%r' % (frm, to, cli, feed))
        check(cli_feed == feed, '%s..%s: gilde events --ics and /events.ics differ' % (frm, to))
        # and as the descriptions say
        for id_, want in SERIES.items():
            want = [t for t in want if instant(frm) <= t < instant(to)]
            check(cli.get(uid_of[id_], []) == want, '%s in %s..%s: %r, expected %r'
                  % (id_, frm, to, cli.get(uid_of[id_]), want))
        if frm.startswith('2027-03-20'):
            # the Business Desk's series began in January: still found (the index's
            # recurring section keeps it by its first start)
            check(len(cli.get(uid_of['stad-gent-ondernemerspunt-spreekuur-2027'], [])) == 9,
                  'the Mondays from 20 March: %r' % cli)

    # what the page's calendar asks: GET /api/v1/events as it is (from the node's now)
    page = web.json('/api/v1/events')
    check(listed(page['events']) == listed(a.json('events')), 'the page and gilde events differ')
    first = [r for r in page['events'] if r['id'] == 'stad-gent-ondernemerspunt-spreekuur-2027'][0]
    check(first['start'] == '2027-03-01T09:00:00+01:00' and first['end'] == '2027-03-01T12:00:00+01:00'
          and first['recurrence_id'] == '20270301T090000', 'the first Monday after now: %r' % first)
    check(first['recurrence'] == json.load(open(glob.glob(os.path.join(
        SOURCE, 'contrib', 'ghent', 'stad-gent', 'event-stad-gent-ondernemerspunt-spreekuur-2027.json'))[0]))
        ['recurrence'], 'the record\'s recurrence is kept')

    # refused at publish, with the file and the field named
    for rrule, exdates, want in (
            ('FREQ=WEEKLY;COUNT=3;UNTIL=20270301T000000Z', None, '/recurrence/rrule: COUNT and UNTIL together'),
            ('FREQ=WEEKLY;BYDAY=MO;BYDAY=TU', None, '/recurrence/rrule: BYDAY is given twice'),
            ('FREQ=WEEKLY;BYMONTHDAY=3', None, '/recurrence/rrule: libical cannot expand'),
            ('FREQ=WEEKLY;BYDAY=TU', None, '/recurrence/rrule: its first occurrence is'),
            ('FREQ=WEEKLY;BYDAY=MO', ['2027-03-29T09:00:00+01:00'], '/recurrence/exdates/0: ')):
        doc = {'kind': 'event', 'id': 'gilde-test-bad-rule', 'name': {'nl': 'X', 'en': 'X'},
               'description': {'nl': 'X', 'en': 'X'}, 'url': 'https://example.org/',
               'start': '2027-03-01T09:00:00+01:00', 'recurrence': {'rrule': rrule}}
        if exdates:
            doc['recurrence']['exdates'] = exdates
        path = os.path.join(h.dir, 'bad-rule.json')
        json.dump(doc, open(path, 'w'))
        p = a.gilde('publish', path, check_rc=False)
        check(p.returncode == 1 and path + ': ' + want in p.stderr,
              '%s: exit %d, %r' % (rrule, p.returncode, p.stderr))
    check('gilde-test-bad-rule' not in event_ids(a.json('events', '--from', '2027-01-01')),
          'a refused event is not listed')


def check_caps(h, env):
    """A rule without COUNT or UNTIL in a window without an end: the caps end it."""
    b = h.node('b', env=env)
    b.start()
    path = os.path.join(h.dir, 'daily.json')
    json.dump({'kind': 'event', 'id': 'gilde-test-daily', 'name': {'nl': 'Elke dag', 'en': 'Every day'},
               'description': {'nl': 'X', 'en': 'X'}, 'url': 'https://example.org/',
               'start': '2027-03-01T12:00:00+01:00', 'recurrence': {'rrule': 'FREQ=DAILY'}}, open(path, 'w'))
    b.gilde('publish', path)
    p = b.gilde('events', '--json')
    rows = json.loads(p.stdout)
    check(len(rows) == 366 and rows[-1]['start'] == '2028-02-29T12:00:00+01:00',
          '%d occurrences, the last %r' % (len(rows), rows[-1]['start']))
    check('narrow it with --from and --to' in p.stderr, 'no word of the cap: %r' % p.stderr)
    p = b.gilde('events', '--to', '2027-03-08')
    check(len(p.stdout.splitlines()) == 7 and p.stderr == '', 'a week: %r %r' % (p.stdout, p.stderr))
    b.stop()


def event_ids(rows):
    return {r['id'] for r in rows}


def main():
    files, docs = sample_events()
    env = {'GILDE_FAKE_NOW': str(int(NOW.timestamp()))}
    with Harness('events') as h:
        web_root = os.path.join(SOURCE, 'daemon', 'web')
        conf = h.write_config('a', '[web]\nlisten = 127.0.0.1:0\nroot = %s\nrate = 100000\n'
                                   'burst = 100000\n' % web_root)
        a = h.node('a', env=env, args=['--config', conf])
        a.start()
        check(a.json('events') == [], 'no events yet')
        # one node publishes for every organisation: events name theirs in "partner"
        partners = sorted(glob.glob(os.path.join(SOURCE, 'contrib', 'ghent', '*', 'partner.json')))
        res = a.json('publish', *(files + partners))
        check(len(res) == len(files) + len(partners), 'published %d' % len(res))
        check_listing(a, docs)
        check_recurring(h, a, Web(a), docs)
        check_ics(h, a, docs)
        # the index survives a restart and reads work while the daemon is down
        a.stop()
        got = a.json('events', '--from', '2027-01-01')
        check(len(event_ids(got)) == len(docs) + 1, 'after stop: %d events' % len(event_ids(got)))
        check(one_off_ids(got)[-1] == 'gilde-test-tricky', 'moved event last: %r' % one_off_ids(got)[-1])
        check(listed(got)[[r['uid'] for r in got if r['id'] == 'stad-gent-ondernemerspunt-spreekuur-2027'][0]]
              == SERIES['stad-gent-ondernemerspunt-spreekuur-2027'], 'the series after stop')
        check_caps(h, env)


if __name__ == '__main__':
    run(main)
