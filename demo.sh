#!/usr/bin/env bash
# Builds Davecast and starts a complete local deployment: two sites (a and b, each its own Orleans cluster with one
# relay silo), an edge gateway that follows both sites, and two publishers of the committed fixture. Prints the
# Listen and Dashboard URLs, and the commands that kill, stop and start each part. A part that stops is started
# again after 2 s, as systemd would, and the demo says which part stopped; Ctrl-C or SIGTERM stops everything.
#
#   ./demo.sh                    the demo, until Ctrl-C
#   ./demo.sh failover           the demo, then a walk through the failovers while you listen, printing the edge's
#                                counters after each step; then it keeps running until Ctrl-C
#   ./demo.sh kill PART          (beside a running demo) SIGKILL a part, as a crash would; the demo starts it again
#   ./demo.sh stop PART          (beside a running demo) stop a part and keep it stopped
#   ./demo.sh start PART         (beside a running demo) start a stopped part again
#   PART: relay-a, relay-b, publisher-main, publisher-backup or edge
#
# Environment (all optional): DEMO_PORT_BASE (default 8000: edge on it, dashboards on +80/+81; see README),
# DEMO_FIXTURE (default fixtures/programme.aac), DEMO_NO_BUILD=1 to reuse an existing build,
# DEMO_CONFIGURATION (default Release), DEMO_STEP_SECONDS (default 15: how long `failover` listens after each step).
set -euo pipefail
cd "$(dirname "$0")"
root=$(pwd)
# The running demo's parts: PART.pid, PART.held (stopped on purpose), PART.killed (killed on purpose), demo.pid.
state="$root/.demo/state"
logs="$root/.demo/logs"
parts=(relay-a relay-b publisher-main publisher-backup edge)

usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; }

demo_running() { [ -f "$state/demo.pid" ] && kill -0 "$(cat "$state/demo.pid")" 2>/dev/null; }

# ./demo.sh kill|stop|start PART: tells the running demo's supervisor loop through files in $state.
control() {
  local verb=$1 part=${2:-}
  if [[ ! " ${parts[*]} " == *" $part "* ]]; then
    echo "demo.sh: $verb needs a part: one of ${parts[*]}" >&2
    return 2
  fi
  if ! demo_running; then
    echo "demo.sh: no demo is running in $root (start ./demo.sh first)" >&2
    return 1
  fi
  local pid
  pid=$(cat "$state/$part.pid" 2>/dev/null || true)
  case $verb in
    kill|stop)
      if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
        echo "demo.sh: $part is not running; ./demo.sh start $part starts it" >&2
        return 1
      fi
      if [ "$verb" = kill ]; then
        touch "$state/$part.killed"
        kill -KILL "$pid"
        echo "demo.sh: killed $part (pid $pid) with SIGKILL; the demo starts it again in 2 s"
      else
        touch "$state/$part.held"
        kill -TERM "$pid"
        echo "demo.sh: stopping $part (pid $pid); it stays stopped until ./demo.sh start $part"
      fi
      ;;
    start)
      if [ ! -f "$state/$part.held" ]; then
        echo "demo.sh: $part is not stopped (pid $pid)" >&2
        return 1
      fi
      rm -f "$state/$part.held"
      echo "demo.sh: the demo starts $part within a second"
      ;;
  esac
}

mode=run
case ${1:-} in
  "") ;;
  failover) mode=failover ;;
  kill|stop|start) control "$@"; exit ;;
  -h|--help|help) usage; exit 0 ;;
  *) echo "demo.sh: unknown command '$1'" >&2; usage >&2; exit 2 ;;
esac

base=${DEMO_PORT_BASE:-8000}
fixture=${DEMO_FIXTURE:-fixtures/programme.aac}
step_seconds=${DEMO_STEP_SECONDS:-15}
if ! [[ $step_seconds =~ ^[0-9]+$ ]]; then
  echo "demo.sh: DEMO_STEP_SECONDS must be a whole number of seconds" >&2
  exit 2
fi
mount=$(basename "$fixture")
edge_port=$base
# The ports of docs/walkthrough.md (relay-a: the relay's defaults), all moved by DEMO_PORT_BASE.
dash_a=$((base + 80)); dash_b=$((base + 81))
ingest_a=$((base + 1001)); ingest_b=$((base + 1002))
feed_a=$((base + 1100)); feed_b=$((base + 1101))
silo_a=$((base + 3111)); silo_b=$((base + 3112))
gw_a=$((base + 22000)); gw_b=$((base + 22001))
if demo_running; then
  echo "demo.sh: a demo is already running in $root (pid $(cat "$state/demo.pid")); stop it first" >&2
  exit 1
fi
for port in $edge_port $dash_a $dash_b $ingest_a $ingest_b $feed_a $feed_b $silo_a $silo_b $gw_a $gw_b; do
  if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then
    echo "demo.sh: port $port is already in use (another demo still running?); set DEMO_PORT_BASE to move all ports" >&2
    exit 1
  fi
