#!/usr/bin/env python3
"""Documentation: the man pages (contrib/man/*.scd) describe exactly what
the programs say they do.

- every configuration option `gilded --help` lists is in gilde.conf(5),
  in the same section and with the same default, and gilde.conf(5)
  documents no option gilded does not have;
- every flag of `gilded --help` is in gilded(8), with the same short
  form, and gilded(8) documents no other flag;
- every command of `gilde --help` is in gilde(1) and gilde(1) documents no
  other; each command's options (`gilde COMMAND --help`) are in its entry,
  which names no option the command does not take; the options every
  command takes are in gilde(1) OPTIONS, and no others;
- the example configuration contrib/gilded.conf, and the one in
  gilde.conf(5) EXAMPLE, pass `gilded --check-config`.
"""
import os
import re
import subprocess
import tempfile

from harness import GILDE, GILDED, SOURCE, TestFailure, check, run

MAN = os.path.join(SOURCE, 'contrib', 'man')
# options every gilde command takes (cli_common); a command's own --help
# mentions them in its synopsis without documenting them there
COMMON_FLAG = re.compile(r'^\s+(?:(-\w), )?(--[a-z][a-z-]*)')


def sh(*cmd):
    try:
        p = subprocess.run(list(cmd), capture_output=True, text=True, timeout=30)
    except OSError as e:
        raise TestFailure('cannot run %s: %s' % (cmd[0], e))
    return p


def help_text(*cmd):
    p = sh(*cmd)
    check(p.returncode == 0, '%s exited %d:\n%s' % (' '.join(cmd), p.returncode, p.stderr))
    check(p.stdout.strip(), '%s printed nothing' % ' '.join(cmd))
    return p.stdout


