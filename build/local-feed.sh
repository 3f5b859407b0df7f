#!/usr/bin/env bash
# Packs every packable project under src/ (Compass.Core, Compass.Onnx, Compass.Onnx.Cpu, Compass.Onnx.Gpu,
# Compass.Training, Compass.Evaluation, the compass tool Compass.Cli, and any package added later) into a
# local NuGet feed, artifacts/feed, and prints the commands that install from it.
#
#   build/local-feed.sh                 version <Version of Directory.Build.props>-local.<UTC time>
#   COMPASS_VERSION=1.2.3 build/local-feed.sh
#
# Each run packs a new prerelease version (unless COMPASS_VERSION is set), so that a package cached in the
# NuGet global packages folder by an earlier run is never used instead of this one; `--prerelease` picks the
# newest. The feed folder is emptied first. Needs the .NET 10 SDK and nuget.org (for the packages' dependencies).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
feed="$root/artifacts/feed"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

base=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' Directory.Build.props | head -n 1)
[ -n "$base" ] || { echo "local-feed: no <Version> in Directory.Build.props" >&2; exit 1; }
version="${COMPASS_VERSION:-$base-local.$(date -u +%Y%m%d%H%M%S)}"

# Every project under src/ whose IsPackable is true (tools such as compass-train are not).
packable=()
for project in src/*/*.csproj; do
  [ "$(dotnet msbuild "$project" -getProperty:IsPackable -nologo)" = "true" ] && packable+=("$project")
done
[ "${#packable[@]}" -gt 0 ] || { echo "local-feed: no packable project under src/" >&2; exit 1; }

mkdir -p "$feed"
rm -f "$feed"/*.nupkg "$feed"/*.snupkg
# The tool's Release output may hold another ONNX Runtime variant's natives (-p:CompassToolOnnxRuntime=...),
# which an incremental publish would keep: pack it from clean.
rm -rf src/Compass.Cli/bin/Release src/Compass.Cli/obj/Release
for project in "${packable[@]}"; do
  echo "local-feed: packing $project ($version)"
  dotnet pack "$project" -c Release -o "$feed" -p:Version="$version" --nologo -v q -clp:NoSummary
done

echo
echo "local-feed: $(ls "$feed"/*.nupkg | wc -l) packages, version $version, in $feed:"
(cd "$feed" && ls -l *.nupkg | awk '{ printf "  %-60s %7.1f MB\n", $9, $5 / 1e6 }')
cat <<USAGE

Use it, in your app's project folder (the newest local version; or pin it with --version $version):
  dotnet new nugetconfig
  dotnet nuget add source "$feed" --name compass-local --configfile nuget.config
  dotnet add package Compass.Onnx.Cpu --prerelease        # CPU; Compass.Onnx.Gpu for CUDA
  dotnet tool install --global Compass.Cli --prerelease --add-source "$feed"
USAGE