done
mkdir -p "$logs"
rm -f "$logs"/*.log
rm -rf "$state"
mkdir -p "$state"
echo $$ >"$state/demo.pid"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# A local demo uses the development key and passwords, which the programs refuse in any other environment.
export DOTNET_ENVIRONMENT=Development
if [ "${DEMO_NO_BUILD:-0}" != "1" ]; then
  echo "Building (Release)..."
  dotnet build Davecast.Orleans.sln -c Release -nologo -v q >"$logs/build.log" 2>&1 || { cat "$logs/build.log"; rm -rf "$state"; exit 1; }
fi
config=${DEMO_CONFIGURATION:-Release}
bin() { echo "$root/$1/bin/$config/net10.0/$2.dll"; }
silo=$(bin silo davecast-silo); edge=$(bin edge-gateway davecast-edge); pub=$(bin publisher davecast-publisher)
# Both publishers stamp the programme from the same wall-clock start, so a publisher started again joins in step.
start_at=$(date +%s)

# Each relay is the only silo of its site's cluster, so it is its own --primary-silo: each site keeps its own
# development membership table, and a relay that stops or restarts never disturbs the other site.
run_relay() { # site: a or b
  local s=$1
  local -n ingest=ingest_$s feed=feed_$s silo_port=silo_$s gw=gw_$s dash=dash_$s
  exec dotnet "$silo" --name "relay-$s" --site "$s" --ingest-port "$ingest" --feed-port "$feed" \
    --silo-port "$silo_port" --gateway-port "$gw" --primary-silo "127.0.0.1:$silo_port" --dashboard-port "$dash" --orleans-dashboard
}
run_publisher() { # main or backup
  local priority=200
  [ "$1" = backup ] && priority=100
  # --start-at must be within an hour of now: later, a publisher started again starts the programme afresh.
  [ $(($(date +%s) - start_at)) -lt 3000 ] || start_at=$(date +%s)
  exec dotnet "$pub" --mount "$mount" --encoder "studio-$1" --priority "$priority" --file "$fixture" --loop \
    --start-at "$start_at" --relay 127.0.0.1:$ingest_a --relay 127.0.0.1:$ingest_b --name "Davecast demo"
}
run_edge() {
  exec dotnet "$edge" --name edge --port $edge_port --hls --site a=gateways:127.0.0.1:$gw_a --site b=gateways:127.0.0.1:$gw_b
}
run_part() { # part
  case $1 in
    relay-*) run_relay "${1#relay-}" ;;
    publisher-*) run_publisher "${1#publisher-}" ;;
    edge) run_edge ;;
  esac
}

declare -A pids started restart_at
walk_pid=
stop() {
  trap - INT TERM EXIT
  echo "Stopping..."
  [ -n "$walk_pid" ] && kill -TERM "$walk_pid" 2>/dev/null || true
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for _ in $(seq 50); do
    alive=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.2
  done
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  rm -rf "$state"
  exit 0
}
trap stop INT TERM EXIT

start() { # part
  run_part "$1" >>"$logs/$1.log" 2>&1 &
  pids[$1]=$!
  started[$1]=$SECONDS
  echo "${pids[$1]}" >"$state/$1.pid"
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

# One pass over the parts: says which part stopped and how, and starts it again as systemd would.
supervise() {
  for name in "${parts[@]}"; do
    if [ -n "${restart_at[$name]:-}" ]; then
      [ "$SECONDS" -lt "${restart_at[$name]}" ] && continue
      unset "restart_at[$name]"
      start "$name"
      echo "demo.sh: $name started again, pid ${pids[$name]}"
      continue
    fi
    if [ -z "${pids[$name]:-}" ]; then # stopped on purpose, or given up
      [ -f "$state/$name.held" ] && continue
      start "$name"
      echo "demo.sh: $name started again, pid ${pids[$name]}"
      continue
    fi
    kill -0 "${pids[$name]}" 2>/dev/null && continue
    local status=0 how
    wait "${pids[$name]}" 2>/dev/null || status=$?
    if [ $status -gt 128 ]; then how="killed by signal $((status - 128))"; else how="exit code $status"; fi
    echo "demo.sh: $name stopped (pid ${pids[$name]}, $how)"
    unset "pids[$name]"
    if [ -f "$state/$name.held" ]; then
      echo "demo.sh: $name stays stopped; ./demo.sh start $name starts it again"
    elif [ ! -f "$state/$name.killed" ] && [ $((SECONDS - ${started[$name]})) -lt 10 ]; then
      touch "$state/$name.held"
      echo "demo.sh: $name stopped within 10 s of its start; not starting it again (see $logs/$name.log; ./demo.sh start $name starts it)"
    else
      rm -f "$state/$name.killed"
      restart_at[$name]=$((SECONDS + 2))
      echo "demo.sh: starting $name again in 2 s, as systemd would"
    fi
  done
}

start relay-a
start relay-b
wait_for "http://127.0.0.1:$dash_a/healthz" "relay-a"
wait_for "http://127.0.0.1:$dash_b/healthz" "relay-b"
start edge
wait_for "http://127.0.0.1:$edge_port/healthz" "the edge gateway"
start publisher-main
start publisher-backup
wait_for "http://127.0.0.1:$edge_port/$mount" "the mount /$mount" -I

echo "Listen: http://127.0.0.1:$edge_port/$mount"
echo "Dashboard: http://127.0.0.1:$dash_a/"
echo "Dashboard of site b: http://127.0.0.1:$dash_b/"
echo "Mount health: http://127.0.0.1:$dash_a/mounts (dashboard and mount health: user admin, password hackme)"
echo "Edge health: http://127.0.0.1:$edge_port/davecast/health"
echo "Relays: relay-a pid ${pids[relay-a]}, relay-b pid ${pids[relay-b]} (kill one: the stream goes on, and it is started again)"
echo "Each part, from another terminal in $root: kill it as a crash would (the demo starts it again after 2 s),"
echo "or stop it and keep it stopped until you start it (./demo.sh failover walks through them):"
for name in "${parts[@]}"; do
  printf '  %-17s pid %-8s ./demo.sh kill %-17s ./demo.sh stop %-17s ./demo.sh start %s\n' "$name" "${pids[$name]}" "$name" "$name" "$name"
done
echo "Logs: $logs (Ctrl-C stops everything)"

# The edge's counter summed over the mount's series on its /metrics (Prometheus text).
counter() {
  curl -s -m 2 "http://127.0.0.1:$edge_port/metrics" 2>/dev/null |
    awk -v name="$1" -v label="mount=\"$mount\"" 'index($1, name "{") == 1 && index($1, label) { sum += $NF } END { printf "%d\n", sum }'
}
counters() { # step name
  echo "demo.sh: [$1] edge counters of /$mount: gap frames $(counter davecast_edge_gap_frames_total)," \
    "failovers $(counter davecast_edge_failovers_total), switches $(counter davecast_edge_switches_total)," \
    "frames emitted $(counter davecast_edge_frames_out_total), listeners $(counter davecast_edge_listeners)"
}
feed_connected() { # relay: 1 while the edge takes frames from its feed
  curl -s -m 2 "http://127.0.0.1:$edge_port/metrics" 2>/dev/null |
    awk -v label="relay=\"$1\"" 'index($1, "davecast_edge_relay_feeds{") == 1 && index($1, label) { v = $NF } END { print v + 0 }'
}
until_true() { # seconds, what, condition...
  local deadline=$((SECONDS + $1)) what=$2
  shift 2
  until "$@"; do
    if [ $SECONDS -ge $deadline ]; then echo "demo.sh: gave up waiting for $what" >&2; return 1; fi
    sleep 0.5
  done
}
restarted() { [ "$(cat "$state/$1.pid" 2>/dev/null)" != "$2" ] && [ "$(feed_connected "$1")" = 1 ]; }
grew() { [ "$(counter "$1")" -gt "$2" ]; }
say() { echo "demo.sh: step: $*"; }

# The failover walk-through, beside the supervisor loop: it uses the same commands a user would type.
walk() {
  trap - INT TERM EXIT
  listen() { sleep "$step_seconds"; }
  listen
  counters "before any failover"
  for relay in relay-a relay-b; do
    local old
    old=$(cat "$state/$relay.pid")
    say "./demo.sh kill $relay (the other site carries every frame; the demo starts $relay again)"
    "$root/demo.sh" kill "$relay"
    until_true 90 "$relay to be followed again" restarted "$relay" "$old" && echo "demo.sh: $relay is back: the edge follows its feed again"
    listen
    counters "$relay killed and back"
  done
  publisher_step() { # verb, why, the edge counter that moves, seconds to wait for it, what it shows, the step's name
    local before
    before=$(counter "$3")
    say "./demo.sh $1 publisher-main ($2)"
    "$root/demo.sh" "$1" publisher-main
    until_true "$4" "$5" grew "$3" "$before" && echo "demo.sh: $5"
    listen
    counters "$6"
  }
  publisher_step stop "the backup encoder takes over at the next frame" davecast_edge_failovers_total 30 \
    "studio-backup live" "main publisher stopped"
  publisher_step start "once healthy for 10 s it is live again, at a planned frame" davecast_edge_switches_total 90 \
    "studio-main live again" "main publisher back"
  echo "demo.sh: failover walk-through done; the demo keeps running (Ctrl-C stops everything)"
}
if [ $mode = failover ]; then
  walk &
  walk_pid=$!
fi

# Quiet: bash would print a "Killed" line of its own for each part killed; supervise says which part stopped.
while true; do
  { supervise; sleep 1; } 2>/dev/null
done
