#!/usr/bin/env bash
# Builds gpu-ort-kit/ (ignored by git): what a GPU machine without .NET and without network needs to run Compass on
# ONNX Runtime's CUDA provider and compare it with the CPU (build/gpu-ort-run.sh; docs/performance.md, "3840x2160 and
# CUDA"). Run it on a machine with the .NET 10 SDK and the solution's NuGet packages.
#
#   build/gpu-ort-kit.sh                  kit in gpu-ort-kit/
#   PART_MIB=50 build/gpu-ort-kit.sh
#
# The kit: a self-contained linux-x64 Compass.Benchmarks (the .NET runtime, BenchmarkDotNet, Compass with its embedded
# default model, ONNX Runtime's CUDA build: libonnxruntime.so and libonnxruntime_providers_cuda.so, 284 MB alone),
# as one tar.xz cut into parts of at most PART_MIB MiB, because a device call carries the tracked tree plus at most
# 64 MiB of ignored files:
#   gpu-ort-kit/ort-kit.tar.xz.part01 .. partNN   the parts (417 MiB unpacked; with XZ_LEVEL=1 the archive is 234 MiB,
#                                                 5 parts of 55 MiB; the default xz -9 packs tighter, fewer parts)
#   gpu-ort-kit/kit.txt                           versions, sizes, the sha256 of every part and of the whole archive
# The archive also holds kodim01.png (when ../shared has it), the image cuda-check codes.
# Left out of it: libtorch (the training suites, TrainingStepBenchmarks and LiffBenchmarks, do not run from the kit)
# and ONNX Runtime's TensorRT provider and Windows natives.
#
# Device calls (a machine keeps ignored files between calls while it stays warm: about 30 s after a call, so make the
# calls back to back; a cold machine starts bare and the parts must be carried again):
#   call 1 .. N-1   carry ["gpu-ort-kit/kit.txt", "gpu-ort-kit/ort-kit.tar.xz.partK"], command: build/gpu-ort-run.sh --check
#                   (lists the parts present, seconds);
#   call N          carry ["gpu-ort-kit/kit.txt", "gpu-ort-kit/ort-kit.tar.xz.partN"], command:
#                   OUT=$OUT build/gpu-ort-run.sh 8      (joins the parts, runs the check and the suites in 8 minutes).
# So one call per part (the script prints how many), the last one doing the work. Then, on the CPU machine, check the streams it wrote:
#   dotnet benchmarks/Compass.Benchmarks/bin/Release/net10.0/Compass.Benchmarks.dll cuda-check verify <its OUT folder>
#
# Variables: KIT (output folder; default gpu-ort-kit), PART_MIB (default 55), XZ_LEVEL (default 9), KODAK (the image
# cuda-check codes; default ../shared/data/kodak/kodim01.png when present).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
kit="${KIT:-$root/gpu-ort-kit}"
part_mib="${PART_MIB:-55}"
level="${XZ_LEVEL:-9}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
publish="$work/compass-ort"

echo "gpu-ort-kit: publishing Compass.Benchmarks (self-contained, linux-x64, Release) ..."
# Not trimmed: BenchmarkDotNet finds and runs the suites by reflection. Invariant globalization spares the GPU machine
# an ICU library (the benchmarks format with the invariant culture).
dotnet publish benchmarks/Compass.Benchmarks/Compass.Benchmarks.csproj -c Release -r linux-x64 --self-contained true \
  -p:InvariantGlobalization=true -p:DebugType=none -o "$publish" -nologo -v quiet

# ONNX Runtime's CUDA build must be the one published (its libonnxruntime.so loads the CUDA provider next to it).
[ -f "$publish/libonnxruntime_providers_cuda.so" ] || { echo "gpu-ort-kit: libonnxruntime_providers_cuda.so is missing from the publish output" >&2; exit 1; }
[ -f "$publish/libonnxruntime_providers_shared.so" ] || { echo "gpu-ort-kit: libonnxruntime_providers_shared.so is missing from the publish output" >&2; exit 1; }

