#!/usr/bin/env python3
"""arrows.py — the parts' arrows of ../shared/DESIGN.md, checked on the tree.

    client/ and daemon/ use the libraries; the libraries use proto/;
    proto/ uses nothing of ours.

Read from every #include of the product code (proto, schemas, daemon,
client), a part may include:

    proto/          proto/ only; of outside libraries libsodium and msgpack-c
    schemas/        proto/, schemas/
    daemon/store/   proto/, schemas/, store/          (never query/: the store
                                                       never calls the queries)
    daemon/query/   proto/, schemas/, store/, query/
    daemon/         anything but client/
    client/         proto/, schemas/, store/, query/, client/ and nothing else
                    of daemon/

Every quoted include names its part ("store/store.h", not "store.h"), but
for the generated gilde_config.h.  The libraries' outside dependencies are
fenced too: the store links no JSON, iCalendar or XML library, and proto no
I/O library.  The store reads record bodies through proto/body.h and writes
msgpack through proto/mp.h: it never includes msgpack-c itself.

Usage: arrows.py SOURCE_ROOT   (exit 0: every arrow allowed; 1: a list of
the ones that are not, file:line and the rule).  `arrows.py --self-test`
first proves that each rule catches what it forbids, on a tree it makes.
"""
import os
import re
import sys
import tempfile

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')

# part folder -> (quoted prefixes it may include, outside headers it may not)
RULES = {
    'proto': (('proto/',),
              ('uv.h', 'lmdb.h', 'jansson.h', 'ini.h', 'libical/', 'libxml/', 'utf8proc.h',
               'pcre2.h', 'libstemmer.h', 'microhttpd.h')),
    'schemas': (('proto/', 'schemas/'),
                ('uv.h', 'lmdb.h', 'microhttpd.h')),
    'daemon/store': (('proto/', 'schemas/', 'store/'),
                     ('uv.h', 'jansson.h', 'libical/', 'libxml/', 'microhttpd.h', 'ini.h',
                      'msgpack.h')),
    'daemon/query': (('proto/', 'schemas/', 'store/', 'query/'),
                     ('uv.h', 'microhttpd.h', 'ini.h')),
    'daemon': (('proto/', 'schemas/', 'store/', 'query/', 'daemon/', 'gilde_config.h'),
               ()),
    'client': (('proto/', 'schemas/', 'store/', 'query/', 'client/', 'gilde_config.h'),
               ('uv.h', 'microhttpd.h')),
}
PARTS = sorted(RULES, key=len, reverse=True)  # daemon/store before daemon
GENERATED = ('gilde_config.h',)
KNOWN_PREFIXES = ('proto/', 'schemas/', 'store/', 'query/', 'daemon/', 'client/')


def part_of(rel):
    for p in PARTS:
        if rel.startswith(p + '/'):
            return p
    return None


def check(root):
    bad = []
    for top in ('proto', 'schemas', 'daemon', 'client'):
        for dirpath, _, names in os.walk(os.path.join(root, top)):
            for name in sorted(names):
                if not name.endswith(('.c', '.h')):
                    continue
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, root).replace(os.sep, '/')
                part = part_of(rel)
                if part is None:
                    continue
                allowed, fenced = RULES[part]
                with open(path, encoding='utf-8', errors='replace') as f:
                    for n, line in enumerate(f, 1):
                        m = INCLUDE.match(line)
                        if not m:
                            continue
                        kind, inc = m.groups()
                        where = '%s:%d: #include %s%s%s' % (rel, n, kind, inc,
                                                            '"' if kind == '"' else '>')
                        if kind == '<':
                            for f_ in fenced:
                                if inc == f_ or (f_.endswith('/') and inc.startswith(f_)):
                                    bad.append('%s  (%s/ does not use %s)' % (where, part, f_))
                            continue
                        if inc in GENERATED:
                            if inc not in allowed:
                                bad.append('%s  (%s/ has no use for the build\'s '
                                           'configuration)' % (where, part))
                            continue
                        if not inc.startswith(KNOWN_PREFIXES):
                            bad.append('%s  (name the part: "proto/x.h", "store/x.h", ...)'
                                       % where)
                            continue
                        if not inc.startswith(allowed):
                            bad.append('%s  (%s/ may include only %s)'
                                       % (where, part, ', '.join(allowed)))
    return bad


def self_test():
    """Each rule, broken once on a made tree, must be reported."""
    cases = [
        ('daemon/store/x.c', '#include "query/match.h"'),
        ('daemon/store/x.c', '#include <jansson.h>'),
        ('daemon/store/x.c', '#include <msgpack.h>'),
        ('client/x.c', '#include "daemon/config.h"'),
        ('client/x.c', '#include "daemon/net.h"'),
        ('proto/x.c', '#include "store/store.h"'),
        ('proto/x.c', '#include <lmdb.h>'),
        ('proto/x.c', '#include <uv.h>'),
        ('schemas/x.c', '#include "store/store.h"'),
        ('daemon/query/x.c', '#include "daemon/net.h"'),
        ('daemon/x.c', '#include "client/cli.h"'),
        ('daemon/x.c', '#include "net.h"'),
    ]
    fine = [
        ('daemon/store/y.c', '#include "store/store.h"\n#include "proto/record.h"\n#include <lmdb.h>'),
        ('client/y.c', '#include "query/match.h"\n#include "gilde_config.h"'),
        ('proto/y.c', '#include <sodium.h>\n#include <msgpack.h>\n#include "proto/err.h"'),
        ('daemon/y.c', '#include "daemon/net.h"\n#include <uv.h>'),
    ]
    failed = 0
    for path, line in cases + [(None, None)]:
        with tempfile.TemporaryDirectory() as d:
            for p, text in fine + ([(path, line)] if path else []):
                full = os.path.join(d, p)
                os.makedirs(os.path.dirname(full), exist_ok=True)
                with open(full, 'a') as f:
                    f.write(text + '\n')
            found = check(d)
            if path and not found:
                print('self-test: not caught: %s in %s' % (line, path))
                failed += 1
            if not path and found:
                print('self-test: allowed arrows reported: %s' % found)
                failed += 1
    return failed


def main():
    args = sys.argv[1:]
    if args and args[0] == '--self-test':
        if self_test():
            return 1
        args = args[1:]
    if len(args) != 1:
        print('usage: arrows.py [--self-test] SOURCE_ROOT', file=sys.stderr)
        return 2
    bad = check(args[0])
    for b in bad:
        print(b)
    print('%d include(s) across a forbidden arrow' % len(bad))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
