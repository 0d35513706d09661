#!/usr/bin/env bash
# Installs what the tests need (from Debian's packages) if it is missing, builds, and runs every test.
set -euo pipefail
cd "$(dirname "$0")"

# command -> Debian package
declare -A tools=([ffmpeg]=ffmpeg [ffprobe]=ffmpeg [icecast2]=icecast2 [redis-server]=redis-server [curl]=curl [chromium]=chromium [ip]=iproute2 [npm]=npm [node]=nodejs)

missing_packages() {
  local pkgs=()
  for t in "${!tools[@]}"; do
    command -v "$t" >/dev/null 2>&1 || pkgs+=("${tools[$t]}")
  done
  printf '%s\n' "${pkgs[@]}" | sort -u | grep -v '^$' || true
}

pkgs=$(missing_packages)
if [ -n "$pkgs" ]; then
  echo "test.sh: installing $(echo $pkgs) from Debian's packages"
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "test.sh: ERROR: missing $(echo $pkgs), and cannot install them (needs root and apt-get)." >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq $pkgs >/dev/null
  pkgs=$(missing_packages)
  if [ -n "$pkgs" ]; then
    echo "test.sh: ERROR: still missing after apt-get install: $(echo $pkgs)" >&2
    exit 1
  fi
fi

# npm packages the browser tests load, pinned, into the git-ignored .test-packages/ (tests/Support/NpmPackages.cs).
npm_packages=(icecast-metadata-player@1.17.13 hls.js@1.7.4 m3u8-parser@7.2.0)
missing=()
for pkg in "${npm_packages[@]}"; do
  name=${pkg%@*}
  version=${pkg##*@}
  manifest=".test-packages/node_modules/$name/package.json"
  installed=""
  # Not there yet on a fresh clone: no manifest to read (a failing read would end the script under pipefail).
  if [ -f "$manifest" ]; then installed=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$manifest" | head -1); fi
  if [ "$installed" != "$version" ]; then missing+=("$pkg"); fi
done
# All in one install: npm removes what an earlier --no-save install put there when it installs something else.
if [ ${#missing[@]} -gt 0 ]; then
  echo "test.sh: installing ${npm_packages[*]} from npm into .test-packages/"
  if ! npm install --no-audit --no-fund --no-save --prefix .test-packages "${npm_packages[@]}" >/dev/null; then
    echo "test.sh: ERROR: npm could not install ${npm_packages[*]} into .test-packages/ (the browser and HLS tests need them)." >&2
    exit 1
  fi
fi

if ! command -v dotnet >/dev/null 2>&1; then
  echo "test.sh: ERROR: the .NET 10 SDK (dotnet) is not on PATH." >&2
  exit 1
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build Davecast.Orleans.sln -c Release -nologo -v q
results=$(mktemp -d)
# Unit tests first (seconds, no processes), then the process tests. Both run; either failing fails the script.
# Scenarios too long for the suite's 15 minutes carry the trait Suite=bench and run under bench/run.sh failover.
run_tests() {
  local name=$1
  shift
  dotnet test "$@" -c Release --no-build -nologo \
    --logger "console;verbosity=normal" --logger "trx;LogFileName=$name.trx" --results-directory "$results"
}
set +e
run_tests unit tests/Unit/Davecast.Tests.Unit.csproj
unit_status=$?
run_tests process tests/Davecast.Tests.csproj --filter "Suite!=bench" --blame-hang-timeout 10m
process_status=$?
set -e
passed=0
failed=0
for trx in "$results/unit.trx" "$results/process.trx"; do
  [ -f "$trx" ] || continue
  p=$(grep -o 'passed="[0-9]*"' "$trx" | head -1 | tr -dc 0-9)
  f=$(grep -o 'failed="[0-9]*"' "$trx" | head -1 | tr -dc 0-9)
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
done
echo "$passed passed, $failed failed"
# Name each failed test and the first line of its message last, where a log's tail shows them.
for trx in "$results/unit.trx" "$results/process.trx"; do
  [ -f "$trx" ] || continue
  grep -o '<UnitTestResult [^>]*outcome="Failed"[^>]*>' "$trx" | sed -n 's/.* testName="\([^"]*\)".*/FAILED: \1/p' || true
  awk '/<UnitTestResult [^>]*outcome="Failed"/ { f = 1 } f && /<Message>/ { sub(/.*<Message>/, "  message: "); print substr($0, 1, 400); f = 0 }' "$trx" || true
done
[ "$unit_status" -eq 0 ] && [ "$process_status" -eq 0 ]