# libtorch (the training suites only) is left out: exactly the files of the libtorch-cpu package.
packages="${NUGET_PACKAGES:-$(dotnet nuget locals global-packages --list | sed 's/^[^:]*: *//')}"
libtorch_version=$(sed -n 's:.*Include="libtorch-cpu-linux-x64" Version="\([^"]*\)".*:\1:p' Directory.Packages.props)
natives="${packages%/}/libtorch-cpu-linux-x64/$libtorch_version/runtimes/linux-x64/native"
removed=0
if [ -d "$natives" ]; then
  for f in "$natives"/*; do
    [ -e "$publish/$(basename "$f")" ] && { rm -f "$publish/$(basename "$f")"; removed=$((removed + 1)); }
  done
fi
rm -rf "$publish/cpu"
# ONNX Runtime's Windows natives (the Gpu.Windows package copies them into any publish, 230 MB) are no use on Linux.
rm -f "$publish"/onnxruntime*.dll "$publish"/libonnxruntime_providers_tensorrt.so "$publish"/libLibTorchSharp.so "$publish"/createdump \
  "$publish"/libmscordaccore.so "$publish"/libmscordbi.so "$publish"/libclrgc*.so "$publish"/libcoreclrtraceptprovider.so
if ls "$publish" | grep -Eq '^(libtorch_cpu|libc10|libtorch)\.so$'; then
  echo "gpu-ort-kit: libtorch natives are still in the publish output" >&2; exit 1
fi
echo "gpu-ort-kit: left out $removed libtorch natives; the kit unpacks to $(du -sm "$publish" | cut -f1) MiB"

# The Kodak image the other CPU figures use (docs/performance.md), when ../shared has it: the GPU machine has only the
# repository, whose sample image (kodim23) cuda-check uses otherwise.
kodak="${KODAK:-$root/../shared/data/kodak/kodim01.png}"
[ -f "$kodak" ] && cp "$kodak" "$publish/kodim01.png"

# The kit must start without the SDK and without a NuGet cache, and fall back to the CPU where CUDA is missing.
probe_rc=0
NUGET_PACKAGES="$work/none" DOTNET_ROOT="$work/none" "$publish/Compass.Benchmarks" cuda-check 2> "$work/probe.txt" || probe_rc=$?
[ "$probe_rc" = 2 ] || { cat "$work/probe.txt" >&2; echo "gpu-ort-kit: the published Compass.Benchmarks does not start (exit $probe_rc)" >&2; exit 1; }

rm -rf "$kit"
mkdir -p "$kit"
echo "gpu-ort-kit: compressing (xz -$level) and cutting into parts of at most $part_mib MiB ..."
tar -C "$work" -cf - compass-ort | xz -"$level" -T2 > "$work/ort-kit.tar.xz"
split -b "$((part_mib * 1048576))" -d -a 2 --numeric-suffixes=1 "$work/ort-kit.tar.xz" "$kit/ort-kit.tar.xz.part"
parts=$(find "$kit" -name 'ort-kit.tar.xz.part*' | wc -l)
{
  echo "Compass ONNX Runtime GPU kit, made $(date -u +%Y-%m-%dT%H:%M:%SZ) from commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "Compass.Benchmarks: linux-x64, self-contained, not trimmed, invariant globalization; ONNX Runtime $(sed -n 's:.*Include="Microsoft.ML.OnnxRuntime.Gpu" Version="\([^"]*\)".*:\1:p' Directory.Packages.props) CUDA build (CUDA 13, cuDNN 9); no libtorch"
  echo "unpacked: $(du -sb "$publish" | cut -f1) bytes; archive: $(stat -c %s "$work/ort-kit.tar.xz") bytes, xz -$level"
  echo "parts: $parts"
  echo "archive sha256 $(sha256sum "$work/ort-kit.tar.xz" | cut -d' ' -f1)"
  (cd "$kit" && sha256sum ort-kit.tar.xz.part* | sed 's/^/part sha256 /')
} > "$kit/kit.txt"

printf 'gpu-ort-kit: %s\n' "$kit"
for f in "$kit"/ort-kit.tar.xz.part*; do
  printf '  %s  %6.1f MiB\n' "$(basename "$f")" "$(awk -v b="$(stat -c %s "$f")" 'BEGIN { print b / 1048576 }')"
  [ "$(stat -c %s "$f")" -le $((part_mib * 1048576)) ] || { echo "gpu-ort-kit: $f exceeds $part_mib MiB" >&2; exit 1; }
done
echo "gpu-ort-kit: $parts device calls, each carrying gpu-ort-kit/kit.txt and one part; the last runs build/gpu-ort-run.sh (see its header)"
