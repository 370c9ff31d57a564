#!/usr/bin/env bash
# contrib/quickstart.sh — install what is missing, build, and run the main
# job: a small federation on loopback.  A city node and two partner nodes
# start with one network key; each partner publishes its own records; the
# script waits until every node holds the whole directory and shows it
# from the city node.  Everything runs in a scratch directory and stops at
# the end.
set -euo pipefail
cd "$(dirname "$0")/.."
. contrib/deps.sh
gilde_install_deps
gilde_build build >/dev/null

GILDED=$PWD/build/daemon/gilded
GILDE=$PWD/build/client/gilde
work=$(mktemp -d "${TMPDIR:-/tmp}/gilde-quickstart.XXXXXX")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

cat >"$work/federation.conf" <<CONF
[federation]
network_key = $("$GILDE" network-key)
recon_interval = 5s
CONF

# start NAME [gilded options...]: start a node and wait until it answers;
# its peer address is left in $addr
start() {
  local name=$1
  shift
  "$GILDED" --data "$work/$name" --name "$name" --config "$work/federation.conf" \
    --listen 127.0.0.1:0 "$@" >"$work/$name.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do
    if addr=$("$GILDE" status --json --data "$work/$name" 2>/dev/null |
              python3 -c 'import json,sys; d=json.load(sys.stdin)["daemon"]; print(d["listen"]) if d["running"] else sys.exit(1)'); then
      return 0
    fi
    sleep 0.1
  done
  echo "gilded $name did not start:" >&2
  cat "$work/$name.log" >&2
  exit 1
}

echo "== starting a city node and two partner nodes on loopback"
start city
city=$addr
start ugent --peer "$city"
start vlaio --peer "$city"
"$GILDE" peers --data "$work/city" | head -1

echo
echo "== each partner publishes its own records"
"$GILDE" publish --data "$work/ugent" schemas/examples/partner-ugent-*.json schemas/examples/offer-ugent-*.json
"$GILDE" publish --data "$work/vlaio" schemas/examples/partner-vlaio.json schemas/examples/offer-vlaio-*.json \
  schemas/examples/event-vlaio-*.json schemas/examples/news-kmo-*.json

echo
echo "== waiting until every node holds the same directory"
for _ in $(seq 200); do
  a=$("$GILDE" list --data "$work/city" --all --json | md5sum)
  b=$("$GILDE" list --data "$work/ugent" --all --json | md5sum)
  c=$("$GILDE" list --data "$work/vlaio" --all --json | md5sum)
  [ "$a" = "$b" ] && [ "$b" = "$c" ] && break
  sleep 0.1
done
[ "$a" = "$b" ] && [ "$b" = "$c" ] || { echo "the nodes did not converge" >&2; exit 1; }
echo "converged"

echo
echo "== the directory, as the city node sees it"
"$GILDE" list --data "$work/city"
echo
"$GILDE" peers --data "$work/city"
