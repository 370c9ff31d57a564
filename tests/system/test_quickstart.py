#!/usr/bin/env python3
"""The README's main job: contrib/quickstart.sh, run with the programs of
this build, starts the Ghent sample federation (the city curating, one
node per organisation), waits until every node holds the whole directory,
prints a starter's to-do list from a partner's node and the same list from
the city's web API, and stops every node it started."""
import glob
import os
import re
import subprocess
import tempfile

from harness import GILDE, GILDED, SLOW, SOURCE, check, run


def main():
    script = os.path.join(SOURCE, 'contrib', 'quickstart.sh')
    # the script's scratch directory goes under a directory of this run's own, so
    # that "nothing left running" looks at this run only, not at another
    # checkout's quickstart running on the same machine
    scratch = tempfile.mkdtemp(prefix='gilde-quickstart-test-')
    env = dict(os.environ, GILDED=GILDED, GILDE=GILDE, TMPDIR=scratch)
    try:
        p = subprocess.run(['bash', script], capture_output=True, text=True, env=env,
                           stdin=subprocess.DEVNULL, timeout=240 * SLOW)
    except subprocess.TimeoutExpired as e:
        check(False, 'quickstart.sh did not finish in %ds:\n%s' % (240 * SLOW, e.stdout))
    out = p.stdout
    check(p.returncode == 0, 'quickstart.sh exited %d:\n%s\n%s' % (p.returncode, out[-3000:],
                                                                   p.stderr[-3000:]))
    orgs = [d for d in glob.glob(os.path.join(SOURCE, 'contrib', 'ghent', '*'))
            if os.path.isfile(os.path.join(d, 'partner.json'))]
    records = sum(len(glob.glob(os.path.join(d, '*.json'))) for d in orgs)
    check('%d partner nodes, each endorsed by the city' % (len(orgs) - 1) in out,
          'not every organisation got a node:\n' + out[:2000])
    check('every node holds all %d records' % records in out,
          'the federation did not converge on %d records:\n%s' % (records, out[-2000:]))
    # the to-do list twice: from gilde match on a partner's node, and from the web API
    web = out.split("the city's web API")[-1]
    items = re.findall(r'^\d+\. (.+?)\s{2,}(.+)$', web, re.M)
    check(len(items) == 3, 'the web API printed %d to-do items, expected 3:\n%s' % (len(items), web))
    for label, offers in items:
        check(label.strip() in out.split("the city's web API")[0],
              'the web item "%s" is not in gilde match\'s list' % label.strip())
        check('(no offer yet)' not in offers, 'the web list has an empty item: ' + label)
    check(re.search(r"The starter's page: http://127\.0\.0\.1:\d+/", out), 'no page address')
    # nothing left running
    left = subprocess.run(['pgrep', '-f', scratch + '/gilde-quickstart'], capture_output=True, text=True)
    check(left.returncode == 1, 'quickstart left processes running: ' + left.stdout)
    check(os.listdir(scratch) == [], 'quickstart left files in %s: %r' % (scratch, os.listdir(scratch)))
    os.rmdir(scratch)
    print('quickstart: ok (%d organisations, %d records)' % (len(orgs), records))


if __name__ == '__main__':
    run(main)
