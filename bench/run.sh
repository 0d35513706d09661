#!/usr/bin/env bash
# Builds Release and runs benchmark rows of BENCHMARKS.md on this machine:
#   bench/run.sh original|scale|fanout|latency|failover|micro|all [options for davecast-bench or BenchmarkDotNet]
#   bench/run.sh hls   (the HLS test at full length: two minutes of identical segments on two edges, hls.js through them and the
#                       kill of its edge, the latency from frame sent to segment listed; then hls-fanout: edge CPU per ICY and
#                       per HLS listener; not in "all")
#   bench/run.sh seed --seed-dir DIR [options]   (side by side with the original Davecast built in DIR; not in "all")
#   bench/run.sh soak [--minutes N] [--seed S] [--warmup SECONDS] [--warmup-faults] [--faults relay,encoder,cut,loss,redis,edge]
#                      (the chaos soak: two sites, 20 mounts, a fault every 30-90 s for N minutes, 30 by default, dealt from
#                       a seeded shuffled deck: every six faults meet every kind once; --faults takes those kinds in turn
#                       instead; --warmup-faults starts the faults with the load and holds the first figures until one of
#                       each kind has passed; bench/results/soak-<time>.md; not in "all")
# Results: bench/results/<row>.md and <row>.json (every figure), logs of every program under bench/results/logs/.
# Each measured row first waits (up to 10 minutes) for a quiet machine: load average below 0.5.
set -euo pipefail
cd "$(dirname "$0")/.."
row="${1:-}"
shift || true
case "$row" in
  original|scale|fanout|latency|failover|micro|seed|hls|soak|all) ;;
  *) echo "usage: bench/run.sh original|scale|fanout|latency|failover|micro|hls|all [options], bench/run.sh seed --seed-dir DIR [options], or bench/run.sh soak [--minutes N] [--seed S] [--warmup SECONDS] [--warmup-faults] [--faults LIST]" >&2; exit 1 ;;
esac

# Thousands of listener sockets (fan-out) and publisher connections (scale): as many files as allowed.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
for tool in redis-server icecast2 ffmpeg; do
  command -v "$tool" >/dev/null || { echo "bench/run.sh: $tool is missing (apt-get install redis-server icecast2 ffmpeg)" >&2; exit 1; }
done
dotnet build Davecast.Orleans.sln -c Release -nologo -v q
mkdir -p bench/results
bench() { dotnet bench/Davecast.Bench/bin/Release/net10.0/davecast-bench.dll "$@"; }

failover() {
  # The failover scenarios print a table each (frames missing or repeated, longest stall); their figures are quoted.
  # Tests kept out of the suite for its 15 minutes (trait Suite=bench) run here too, one at a time (the suite runs two side by side).
  local log=bench/results/scenarios.log
  dotnet test tests/Davecast.Tests.csproj -c Release --no-build --filter "(FullyQualifiedName~Scenarios|Suite=bench)&FullyQualifiedName!~ChaosSoak" \
    --logger "console;verbosity=detailed" "$@" -- xUnit.ParallelizeTestCollections=false > "$log" 2>&1 || echo "bench/run.sh: some scenarios failed; see $log" >&2
  grep -E "^\s*(\||scenario|Passed|Failed|Total)" "$log" > bench/results/failover.md || true
  echo "failover scenarios: bench/results/failover.md (full output in $log)"
}

hls() {
  # The suite's HLS tests, at full length (tests/EndToEnd/HlsTests.cs reads DAVECAST_HLS_LONG); they need test.sh's npm packages.
  local log=bench/results/hls.log
  # Options given (--sizes, --no-quiet-wait ...) are hls-fanout's, not dotnet test's.
  DAVECAST_HLS_LONG=1 dotnet test tests/Davecast.Tests.csproj -c Release --no-build --filter "FullyQualifiedName~EndToEnd.HlsTests" \
    --logger "console;verbosity=detailed" > "$log" 2>&1 || echo "bench/run.sh: an HLS run failed; see $log" >&2
  grep -E "^\s*(Passed|Failed|Total|edge 1|segments|hls.js read|latency)" "$log" > bench/results/hls.md || true
  echo "HLS runs: bench/results/hls.md (full output in $log)"
  # The edge's CPU per ICY listener against per HLS client, 1000 of each.
  bench hls-fanout "$@"
}

soak() {
  # tests/Soak/ChaosSoak.cs (trait Suite=bench, left out of failover above), for the minutes given; it needs root (network namespaces).
  local minutes=30 seed="" warmup="" warmup_faults="" faults="" stamp
  while [ $# -gt 0 ]; do
    case "$1" in
      --faults)
        [ $# -ge 2 ] || { echo "bench/run.sh soak: --faults needs a list, e.g. relay,encoder,cut,loss,redis,edge" >&2; exit 1; }
        faults="$2"
        shift 2 ;;
      --warmup-faults) warmup_faults=1; shift ;;
      --minutes|--seed|--warmup)
        [ $# -ge 2 ] && [[ "$2" =~ ^[0-9]+$ ]] || { echo "bench/run.sh soak: $1 needs a whole number" >&2; exit 1; }
        case "$1" in --minutes) minutes="$2" ;; --seed) seed="$2" ;; --warmup) warmup="$2" ;; esac
        shift 2 ;;
      *) echo "bench/run.sh soak: unknown option $1 (--minutes N, --seed S, --warmup SECONDS, --warmup-faults, --faults LIST)" >&2; exit 1 ;;
    esac
  done
  [ "$minutes" -ge 1 ] || { echo "bench/run.sh soak: --minutes must be at least 1" >&2; exit 1; }
  seed="${seed:-$(( (RANDOM << 15 | RANDOM) + 1 ))}"
  stamp="$(date -u +%Y%m%dT%H%M%SZ)"
  local report="bench/results/soak-$stamp.md" log="bench/results/soak-$stamp.log"
  echo "chaos soak: $minutes minutes, seed $seed; report $report, full output $log"
  DAVECAST_SOAK_MINUTES="$minutes" DAVECAST_SOAK_SEED="$seed" DAVECAST_SOAK_WARMUP_SECONDS="$warmup" DAVECAST_SOAK_FAULTS="$faults" DAVECAST_SOAK_WARMUP_FAULTS="$warmup_faults" DAVECAST_SOAK_REPORT="$PWD/$report" \
    dotnet test tests/Davecast.Tests.csproj -c Release --no-build --filter "FullyQualifiedName~ChaosSoak" \
    --logger "console;verbosity=detailed" > "$log" 2>&1 || echo "bench/run.sh: the soak failed; see $log" >&2
  if [ -f "$report" ]; then cat "$report"; else echo "bench/run.sh: the soak wrote no report; see $log" >&2; exit 1; fi
}

micro() {
  local artifacts=bench/results/micro-artifacts
  dotnet bench/Davecast.Bench.Micro/bin/Release/net10.0/davecast-bench-micro.dll --filter '*' --artifacts "$artifacts" "$@"
  cat "$artifacts"/results/*-report-github.md > bench/results/micro.md
  echo "micro-benchmarks: bench/results/micro.md"
}

case "$row" in
  original) bench original "$@" ;;
  scale) bench scale "$@" ;;
  fanout) bench fanout "$@" ;;
  latency) bench latency "$@" ;;
  seed) bench seed "$@" ;;
  failover) failover "$@" ;;
  micro) micro "$@" ;;
  hls) hls "$@" ;;
  soak) soak "$@" ;;
  all)
    bench original
    bench scale
    bench fanout
    bench latency
    failover
    micro
    ;;
esac
