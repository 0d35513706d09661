#!/usr/bin/env bash
# Installs what the tests need (from Debian's packages) if it is missing, builds, and runs every test.
set -euo pipefail
cd "$(dirname "$0")"

# command -> Debian package
declare -A tools=([ffmpeg]=ffmpeg [ffprobe]=ffmpeg [icecast2]=icecast2 [redis-server]=redis-server [curl]=curl [chromium]=chromium [ip]=iproute2)

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

if ! command -v dotnet >/dev/null 2>&1; then
  echo "test.sh: ERROR: the .NET 10 SDK (dotnet) is not on PATH." >&2
  exit 1
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build Davecast.Orleans.sln -c Release -nologo -v q
results=$(mktemp -d)
set +e
# Scenarios too long for the suite's 15 minutes carry the trait Suite=bench and run under bench/run.sh failover.
dotnet test tests/Davecast.Tests.csproj -c Release --no-build -nologo --filter "Suite!=bench" \
  --logger "console;verbosity=normal" --logger "trx;LogFileName=results.trx" --results-directory "$results" \
  --blame-hang-timeout 10m
status=$?
set -e
trx="$results/results.trx"
if [ -f "$trx" ]; then
  passed=$(grep -o 'passed="[0-9]*"' "$trx" | head -1 | tr -dc 0-9)
  failed=$(grep -o 'failed="[0-9]*"' "$trx" | head -1 | tr -dc 0-9)
  echo "${passed:-0} passed, ${failed:-0} failed"
fi
exit $status
