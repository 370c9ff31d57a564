#!/usr/bin/env python3
"""gilde loads libical and libxml2 when first called (client/lazylib.c):
its program file does not name them (nor ICU, nor libstdc++, which they
bring), gilded's does; a match loads neither; the commands that need them
(events with a weekly rule, an iCalendar file, an Atom feed, the map's
SVG) load them and write what they wrote when linked."""
import os
import subprocess
import xml.etree.ElementTree as ET

from harness import GHENT, GILDE, GILDED, Harness, check, run

HEAVY = ('libical', 'libxml2', 'libicu', 'libstdc++')
# the sanitizers' runtimes bring libstdc++ themselves
LOADED = HEAVY[:3] if os.environ.get('GILDE_SANITIZED') else HEAVY


def needed(path):
    out = subprocess.run(['readelf', '-d', path], capture_output=True, timeout=30,
                         check=True).stdout.decode()
    return [ln.split('[')[1].split(']')[0] for ln in out.splitlines() if '(NEEDED)' in ln]


def loaded(node, *args):
    """The libraries the dynamic loader opened for one gilde command."""
    env = dict(os.environ, LD_DEBUG='libs')
    cmd = [GILDE] + list(args[:1]) + ['--data', node.data] + list(args[1:])
    p = subprocess.run(cmd, capture_output=True, timeout=60, env=env)
    check(p.returncode == 0, '%s: %s' % (' '.join(args), p.stderr.decode()[-400:]))
    libs = {ln.split('calling init: ')[1].strip() for ln in p.stderr.decode().splitlines()
            if 'calling init: ' in ln}
    return {os.path.basename(x) for x in libs}, p.stdout.decode()


def heavy(libs, which=HEAVY):
    return sorted(x for x in libs if x.startswith(which))


def main():
    mine = needed(GILDE)
    check(mine and not heavy(mine), 'gilde names %r among its libraries' % heavy(mine))
    theirs = needed(GILDED)
    check(any(x.startswith('libical') for x in theirs) and
          any(x.startswith('libxml2') for x in theirs),
          'gilded should link libical and libxml2: %r' % theirs)
    with Harness('lazylib') as h:
        a = h.node('a')
        a.start()
        a.gilde('publish', *GHENT)
        libs, out = loaded(a, 'match', '--phase', 'start', '--need', 'financing')
        check(out.startswith('To-do for a starter'), 'match printed %r' % out[:200])
        check(not heavy(libs, LOADED), 'a match loaded %r' % heavy(libs, LOADED))
        # the weekly consultation hours expand by libical's RRULE iterator
        libs, out = loaded(a, 'events', '--json')
        check(any(x.startswith('libical') for x in libs), 'events loaded %r' % sorted(libs))
        check('"recurrence_id"' in out, 'no occurrence of a weekly event: %r' % out[:300])
        ics = os.path.join(h.dir, 'all.ics')
        loaded(a, 'events', '--ics', ics)
        with open(ics, newline='') as f:
            text = f.read()
        check(text.startswith('BEGIN:VCALENDAR\r\n') and '\r\nRRULE:FREQ=WEEKLY' in text and
              '\r\nBEGIN:VTIMEZONE\r\n' in text, 'the calendar: %r' % text[:300])
        atom = os.path.join(h.dir, 'news.atom')
        libs, _ = loaded(a, 'news', '--atom', atom)
        check(any(x.startswith('libxml2') for x in libs), 'news --atom loaded %r' % sorted(libs))
        feed = ET.parse(atom).getroot()
        check(len(feed.findall('{http://www.w3.org/2005/Atom}entry')) == 4,
              'the feed has %d entries' % len(feed.findall('{http://www.w3.org/2005/Atom}entry')))
        _, svg = loaded(a, 'map', '--svg', '-')
        check(ET.fromstring(svg.encode()).tag == '{http://www.w3.org/2000/svg}svg',
              'the map: %r' % svg[:200])


if __name__ == '__main__':
    run(main)
