#!/usr/bin/env bash
# Builds Davecast and starts a complete local deployment: two sites (a and b, each its own Orleans cluster with one
# relay silo), an edge gateway that follows both sites, and two publishers of the committed fixture. Prints the
# Listen and Dashboard URLs. A relay that stops (kill -9 it to try a failover) is started again after 2 s, as
# systemd would; Ctrl-C or SIGTERM stops everything.
#
# Environment (all optional): DEMO_PORT_BASE (default 8000: edge on it, dashboards on +81/+82; see README),
# DEMO_FIXTURE (default fixtures/programme.aac), DEMO_NO_BUILD=1 to reuse an existing build,
# DEMO_CONFIGURATION (default Release).
set -euo pipefail
cd "$(dirname "$0")"
root=$(pwd)

base=${DEMO_PORT_BASE:-8000}
fixture=${DEMO_FIXTURE:-fixtures/programme.aac}
mount=$(basename "$fixture")
edge_port=$base
dash_a=$((base + 81)); dash_b=$((base + 82))
ingest_a=$((base + 1001)); ingest_b=$((base + 1002))
feed_a=$((base + 1100)); feed_b=$((base + 1101))
silo_a=$((base + 3111)); silo_b=$((base + 3112))
gw_a=$((base + 22000)); gw_b=$((base + 22001))
logs="$root/.demo/logs"
for port in $edge_port $dash_a $dash_b $ingest_a $ingest_b $feed_a $feed_b $silo_a $silo_b $gw_a $gw_b; do
  if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then
    echo "demo.sh: port $port is already in use (another demo still running?); set DEMO_PORT_BASE to move all ports" >&2
    exit 1
  fi
done
mkdir -p "$logs"
rm -f "$logs"/*.log

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# A local demo uses the development key and passwords, which the programs refuse in any other environment.
export DOTNET_ENVIRONMENT=Development
if [ "${DEMO_NO_BUILD:-0}" != "1" ]; then
  echo "Building (Release)..."
  dotnet build Davecast.Orleans.sln -c Release -nologo -v q >"$logs/build.log" 2>&1 || { cat "$logs/build.log"; exit 1; }
fi
config=${DEMO_CONFIGURATION:-Release}
bin() { echo "$root/$1/bin/$config/net10.0/$2.dll"; }
silo=$(bin silo davecast-silo); edge=$(bin edge-gateway davecast-edge); pub=$(bin publisher davecast-publisher)

# Each relay is the only silo of its site's cluster, so it is its own --primary-silo: each site keeps its own
# development membership table, and a relay that stops or restarts never disturbs the other site.
run_relay() { # site: a or b
  local s=$1
  local -n ingest=ingest_$s feed=feed_$s silo_port=silo_$s gw=gw_$s dash=dash_$s
  exec dotnet "$silo" --name "relay-$s" --site "$s" --ingest-port "$ingest" --feed-port "$feed" \
    --silo-port "$silo_port" --gateway-port "$gw" --primary-silo "127.0.0.1:$silo_port" --dashboard-port "$dash"
}

declare -A pids started
stop() {
  trap - INT TERM EXIT
  echo "Stopping..."
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for _ in $(seq 50); do
    alive=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.2
  done
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  exit 0
}
trap stop INT TERM EXIT

start() { # name, then the command
  local name=$1; shift
  "$@" >>"$logs/$name.log" 2>&1 &
  pids[$name]=$!
  started[$name]=$SECONDS
}
wait_for() { # url, what, [curl method option]
  for _ in $(seq 900); do
    code=$(curl -s -o /dev/null -m 2 -w '%{http_code}' ${3:-} "$1" 2>/dev/null || true)
    [ "$code" = 200 ] && return 0
    sleep 0.2
  done
  echo "demo.sh: $2 did not come up; see $logs" >&2
  return 1
}

start relay-a run_relay a
start relay-b run_relay b
wait_for "http://127.0.0.1:$dash_a/healthz" "relay-a"
wait_for "http://127.0.0.1:$dash_b/healthz" "relay-b"
start edge dotnet "$edge" --name edge --port $edge_port \
  --site a=gateways:127.0.0.1:$gw_a --site b=gateways:127.0.0.1:$gw_b
wait_for "http://127.0.0.1:$edge_port/healthz" "the edge gateway"
for who in main:200 backup:100; do
  start "publisher-${who%%:*}" dotnet "$pub" --mount "$mount" --encoder "studio-${who%%:*}" --priority "${who##*:}" \
    --file "$fixture" --loop --relay 127.0.0.1:$ingest_a --relay 127.0.0.1:$ingest_b --name "Davecast demo"
done
wait_for "http://127.0.0.1:$edge_port/$mount" "the mount /$mount" -I

echo "Listen: http://127.0.0.1:$edge_port/$mount"
echo "Dashboard: http://127.0.0.1:$dash_a/"
echo "Dashboard of site b: http://127.0.0.1:$dash_b/"
echo "Mount health: http://127.0.0.1:$dash_a/mounts (dashboard and mount health: user admin, password hackme)"
echo "Edge health: http://127.0.0.1:$edge_port/davecast/health"
echo "Relays: relay-a pid ${pids[relay-a]}, relay-b pid ${pids[relay-b]} (kill one: the stream goes on, and it is started again)"
echo "Logs: $logs (Ctrl-C stops everything)"
while true; do
  for name in "${!pids[@]}"; do
    kill -0 "${pids[$name]}" 2>/dev/null && continue
    case $name in
      relay-*)
        if [ $((SECONDS - ${started[$name]})) -lt 10 ]; then
          echo "demo.sh: $name stopped within 10 s of its start; not starting it again (see $logs/$name.log)" >&2
          unset "pids[$name]"; continue
        fi
        echo "demo.sh: $name stopped; starting it again in 2 s (the other relay carries the stream meanwhile)"
        sleep 2
        start "$name" run_relay "${name#relay-}"
        echo "demo.sh: $name started again, pid ${pids[$name]}"
        ;;
      *) echo "demo.sh: $name stopped; see $logs/$name.log" >&2; stop ;;
    esac
  done
  sleep 1
done
