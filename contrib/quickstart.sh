#!/usr/bin/env bash
# contrib/quickstart.sh — install what is missing, build, and run the main
# job: start a gilde node in a scratch directory, publish the example
# records, query them with the client, and stop the node.
set -euo pipefail
cd "$(dirname "$0")/.."
. contrib/deps.sh
gilde_install_deps
gilde_build build >/dev/null

GILDED=$PWD/build/daemon/gilded
GILDE=$PWD/build/client/gilde
work=$(mktemp -d "${TMPDIR:-/tmp}/gilde-quickstart.XXXXXX")
pid=
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    wait "$pid" || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "== starting a node in $work"
"$GILDED" --data "$work/node" --listen 127.0.0.1:0 --name "Quickstart node" 2>"$work/gilded.log" &
pid=$!
for _ in $(seq 100); do
  "$GILDE" status --data "$work/node" >/dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/gilded.log"; exit 1; }
  sleep 0.1
done
"$GILDE" status --data "$work/node"

echo
echo "== publishing the example records"
"$GILDE" publish --data "$work/node" schemas/examples/partner-*.json schemas/examples/offer-*.json \
  schemas/examples/event-*.json schemas/examples/news-*.json

echo
echo "== the directory"
"$GILDE" list --data "$work/node"

echo
echo "== one offer, in Dutch"
"$GILDE" get offer/imec-istart --lang nl --data "$work/node"
