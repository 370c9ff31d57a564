#!/usr/bin/env bash
# contrib/test.sh — install what is missing, build twice (plain, and with
# AddressSanitizer + UndefinedBehaviorSanitizer), run every test on both,
# fuzz every target for 10 s (contrib/fuzz.sh, counted as one test), and
# end with one line: "N passed, N failed".  Exits non-zero on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
. contrib/deps.sh
gilde_install_deps

gilde_build build
gilde_build build-asan -Db_sanitize=address,undefined -Dc_args=-fno-sanitize-recover=all

jobs=$(nproc 2>/dev/null || echo 2)
status=0
for dir in build build-asan; do
  echo "== tests in $dir" >&2
  meson test -C "$dir" --print-errorlogs --num-processes "$jobs" || status=1
done

# The libFuzzer targets, 10 s each; counted below as one test.
echo "== fuzzing (contrib/fuzz.sh 10; log in build-fuzz/fuzz.log)" >&2
mkdir -p build-fuzz
fuzz=0
contrib/fuzz.sh 10 >build-fuzz/fuzz.log 2>&1 || fuzz=1
# its summary, or the end of the log if it stopped before one
grep -q '^== fuzzing: ' build-fuzz/fuzz.log || tail -n 20 build-fuzz/fuzz.log >&2
sed -n '/^== fuzzing: /,$p' build-fuzz/fuzz.log >&2

# Count from meson's own logs: every test that did not end OK is a failure
# (a skipped test is not a pass); the fuzz run is one more test.
count=0
/usr/bin/python3 - "$fuzz" build/meson-logs/testlog.json build-asan/meson-logs/testlog.json <<'PY' || count=$?
import json, sys
passed = failed = 0
if sys.argv[1] == '0':
    passed += 1
else:
    failed += 1
    print('not ok: contrib/fuzz.sh 10 (see build-fuzz/fuzz.log)', file=sys.stderr)
for path in sys.argv[2:]:
    for line in open(path):
        line = line.strip()
        if not line:
            continue
        t = json.loads(line)
        if t.get('result') == 'OK':
            passed += 1
        else:
            failed += 1
            print('not ok: %s %s (%s)' % (path.split('/')[0], t.get('name'), t.get('result')),
                  file=sys.stderr)
print('%d passed, %d failed' % (passed, failed))
sys.exit(1 if failed else 0)
PY
[ "$status" -eq 0 ] && [ "$count" -eq 0 ]
