#!/usr/bin/env bash
# contrib/quickstart.sh — install what is missing, build, and start the
# Ghent sample federation on this machine, then leave it running so that
# the README's next commands can ask it.
#
#   contrib/quickstart.sh [--ports BASE] [--web PORT]   start (again)
#   contrib/quickstart.sh --stop                        stop it, remove its data
#
# The city's node (contrib/ghent/stad-gent) curates; every other
# organisation in contrib/ghent runs a node of its own, is endorsed by the
# city and publishes its own folder; the script shows progress until every
# node holds the whole directory.  Ports are fixed: the city on BASE
# (7420), the organisations on BASE+1 …, a node of your own on the next
# one, the city's page on PORT (8080); GILDE_QUICKSTART_PORTS and
# GILDE_QUICKSTART_WEB set them too.  Everything lives in
# ${XDG_STATE_HOME:-~/.local/state}/gilde-sample; gilde's default data
# directory (~/.local/share/gilde), if free, points at the city's node, and
# gilde and gilded are linked into ~/.local/bin.
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
state=${XDG_STATE_HOME:-$HOME/.local/state}/gilde-sample
datahome=${XDG_DATA_HOME:-$HOME/.local/share}
bin=$HOME/.local/bin
base=${GILDE_QUICKSTART_PORTS:-7420}
web=${GILDE_QUICKSTART_WEB:-8080}
stop_only=0
usage() {
  echo "usage: contrib/quickstart.sh [--ports BASE] [--web PORT] | --stop" >&2
  exit 2
}
while (($#)); do
  case $1 in
    --ports) (($# > 1)) || usage; base=$2; shift 2 ;;
    --web) (($# > 1)) || usage; web=$2; shift 2 ;;
    --stop) stop_only=1; shift ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "quickstart: unknown argument $1" >&2; usage ;;
  esac
done
for p in "$base" "$web"; do
  [[ $p =~ ^[0-9]+$ ]] && ((p >= 1024 && p <= 65000)) ||
    { echo "quickstart: \"$p\" is not a port from 1024 to 65000" >&2; exit 2; }
done

# ---- stopping a sample federation left running --------------------------

# The pids of this sample's daemons that still run (each checked: a gilded
# whose command line names this sample's folder).
running_pids() {
  [ -f "$state/pids" ] || return 0
  local pid
  while read -r pid _; do
    tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -q "gilded.* $state/" && echo "$pid"
  done <"$state/pids"
}

stop_sample() {
  local pids
  pids=$(running_pids)
  if [ -n "$pids" ]; then
    echo "stopping the sample federation ($(echo "$pids" | wc -l) nodes)"
    # shellcheck disable=SC2086
    kill -TERM $pids 2>/dev/null || true
    for _ in $(seq 200); do
      [ -z "$(running_pids)" ] && break
      sleep 0.1
    done
    [ -z "$(running_pids)" ] || { echo "quickstart: nodes did not stop: $(running_pids)" >&2; exit 1; }
  fi
  # gilde's default data directory, if it is the link made here
  if [ -L "$datahome/gilde" ] && [[ $(readlink "$datahome/gilde") == "$state/"* ]]; then
    rm -f "$datahome/gilde"
  fi
  rm -rf "$state"
}

if ((stop_only)); then
  [ -d "$state" ] || { echo "no sample federation at $state: nothing to stop"; exit 0; }
  stop_sample
  echo "stopped; removed $state"
  exit 0
fi

# ---- the programs ---------------------------------------------------------

# With GILDED and GILDE set (as the system tests do), run those programs
# and install and build nothing.
if [ -z "${GILDED:-}" ] || [ -z "${GILDE:-}" ]; then
  . contrib/deps.sh
  gilde_install_deps
  echo "== building gilde in build/ (meson, ninja)"
  if [ -t 1 ]; then
    gilde_build build
  else
    gilde_build build | tail -n 1
  fi
  GILDED=$src/build/daemon/gilded
  GILDE=$src/build/client/gilde
fi

orgs=()
for dir in contrib/ghent/*/; do
  org=$(basename "$dir")
  [ -f "$dir/partner.json" ] && [ "$org" != stad-gent ] && orgs+=("$org")
done
n_nodes=$((${#orgs[@]} + 1))
your_port=$((base + n_nodes))

if [ -n "$(running_pids)" ] || [ -d "$state" ]; then
  echo "== a sample federation was started before: stopping it first"
  stop_sample
fi

# Every port free, before anything starts.
python3 - "$base" "$your_port" "$web" <<'PY' || exit 1
import socket, sys
base, last, web = map(int, sys.argv[1:])
for port in list(range(base, last + 1)) + [web]:
    s = socket.socket()
    # as gilded binds (libuv): a connection still closing does not count
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(('127.0.0.1', port))
    except OSError as e:
        sys.stderr.write('quickstart: port %d on 127.0.0.1 is taken (%s).  The sample needs '
                         'ports %d to %d and %d: choose others, for example\n'
                         '    contrib/quickstart.sh --ports %d --web %d\n'
                         % (port, e.strerror, base, last, web, base + 10000, web + 10000))
        sys.exit(1)
    finally:
        s.close()
PY

umask 077
mkdir -p "$state"
: >"$state/pids"
started=()
ok=0
cleanup() {
  ((ok)) && return 0
  echo "quickstart did not finish: stopping what it started (logs: $state/*.log)" >&2
  for pid in "${started[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${started[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

# launch NAME PORT [gilded options...]: start a node in the background
launch() {
  local name=$1 port=$2
  shift 2
  "$GILDED" --data "$state/$name" --name "$name" --listen "127.0.0.1:$port" "$@" \
    </dev/null >>"$state/$name.log" 2>&1 &
  started+=($!)
  echo "$! $name" >>"$state/pids"
}

# The nodes are polled often: read gilde's JSON with bash alone (starting
# a python per poll costs seconds on a busy machine).
# up NAME: print its key once it answers on its control socket, else fail
up() {
  local st re='"key": "(ed25519:[^"]+)"'
  st=$("$GILDE" status --json --data "$state/$1" 2>/dev/null) || return 1
  [[ $st == *'"running": true'* && $st =~ $re ]] || return 1
  echo "${BASH_REMATCH[1]}"
}

# held NAME: how many directory records (partner, offer, event, news) it holds
held() {
  local st kind sum=0
  st=$("$GILDE" status --json --data "$state/$1") || return 1
  for kind in partner offer event news; do
    [[ $st =~ \"$kind\":\ ([0-9]+) ]] && sum=$((sum + BASH_REMATCH[1]))
  done
  echo "$sum"
}

# progress WHAT K N: on a terminal one line that counts up; in a pipe a
# line now and then, and always the last
last_shown=-100
progress() {
  if [ -t 1 ]; then
    printf '\r  %s %d/%d' "$1" "$2" "$3"
    (($2 == $3)) && echo
  elif (($2 == $3 || $2 - last_shown >= 10)); then
    echo "  $1 $2/$3"
    last_shown=$2
  fi
  return 0
}

# ---- the city's key first: every node names it as curator ----------------

echo "== the sample federation: $n_nodes nodes on 127.0.0.1, ports $base to $((your_port - 1))"
launch stad-gent "$base"
for _ in $(seq 100); do city_key=$(up stad-gent) && break; sleep 0.1; done
[ -n "${city_key:-}" ] || { echo "gilded stad-gent did not start:" >&2; cat "$state/stad-gent.log" >&2; exit 1; }
kill -TERM "${started[0]}"; wait "${started[0]}" || true
started=()
: >"$state/pids"

cat >"$state/federation.conf" <<CONF
# The sample federation's settings, shared by its nodes (contrib/quickstart.sh).
[federation]
network_key = $("$GILDE" network-key)
curator = $city_key
recon_interval = 5s
[peers]
# every node is 127.0.0.1 here; on the internet keep the defaults (4, 32)
max_per_ip = $((n_nodes + 16))
max = $((n_nodes + 16))
CONF

# The city's node also serves the starter's page and the web API.
cat "$state/federation.conf" - >"$state/city.conf" <<CONF
[web]
listen = 127.0.0.1:$web
root = $src/daemon/web
# a step no offer fits: the page says to ask the city's business desk
desk = stad-gent
CONF

# A node of your own, to join the sample (README: run your own node).
{
  echo "# Your own node in the sample federation: gilded --config $state/your-node.conf"
  echo "[node]"
  echo "name = Your organisation"
  echo "data = $HOME/gilde-node"
  echo "listen = 127.0.0.1:$your_port"
  sed -n '/^\[federation\]/,$p' "$state/federation.conf"
  echo "peer = 127.0.0.1:$base"
} >"$state/your-node.conf"

launch stad-gent "$base" --config "$state/city.conf"
port=$base
for org in "${orgs[@]}"; do
  port=$((port + 1))
  launch "$org" "$port" --config "$state/federation.conf" --peer "127.0.0.1:$base"
done
declare -A key
deadline=$((SECONDS + 60 * ${GILDE_TEST_SLOW:-1}))
while :; do
  n=0
  for org in stad-gent "${orgs[@]}"; do
    [ -n "${key[$org]:-}" ] || key[$org]=$(up "$org") || true
    [ -n "${key[$org]:-}" ] && n=$((n + 1))
  done
  progress "nodes up" "$n" "$n_nodes"
  ((n == n_nodes)) && echo "  ($SECONDS s)"
  ((n == n_nodes)) && break
  ((SECONDS < deadline)) || { echo; echo "quickstart: only $n of $n_nodes nodes started (logs: $state/*.log)" >&2; exit 1; }
  sleep 0.2
done

echo "== the city endorses every organisation; each publishes its own folder"
declare -A name
while IFS=$'\t' read -r org n; do name[$org]=$n; done < <(python3 - "${orgs[@]}" <<'PY'
import json, sys
for org in sys.argv[1:]:
    print('%s\t%s' % (org, json.load(open('contrib/ghent/%s/partner.json' % org))['name']['nl']))
PY
)
for org in "${orgs[@]}"; do
  "$GILDE" endorse --data "$state/stad-gent" "${key[$org]}" --name "${name[$org]}" >/dev/null
done
want=0
for org in stad-gent "${orgs[@]}"; do
  "$GILDE" publish --data "$state/$org" contrib/ghent/"$org"/*.json >/dev/null
  want=$((want + $(ls contrib/ghent/"$org"/*.json | wc -l)))
done
echo "  $want records from $n_nodes organisations ($SECONDS s)"

echo "== waiting until every node holds all $want records"
deadline=$((SECONDS + (60 + 2 * n_nodes) * ${GILDE_TEST_SLOW:-1}))
last_shown=-100
while :; do
  n=0
  for org in stad-gent "${orgs[@]}"; do
    have=$(held "$org")
    ((have >= want)) && n=$((n + 1))
  done
  progress "records converged on" "$n" "$n_nodes"
  ((n == n_nodes)) && break
  ((SECONDS < deadline)) || { echo; echo "quickstart: the nodes did not converge (logs: $state/*.log)" >&2; exit 1; }
  sleep 0.5
done
echo "every node holds all $want records ($SECONDS s since the start)"

echo
echo "== a starter's to-do list, asked of a partner's node: a student who wants to"
echo "   open a webshop in Ghent (contrib/ghent/profiles/profile-student-webshop.json)"
"$GILDE" match --data "$state/ugent" --profile contrib/ghent/profiles/profile-student-webshop.json --per-item 2

echo
echo "== the same to-do list from the city's web API (POST /api/v1/match, proto/API.md)"
python3 - "http://127.0.0.1:$web/api/v1/match" contrib/ghent/profiles/profile-student-webshop.json <<'PY'
import json, sys, urllib.request
req = urllib.request.Request(sys.argv[1], data=open(sys.argv[2], 'rb').read(),
                             headers={'Content-Type': 'application/json'})
res = json.load(urllib.request.urlopen(req, timeout=30))
for i, item in enumerate(res['items'], 1):
    names = ', '.join('%s (%s)' % (o['name'], o['partner_id']) for o in item['offers'][:2])
    print('%d. %-40s %s' % (i, item['label'], names or '(no offer yet)'))
PY

# ---- where gilde finds it --------------------------------------------------

echo
echo "== the sample federation keeps running"
where=""
if [ ! -e "$datahome/gilde" ] && [ ! -L "$datahome/gilde" ]; then
  mkdir -p "$datahome"
  ln -s "$state/stad-gent" "$datahome/gilde"
  echo "gilde's default data directory $datahome/gilde is the city's node"
else
  where=" --data $state/stad-gent"
  echo "$datahome/gilde exists (a node of your own?) and is left alone: add"
  echo "--data $state/stad-gent to a gilde command to ask the city's node"
fi
linked=1
mkdir -p "$bin"
for prog in gilde gilded; do
  path=$GILDE
  [ $prog = gilded ] && path=$GILDED
  if [ -L "$bin/$prog" ] || [ ! -e "$bin/$prog" ]; then
    ln -sfn "$path" "$bin/$prog"
  elif ! [ "$bin/$prog" -ef "$path" ]; then
    linked=0
    echo "$bin/$prog is another program and is left alone; this build's is $path"
  fi
done
if ((linked)); then
  case ":$PATH:" in
    *":$bin:"*)
      first=$(command -v gilde || true)
      if [ "$first" = "$bin/gilde" ]; then
        echo "gilde and gilded are in $bin, on your PATH"
      else
        echo "gilde and gilded are in $bin, but $first comes first on your PATH"
      fi ;;
    *) echo "gilde and gilded are in $bin, which is not on your PATH: run (and add to ~/.profile)"
       echo "    export PATH=\"$bin:\$PATH\"" ;;
  esac
fi
echo "the starter's page: http://127.0.0.1:$web/ (Dutch and English; ticks stay in the browser)"
echo
echo "Now ask it (the README says more):"
echo "    gilde match$where --phase start --sector digital --need administration --need financing"
echo "    gilde search$where financiering"
echo "    gilde get$where offer/pmv-winwinlening"
echo "A node of your own joins it with: gilded --config $state/your-node.conf"
echo "Stop every node and remove the sample: contrib/quickstart.sh --stop"
ok=1