def block(text, title):
    """The lines after the line `title` up to the next empty line."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.strip() == title:
            out = []
            for l in lines[i + 1:]:
                if not l.strip():
                    break
                out.append(l)
            return out
    raise TestFailure('no "%s" in:\n%s' % (title, text))


# -- scdoc -------------------------------------------------------------------

def scd_sections(name):
    """{TITLE: [lines]} of a .scd file's top-level sections (`# TITLE`),
    literal blocks (```) kept but never read as headings."""
    path = os.path.join(MAN, name)
    check(os.path.exists(path), path + ' is missing')
    sections, cur, fenced = {}, None, False
    with open(path, encoding='utf-8') as f:
        for line in f.read().splitlines():
            if line.startswith('```'):
                fenced = not fenced
            elif not fenced and line.startswith('# '):
                cur = line[2:].strip()
                check(cur not in sections, '%s: section "%s" twice' % (name, cur))
                sections[cur] = []
                continue
            if cur is not None:
                sections[cur].append(line)
    check(not fenced, name + ': a ``` literal block is not closed')
    return sections


def scd_section(name, title):
    s = scd_sections(name)
    check(title in s, '%s has no "# %s" section (it has: %s)' % (name, title, ', '.join(s)))
    return s[title]


def entries(lines):
    """Definition-list entries: (head, [head and body lines]) for each line
    that starts a paragraph in column 0 with *...* (or follows a head that
    ends in ++); a body is the indented lines after it.  `## ` subheadings
    are returned as (None, [line]); other paragraphs are left out."""
    out, prev, in_entry = [], '', False
    for line in lines:
        starts = not prev.strip() or (in_entry and prev.endswith('++') and not prev[0].isspace())
        if line.startswith('## '):
            out.append((None, [line]))
            in_entry = False
        elif line.startswith('*') and starts:
            out.append((line, [line]))
            in_entry = True
        elif in_entry and (line.startswith('\t') or not line.strip()):
            out[-1][1].append(line)
        elif line.strip():
            in_entry = False
        prev = line
    return out


def flat(lines):
    """Text of scdoc lines with markup and line breaks gone."""
    text = ' '.join(l.strip() for l in lines)
    text = text.replace('++', ' ').replace('*', '')
    return re.sub(r'\s+', ' ', text)


FLAG = re.compile(r'(?<![\w-])(--?[a-zA-Z][a-z-]*)')


def head_flags(head):
    """The flags an entry's head names, as (short or None, long)."""
    flags = re.findall(r'\*(--?[a-zA-Z][a-z-]*)\*', head)
    shorts = [f for f in flags if not f.startswith('--')]
    longs = [f for f in flags if f.startswith('--')]
    check(len(longs) == 1 and len(shorts) <= 1,
          'cannot read the option line "%s": expected [*-x*, ]*--long*' % head)
    return (shorts[0] if shorts else None, longs[0])


# -- the checks ----------------------------------------------------------------

def config_options():
    """[(section, name, default or None)] as `gilded --help` lists them."""
    text = help_text(GILDED, '--help')
    lines = text.splitlines()
    start = [i for i, l in enumerate(lines) if l.startswith('Configuration file options')]
    check(len(start) == 1, 'gilded --help: no "Configuration file options" heading')
    opts, section = [], None
    for l in lines[start[0] + 1:]:
        if not l.strip():
            break
        m = re.match(r'^  \[([a-z_]+)\]$', l)
        if m:
            section = m.group(1)
            continue
        m = re.match(r'^    ([a-z_]+)\s+(.*)$', l)
        check(m and section, 'gilded --help: cannot read the line "%s"' % l)
        d = re.search(r'Default: (\S+)\.$', m.group(2))
        opts.append((section, m.group(1), d.group(1) if d else None))
    check(len(opts) >= 20, 'gilded --help lists only %d configuration options' % len(opts))
    return opts


def check_conf(problems):
    want = config_options()
    lines = scd_section('gilde.conf.5.scd', 'OPTIONS')
    have, section = {}, None
    for head, body in entries(lines):
        if head is None:
            m = re.match(r'^## \[([a-z_]+)\]\s*$', body[0])
            if not m:
                problems.append('gilde.conf.5.scd: OPTIONS: "%s" is not a "## [section]" '
                                'heading' % body[0])
                section = None
                continue
            section = m.group(1)
            continue
        m = re.match(r'^\*([a-z_]+)\* = ', head)
        if not m:
            problems.append('gilde.conf.5.scd: OPTIONS: cannot read "%s" (expected '
                            '*name* = VALUE)' % head)
            continue
        if section is None:
            problems.append('gilde.conf.5.scd: option %s outside any [section]' % m.group(1))
            continue
        key = (section, m.group(1))
        if key in have:
            problems.append('gilde.conf.5.scd: [%s] %s documented twice' % key)
        have[key] = flat(body)
    for section, name, default in want:
        text = have.get((section, name))
        if text is None:
            problems.append('gilde.conf(5) lacks [%s] %s (gilded --help has it)'
                            % (section, name))
        elif default is not None and 'Default: %s.' % default not in text:
            problems.append('gilde.conf(5): [%s] %s does not say "Default: %s." as gilded '
                            '--help does' % (section, name, default))
    known = {(s, n) for s, n, _ in want}
    for key in sorted(have):
        if key not in known:
            problems.append('gilde.conf(5) documents [%s] %s, which gilded --help does '
                            'not list' % key)
    # the order of sections, as gilded --help (and --check-config) has it
    order = []
    for s, _, _ in want:
        if s not in order:
            order.append(s)
    seen = []
    for s, _ in have:
        if s not in seen:
            seen.append(s)
    if seen != order and set(seen) == set(order):
        problems.append('gilde.conf(5): sections in the order %s, gilded --help has %s'
                        % (seen, order))
    return len(want)


def check_gilded_flags(problems):
    want = set()
    for l in block(help_text(GILDED, '--help'), 'options:'):
        m = COMMON_FLAG.match(l)
        check(m, 'gilded --help: cannot read the option line "%s"' % l)
        want.add((m.group(1), m.group(2)))
    check(len(want) >= 8, 'gilded --help lists only %d options' % len(want))
    have = set()
    for head, body in entries(scd_section('gilded.8.scd', 'OPTIONS')):
        if head is None:
            problems.append('gilded.8.scd: OPTIONS has a subheading "%s"' % body[0])
        elif head.startswith('*-'):
            have.add(head_flags(head))
        else:
            problems.append('gilded.8.scd: OPTIONS: cannot read "%s"' % head)
    for f in sorted(want - have, key=str):
        problems.append('gilded(8) lacks the option %s (gilded --help has it)'
                        % ', '.join(x for x in f if x))
    for f in sorted(have - want, key=str):
        problems.append('gilded(8) documents the option %s, which gilded --help does not '
                        'list' % ', '.join(x for x in f if x))
    return len(want)


def check_gilde(problems):
    text = help_text(GILDE, '--help')
    commands = []
    for l in block(text, 'commands:'):
        m = re.match(r'^  ([a-z][a-z-]*)\s{2,}\S', l)
        check(m, 'gilde --help: cannot read the command line "%s"' % l)
        commands.append(m.group(1))
    check(len(commands) >= 15, 'gilde --help lists only %d commands' % len(commands))
    common = set()
    for l in block(text, 'options every command takes:'):
        m = COMMON_FLAG.match(l)
        if m:
            common.add((m.group(1), m.group(2)))
        else:
            check(l.startswith(' ' * 6), 'gilde --help: cannot read the option line "%s"' % l)
    check(common, 'gilde --help lists no common options')
    common_long = {l for _, l in common}

    # OPTIONS: the common options, no more, no less
    have = set()
    for head, body in entries(scd_section('gilde.1.scd', 'OPTIONS')):
        if head and head.startswith('*-'):
            have.add(head_flags(head))
        else:
            problems.append('gilde.1.scd: OPTIONS: cannot read "%s"' % (head or body[0]))
    for f in sorted(common - have, key=str):
        problems.append('gilde(1) OPTIONS lacks %s (gilde --help has it)'
                        % ', '.join(x for x in f if x))
    for f in sorted(have - common, key=str):
        problems.append('gilde(1) OPTIONS documents %s, which gilde --help does not list '
                        'among the options every command takes' % ', '.join(x for x in f if x))

    # COMMANDS: one entry (of one or more head lines) per command
    doc, order = {}, []
    for head, body in entries(scd_section('gilde.1.scd', 'COMMANDS')):
        if head is None:
            continue
        m = re.match(r'^\*([a-z][a-z-]*)\*', head)
        if not m:
            problems.append('gilde.1.scd: COMMANDS: cannot read "%s"' % head)
            continue
        name = m.group(1)
        if name in doc and order[-1] != name:
            problems.append('gilde(1) documents the command %s twice' % name)
        if name not in doc:
            order.append(name)
        doc.setdefault(name, []).extend(body)
    for c in commands:
        if c not in doc:
            problems.append('gilde(1) lacks the command %s (gilde --help has it)' % c)
    for c in order:
        if c not in commands:
            problems.append('gilde(1) documents the command %s, which gilde --help does not '
                            'list' % c)

    # each command's options, both ways
    for c in commands:
        if c not in doc:
            continue
        h = help_text(GILDE, c, '--help')
        check(h.startswith('usage: gilde %s' % c), 'gilde %s --help: %r' % (c, h[:80]))
        own = '\n'.join(l for l in h.splitlines() if not l.startswith('common options:'))
        takes = set(FLAG.findall(own)) - common_long
        documented = set(FLAG.findall(flat(doc[c])))
        for f in sorted(takes - documented):
            problems.append('gilde(1): the entry of %s lacks %s (gilde %s --help has it)'
                            % (c, f, c))
        for f in sorted(documented - set(FLAG.findall(h)) - common_long):
            problems.append('gilde(1): the entry of %s names %s, which gilde %s --help '
                            'does not' % (c, f, c))
    return len(commands)


def check_config(path, what, problems):
    p = sh(GILDED, '--check-config', '--config', path)
    if p.returncode != 0:
        problems.append('%s does not pass gilded --check-config (exit %d): %s'
                        % (what, p.returncode, p.stderr.strip()))


def check_examples(problems):
    check_config(os.path.join(SOURCE, 'contrib', 'gilded.conf'), 'contrib/gilded.conf', problems)
    lines = scd_section('gilde.conf.5.scd', 'EXAMPLE')
    fences = [i for i, l in enumerate(lines) if l.startswith('```')]
    check(len(fences) >= 2, 'gilde.conf.5.scd: EXAMPLE has no ``` block')
    with tempfile.NamedTemporaryFile('w', suffix='.conf', prefix='gilde-docs-') as f:
        f.write('\n'.join(lines[fences[0] + 1:fences[1]]) + '\n')
        f.flush()
        check_config(f.name, 'the example in gilde.conf(5)', problems)


def main():
    for exe in (GILDED, GILDE):
        check(os.path.isabs(exe) and os.access(exe, os.X_OK),
              '%s: not an executable path; set GILDED and GILDE to the built programs' % exe)
    check(os.path.isdir(MAN), MAN + ': no such directory; set GILDE_SOURCE_ROOT')
    problems = []
    nconf = check_conf(problems)
    nflags = check_gilded_flags(problems)
    ncmds = check_gilde(problems)
    check_examples(problems)
    check(not problems, 'the man pages and the programs disagree:\n  ' + '\n  '.join(problems))
    print('docs: ok (%d configuration options, %d gilded options, %d gilde commands)'
          % (nconf, nflags, ncmds))


if __name__ == '__main__':
    run(main)
