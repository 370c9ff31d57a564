#!/usr/bin/env python3
"""gilde's Dutch: every string the client marks for translation
(client/po/POTFILES, with the xgettext arguments of client/po/meson.build)
has a Dutch translation in client/po/nl.po, none fuzzy, and msgfmt --check
accepts the catalogue (format strings that agree with their msgid, plural
forms).  Run by meson as the unit test `i18n`."""
import os
import re
import subprocess
import sys
import tempfile


def main(root):
    po = os.path.join(root, 'client', 'po')
    meson = open(os.path.join(po, 'meson.build')).read()
    args = re.findall(r"'(--[a-z-]+=[^']*)'", meson)
    if not any(a.startswith('--keyword=_') for a in args):
        sys.exit('i18n: no xgettext arguments found in client/po/meson.build')
    files = [l.strip() for l in open(os.path.join(po, 'POTFILES')) if l.strip()]
    listed = set(files)
    for name in sorted(os.listdir(os.path.join(root, 'client'))):
        if name.endswith('.c') and 'client/' + name not in listed:
            sys.exit('i18n: client/%s is not in client/po/POTFILES' % name)
    with tempfile.TemporaryDirectory() as d:
        pot = os.path.join(d, 'gilde.pot')
        p = subprocess.run(['xgettext', '-o', pot] + args + files, cwd=root,
                           capture_output=True, text=True)
        if p.returncode or 'warning' in p.stderr:
            sys.exit('i18n: xgettext: %s' % p.stderr)
        # every msgid of the sources translated in nl.po (untranslated and fuzzy count as missing)
        p = subprocess.run(['msgcmp', os.path.join(po, 'nl.po'), pot], capture_output=True,
                           text=True)
        if p.returncode:
            sys.exit('i18n: client/po/nl.po lacks translations (ninja -C build gilde-update-po '
                     'merges the new strings in):\n' + p.stderr)
    p = subprocess.run(['msgfmt', '--check', '--statistics', '-o', os.devnull,
                        os.path.join(po, 'nl.po')], capture_output=True, text=True)
    if p.returncode or 'fuzzy' in p.stderr or 'untranslated' in p.stderr:
        sys.exit('i18n: msgfmt --check: ' + p.stderr)
    print('i18n: ok (%s)' % p.stderr.strip())


if __name__ == '__main__':
    main(sys.argv[1])
