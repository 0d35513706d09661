#!/usr/bin/env bash
# Coverage-guided fuzzing of one parser with AFL++ and SharpFuzz (bench/Davecast.Fuzz):
#   bench/fuzz.sh list                      names the targets
#   bench/fuzz.sh TARGET MINUTES [--resume] builds, instruments the parsers' assemblies, fuzzes TARGET for MINUTES under nice
#   bench/fuzz.sh TARGET replay FILE...     runs inputs (e.g. a crash) through the uninstrumented target, once each
# Findings: bench/results/fuzz/TARGET/ (afl's output: default/crashes, default/hangs, default/fuzzer_stats) and a
# summary in bench/results/fuzz/TARGET.txt. --resume goes on from the corpus of the last run instead of the seeds.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
project=bench/Davecast.Fuzz
built=$project/bin/Release/net10.0
instrumented=$project/bin/afl
tools=$project/obj/tools
usage() { echo "usage: bench/fuzz.sh list | TARGET MINUTES [--resume] | TARGET replay FILE..." >&2; exit 1; }

build() { dotnet build "$project/Davecast.Fuzz.csproj" -c Release -nologo -v q >&2; }
fuzz_dll() { dotnet "$built/davecast-fuzz.dll" "$@"; }

target="${1:-}"
[ -n "$target" ] || usage
if [ "$target" = list ]; then build; fuzz_dll list; exit 0; fi
[ $# -ge 2 ] || usage
if [ "$2" = replay ]; then shift 2; build; fuzz_dll "$target" "$@"; exit $?; fi
minutes="$2"
[[ "$minutes" =~ ^[0-9]+$ ]] && [ "$minutes" -gt 0 ] || { echo "bench/fuzz.sh: MINUTES must be a whole number above 0, not '$minutes'" >&2; exit 1; }
resume=false
[ "${3:-}" = --resume ] && resume=true

# AFL++ from Debian; SharpFuzz's instrumenting tool from NuGet, pinned like the SharpFuzz package.
if ! command -v afl-fuzz >/dev/null; then
  echo "bench/fuzz.sh: afl-fuzz is missing; installing the Debian package afl++" >&2
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq afl++; } >&2; then
    echo "bench/fuzz.sh: could not install afl++ (needs root and the Debian archive): install it with 'apt-get install afl++'" >&2
    exit 1
  fi
fi
if [ ! -x "$tools/sharpfuzz" ]; then
  dotnet tool install SharpFuzz.CommandLine --version 2.3.0 --tool-path "$tools" >&2 || {
    echo "bench/fuzz.sh: could not install the dotnet tool SharpFuzz.CommandLine 2.3.0 into $tools" >&2; exit 1; }
fi

build
fuzz_dll list | awk '{print $1}' | grep -qx -- "$target" || { echo "bench/fuzz.sh: no target '$target'; bench/fuzz.sh list names them" >&2; exit 1; }

# A fresh copy of the build, with the assemblies holding the parsers instrumented for coverage: core, and the edge's
# and the publisher's, whose request checks (listener logins, source credentials, station headers) the HTTP targets run.
rm -rf "$instrumented"
cp -r "$built" "$instrumented"
for assembly in Davecast.Core davecast-edge davecast-publisher; do
  "$tools/sharpfuzz" "$instrumented/$assembly.dll" >&2
done

out=bench/results/fuzz/$target
seeds=bench/results/fuzz/$target-seeds
rm -rf "$seeds"
mkdir -p "$seeds"
[ -d "$project/Seeds/$target" ] && cp "$project/Seeds/$target"/* "$seeds/"
fuzz_dll seeds "$target" "$seeds"
if $resume && [ -d "$out/default" ]; then input=-; else rm -rf "$out"; input=$seeds; fi
mkdir -p "$out"

echo "bench/fuzz.sh: fuzzing $target for $minutes minutes (nice 19); findings in $out" >&2
# dotnet is not instrumented itself (the target's assembly is), core dumps need not reach afl, and the
# machine is shared: no CPU pinning, no frequency check. -t: an input taking over FUZZ_HANG_MS (5 s by default) is a
# hang; on a loaded machine raise it, or a starved run ends the fuzzing (SharpFuzz's target does not fork: AFL's kill
# of a hang takes its fork server with it).
hang_ms=${FUZZ_HANG_MS:-5000}
[[ "$hang_ms" =~ ^[0-9]+$ ]] && [ "$hang_ms" -ge 100 ] || { echo "bench/fuzz.sh: FUZZ_HANG_MS must be a whole number of milliseconds, at least 100, not '$hang_ms'" >&2; exit 1; }
AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 \
  nice -n 19 afl-fuzz -i "$input" -o "$out" -t "$hang_ms" -m none -G 65536 -V $((minutes * 60)) \
  -- dotnet "$instrumented/davecast-fuzz.dll" "$target" > "$out/afl.log" 2>&1 || {
    echo "bench/fuzz.sh: afl-fuzz failed; the end of its log ($out/afl.log):" >&2; tail -25 "$out/afl.log" >&2; exit 1; }

stats=$out/default/fuzzer_stats
stat() { awk -F' *: *' -v k="$1" '$1 == k {print $2}' "$stats"; }
crashes=$(find "$out/default/crashes" -type f -name 'id:*' | wc -l)
hangs=$(find "$out/default/hangs" -type f -name 'id:*' | wc -l)
{
  echo "target:      $target"
  echo "run time:    $(( $(stat run_time) / 60 )) min $(( $(stat run_time) % 60 )) s"
  echo "executions:  $(stat execs_done) ($(stat execs_per_sec)/s)"
  echo "corpus:      $(stat corpus_count) paths ($(stat corpus_found) found beyond the seeds)"
  echo "coverage:    $(stat bitmap_cvg)"
  echo "crashes:     $crashes"
  echo "hangs:       $hangs"
} | tee "bench/results/fuzz/$target.txt"
if [ "$crashes" -gt 0 ] || [ "$hangs" -gt 0 ]; then
  echo "Replay them: bench/fuzz.sh $target replay $out/default/crashes/id:* $out/default/hangs/id:*"
  exit 3
fi
