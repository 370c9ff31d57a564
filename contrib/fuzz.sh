#!/usr/bin/env bash
# contrib/fuzz.sh [SECONDS_PER_TARGET] [TARGET...] — build the libFuzzer
# targets of tests/fuzz with clang, AddressSanitizer and UBSan in
# build-fuzz, and run each target (all by default: record wire frame
# handshake recon recon2 doc config ics atom) for SECONDS_PER_TARGET seconds (default 60).
#
# Each run works on a scratch copy of the target's seed corpus and kept
# crash inputs (tests/fuzz/corpus/NAME, tests/fuzz/regress/NAME) in
# build-fuzz/fuzz-corpus/NAME, so the committed corpus never changes.  A
# crash, leak, timeout (5 s) or out-of-memory (1 GiB) input is written to
# build-fuzz/artifacts/NAME/ (emptied when NAME's run starts), libFuzzer's
# output to build-fuzz/fuzz-logs/NAME.log.  The last lines give, per
# target, the runs, executions per second and the corpus size before and
# after; a target that found something gets a FAILED line and the script
# exits 1.  To keep a fixed crash as a test, copy its artifact into
# tests/fuzz/regress/NAME/.
set -euo pipefail
cd "$(dirname "$0")/.."
. contrib/deps.sh
gilde_install_deps clang libclang-rt-14-dev

all=(record wire frame handshake recon recon2 doc config ics atom)
secs=${1:-60}
[ $# -gt 0 ] && shift
case $secs in
  '' | *[!0-9]*) echo "usage: contrib/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]" >&2; exit 2 ;;
esac
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")
for t in "${targets[@]}"; do
  [ -f "tests/fuzz/fuzz_$t.c" ] || { echo "fuzz.sh: no target \"$t\" (${all[*]})" >&2; exit 2; }
done

# -fsanitize=fuzzer-no-link gives every library the coverage
# instrumentation libFuzzer steers by; the fuzz_NAME programs themselves
# link with -fsanitize=fuzzer (tests/fuzz/meson.build).
dir=build-fuzz
opts=(-Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false -Dtests=true
      "-Dc_args=-fsanitize=fuzzer-no-link -fno-sanitize-recover=all")
if [ -f "$dir/build.ninja" ]; then
  meson setup --reconfigure "$dir" "${opts[@]}" >/dev/null
else
  CC=clang meson setup "$dir" "${opts[@]}" >/dev/null
fi
ninja -C "$dir" "${targets[@]/#/tests/fuzz/fuzz_}" >&2

export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
status=0
summary=()
failed=()
for t in "${targets[@]}"; do
  work=$dir/fuzz-corpus/$t
  art=$dir/artifacts/$t
  log=$dir/fuzz-logs/$t.log
  rm -rf "$work" "$art"
  mkdir -p "$work" "$art" "$dir/fuzz-logs"
  find "tests/fuzz/corpus/$t" "tests/fuzz/regress/$t" -maxdepth 1 -type f ! -name '.*' \
    -exec cp {} "$work/" \;
  before=$(find "$work" -type f | wc -l)
  echo "== fuzzing $t for ${secs}s" >&2
  rc=0
  "$dir/tests/fuzz/fuzz_$t" -max_total_time="$secs" -timeout=5 -rss_limit_mb=1024 \
    -artifact_prefix="$art/" -print_final_stats=1 "$work" >"$log" 2>&1 || rc=$?
  after=$(find "$work" -type f | wc -l)
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  found=$(find "$art" -type f | wc -l)
  result=ok
  if [ "$rc" -ne 0 ] || [ "$found" -ne 0 ]; then
    result=FAILED
    status=1
    what=$(grep -m1 -oE 'ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer): [a-z-]+|SUMMARY: UndefinedBehaviorSanitizer: [a-z-]+|invariant broken: .*' "$log" || true)
    failed+=("FAILED: $t: ${what:-exit status $rc}; inputs in $art/, log in $log")
  fi
  summary+=("$(printf '%-10s %10s runs %7s exec/s  corpus %4d -> %-5d %s' \
    "$t" "${runs:-?}" "${eps:-?}" "$before" "$after" "$result")")
done

echo "== fuzzing: ${secs}s per target" >&2
printf '%s\n' "${summary[@]}"
[ ${#failed[@]} -eq 0 ] || printf '%s\n' "${failed[@]}"
exit "$status"
