#!/usr/bin/env bash
# contrib/quickstart.sh — install what is missing, build, and run the main
# job: the Ghent sample federation on loopback.  The city's node
# (contrib/ghent/stad-gent) curates; every other organisation in
# contrib/ghent runs its own node, is endorsed by the city, and publishes
# its own folder; the script waits until every node holds the whole
# directory and shows it.  Everything runs in a scratch directory and
# stops at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
# With GILDED and GILDE set (as the system test sys-quickstart does), run
# those programs and install and build nothing.
if [ -z "${GILDED:-}" ] || [ -z "${GILDE:-}" ]; then
  . contrib/deps.sh
  gilde_install_deps
  gilde_build build >/dev/null
  GILDED=$PWD/build/daemon/gilded
  GILDE=$PWD/build/client/gilde
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/gilde-quickstart.XXXXXX")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# start NAME [gilded options...]: start a node and wait until it answers;
# leaves its peer address in $addr and its key in $key
start() {
  local name=$1
  shift
  "$GILDED" --data "$work/$name" --name "$name" --listen "${listen:-127.0.0.1:0}" "$@" \
    >>"$work/$name.log" 2>&1 &
  pids+=($!)
  local st
  for _ in $(seq 100); do
    if st=$("$GILDE" status --json --data "$work/$name" 2>/dev/null) &&
       [ "$(echo "$st" | json 'd["daemon"]["running"]')" = True ]; then
      addr=$(echo "$st" | json 'd["daemon"]["listen"]')
      key=$(echo "$st" | json 'd["key"]')
      return 0
    fi
    sleep 0.1
  done
  echo "gilded $name did not start:" >&2
  cat "$work/$name.log" >&2
  exit 1
}

# The city's key must be in every node's configuration: create it first.
start stad-gent
city_key=$key
city_addr=$addr
kill -TERM "${pids[0]}"; wait "${pids[0]}" || true; pids=()

# One node per organisation folder, all on 127.0.0.1, all dialling the city:
# the city must accept that many peers (the default [peers] max is 32).
n_orgs=$(ls contrib/ghent/*/partner.json | wc -l)
cat >"$work/federation.conf" <<CONF
[federation]
network_key = $("$GILDE" network-key)
curator = $city_key
recon_interval = 5s
[peers]
# every node is 127.0.0.1 here; on the internet keep the defaults (4, 32)
max_per_ip = $((n_orgs + 16))
max = $((n_orgs + 16))
CONF

# The city's node also serves the starter's page and the web API.
cat "$work/federation.conf" - >"$work/city.conf" <<CONF
[web]
listen = 127.0.0.1:0
root = $PWD/daemon/web
CONF

echo "== the city's node (curator) and one node per organisation, on loopback"
listen=$city_addr start stad-gent --config "$work/city.conf"
orgs=()
for dir in contrib/ghent/*/; do
  org=$(basename "$dir")
  [ -f "$dir/partner.json" ] && [ "$org" != stad-gent ] || continue
  start "$org" --config "$work/federation.conf" --peer "$city_addr"
  name=$(json 'd["name"]["nl"]' <"$dir/partner.json")
  "$GILDE" endorse --data "$work/stad-gent" "$key" --name "$name" >/dev/null
  orgs+=("$org")
done
echo "${#orgs[@]} partner nodes, each endorsed by the city"

echo
echo "== each organisation publishes its own folder"
for org in stad-gent "${orgs[@]}"; do
  n=$("$GILDE" publish --json --data "$work/$org" contrib/ghent/"$org"/*.json | json 'len(d)')
  printf '  %-24s %3d records\n' "$org" "$n"
done

echo
echo "== waiting until every node holds the same directory"
want=0
for org in stad-gent "${orgs[@]}"; do
  want=$((want + $(ls contrib/ghent/"$org"/*.json | wc -l)))
done
deadline=$((SECONDS + (60 + 2 * n_orgs) * ${GILDE_TEST_SLOW:-1}))
while :; do
  ok=1
  for org in stad-gent "${orgs[@]}"; do
    have=$("$GILDE" status --json --data "$work/$org" |
           json 'sum(d["records"][k] for k in ("partner", "offer", "event", "news"))')
    [ "$have" -ge "$want" ] || { ok=0; break; }
  done
  [ $ok = 1 ] || [ $SECONDS -ge $deadline ] && break
  sleep 0.2
done
[ $ok = 1 ] || { echo "the nodes did not converge" >&2; exit 1; }
echo "every node holds all $want records"

echo
echo "== the directory, as the city's node sees it"
"$GILDE" status --data "$work/stad-gent"
echo
echo "upcoming events, in start order:"
"$GILDE" events --data "$work/stad-gent" | sed -n 1,8p  # sed reads all: no SIGPIPE under pipefail
echo "…"
echo
"$GILDE" members --data "$work/stad-gent" | sed -n 1,3p
echo "…"

echo
echo "== a starter's to-do list, from any node (here a partner's): a student who"
echo "   wants to open a webshop in Ghent (contrib/ghent/profiles/profile-student-webshop.json)"
"$GILDE" match --data "$work/ugent" --profile contrib/ghent/profiles/profile-student-webshop.json --per-item 3

echo
echo "== the same to-do list from the city's web API (POST /api/v1/match, proto/API.md)"
web=$("$GILDE" status --json --data "$work/stad-gent" | json 'd["daemon"]["web"]["listen"]')
python3 - "http://$web/api/v1/match" contrib/ghent/profiles/profile-student-webshop.json <<'PY'
import json, sys, urllib.request
req = urllib.request.Request(sys.argv[1], data=open(sys.argv[2], 'rb').read(),
                             headers={'Content-Type': 'application/json'})
res = json.load(urllib.request.urlopen(req, timeout=30))
for i, item in enumerate(res['items'], 1):
    names = ', '.join('%s (%s)' % (o['name'], o['partner_id']) for o in item['offers'][:2])
    print('%d. %-40s %s' % (i, item['label'], names or '(no offer yet)'))
PY
echo
echo "The starter's page: http://$web/ (Dutch and English; ticks stay in the browser)"
if [ -t 0 ] && [ -t 1 ]; then
  read -r -p "Open it in a browser on this machine; press Enter to stop every node. " _
fi
