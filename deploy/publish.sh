#!/usr/bin/env bash
# Publishes Davecast for the VMs of docs/deploy.md: `dotnet publish` of the relay, the edge and the publisher
# (Release, framework-dependent: the VMs run Debian's aspnetcore-runtime-10.0 from Microsoft's feed), laid out as
# /opt/davecast is on every VM: silo/, edge/, publisher/, docs/ (the units' Documentation=) and systemd/ (the units).
#
#   deploy/publish.sh [DEST]     default DEST: deploy/out; then copy DEST to /opt/davecast on each VM
set -euo pipefail
cd "$(dirname "$0")/.."
dest=${1:-deploy/out}
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# project : the folder under /opt/davecast that the unit's ExecStart names
for program in silo/Davecast.Silo.csproj:silo edge-gateway/Davecast.EdgeGateway.csproj:edge publisher/Davecast.Publisher.csproj:publisher; do
  rm -rf "${dest:?}/${program##*:}"
  dotnet publish "${program%%:*}" -c Release -o "$dest/${program##*:}" -nologo -v q
done
rm -rf "${dest:?}/docs" "${dest:?}/systemd"
cp -r docs "$dest/docs"
mkdir -p "$dest/systemd"
cp deploy/systemd/*.service "$dest/systemd/"
echo "Published to $dest. On each VM: copy it to /opt/davecast, and /opt/davecast/systemd/*.service to /etc/systemd/system/."
