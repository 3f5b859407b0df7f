#!/usr/bin/env bash
# Builds gpu-kit/ (ignored by git): what a GPU machine needs to train Compass with build/gpu-train.sh, small
# enough to travel beside the repository's tracked files in one device call (docs/training.md, "GPU slot").
#
#   build/gpu-kit.sh                      kit in gpu-kit/, crops of ../shared/data/train
#   DATA=/photos KIT_MIB=30 build/gpu-kit.sh
#
# The kit holds:
#   compass-train-linux-x64.tar.xz   a self-contained, trimmed linux-x64 compass-train WITHOUT libtorch: TorchSharp's
#                                    own glue library (libLibTorchSharp.so) is kept, the libtorch-cpu natives are
#                                    left out; on the GPU machine it runs on the libtorch of the installed PyTorch
#                                    (LD_LIBRARY_PATH, set by gpu-train.sh). Training, probe-device and crop-pack
#                                    work; export and bench-recipe (ONNX Runtime, plots) are not in it.
#   data/                            random square JPEG crops of the training photos (compass-train crop-pack), as
#                                    many as fit in the size budget; `train --data` and tools/train_compass.py read it.
#   kit.txt                          versions, sizes and how it was made.
#
# Variables: DATA (training photos; default ../shared/data/train), KIT (output folder; default gpu-kit),
# KIT_MIB (size budget of the whole kit, default 36), CROP (crop side, default 320: training crops of 256 then
# still take random positions), JPEG_QUALITY (default 95), SEED (default 1).
# Needs the .NET 10 SDK and the NuGet packages of the solution (restored from the registry on first use).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
kit="${KIT:-$root/gpu-kit}"
data="${DATA:-$root/../shared/data/train}"
kit_mib="${KIT_MIB:-36}"
crop="${CROP:-320}"
quality="${JPEG_QUALITY:-95}"
seed="${SEED:-1}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 OMP_WAIT_POLICY=PASSIVE

[ -d "$data" ] || { echo "gpu-kit: no training photos at $data (set DATA)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
publish="$work/publish"

echo "gpu-kit: publishing compass-train (self-contained, trimmed, linux-x64) ..."
# Trimming (partial: only assemblies marked trimmable, i.e. the .NET libraries) takes the runtime from ~70 to
# ~25 MB. The model card is JSON through reflection, so reflection-based serialisation stays on; no culture
# data is needed (InvariantGlobalization), which also spares the GPU machine an ICU library.
dotnet publish src/Compass.Training.Cli/Compass.Training.Cli.csproj -c Release -r linux-x64 --self-contained true \
  -p:PublishTrimmed=true -p:TrimMode=partial -p:SuppressTrimAnalysisWarnings=true \
  -p:JsonSerializerIsReflectionEnabledByDefault=true -p:InvariantGlobalization=true \
  -p:DebugType=none -o "$publish" -nologo -v quiet

# The crops are cut now, while the publish folder still holds libtorch (crop-pack itself needs none of it, but
# compass-train loads libtorch at start-up).
rm -rf "$kit"
mkdir -p "$kit"

# The libtorch natives to leave out are exactly the files of the libtorch-cpu package.
packages="${NUGET_PACKAGES:-$(dotnet nuget locals global-packages --list | sed 's/^[^:]*: *//')}"
libtorch_version=$(sed -n 's:.*Include="libtorch-cpu-linux-x64" Version="\([^"]*\)".*:\1:p' Directory.Packages.props)
natives="${packages%/}/libtorch-cpu-linux-x64/$libtorch_version/runtimes/linux-x64/native"
[ -d "$natives" ] || { echo "gpu-kit: libtorch-cpu natives not found at $natives" >&2; exit 1; }

# Left out as well: ONNX Runtime and SkiaSharp (export, bench-recipe and plots, which stay on the CPU machine),
# the assembly that embeds the default model, the debugger and tracing libraries and the alternative GCs.
removed=0
for f in "$natives"/* ; do
  [ -e "$publish/$(basename "$f")" ] && { rm -f "$publish/$(basename "$f")"; removed=$((removed + 1)); }
done
rm -f "$publish"/Compass.Onnx.dll "$publish"/libonnxruntime*.so "$publish"/libSkiaSharp.so "$publish"/libHarfBuzzSharp.so \
  "$publish"/libmscordaccore.so "$publish"/libmscordbi.so "$publish"/createdump "$publish"/libclrgc*.so \
  "$publish"/libcoreclrtraceptprovider.so
[ -f "$publish/libLibTorchSharp.so" ] || { echo "gpu-kit: libLibTorchSharp.so is missing from the publish output" >&2; exit 1; }
if ls "$publish" | grep -Eq '^(libtorch_cpu|libc10|libtorch)\.so$'; then
  echo "gpu-kit: libtorch natives are still in the publish output" >&2; exit 1
fi
echo "gpu-kit: left out $removed libtorch-cpu natives; the runtime and compass-train take $(du -sm "$publish" | cut -f1) MiB unpacked"

# Check the kit's compass-train on an outside libtorch (here the package's own, as torch/lib will be there).
# NUGET_PACKAGES points nowhere so that TorchSharp cannot fall back to copying natives out of the package cache.
probe_rc=0
NUGET_PACKAGES="$work/none" LD_LIBRARY_PATH="$natives" "$publish/compass-train" probe-device > "$work/probe.txt" 2>&1 || probe_rc=$?
if [ "$probe_rc" != 0 ] && [ "$probe_rc" != 3 ]; then
  cat "$work/probe.txt" >&2; echo "gpu-kit: the kit's compass-train does not run on an outside libtorch" >&2; exit 1
fi
rm -rf "$publish/cpu"

tar -C "$publish" -cf - . | xz -6 -T2 > "$kit/compass-train-linux-x64.tar.xz"
tar_bytes=$(stat -c %s "$kit/compass-train-linux-x64.tar.xz")

# Whatever the budget leaves (less 64 KiB for kit.txt and file-system slack) goes to crops.
budget_bytes=$((kit_mib * 1048576 - tar_bytes - 65536))
[ "$budget_bytes" -gt 1048576 ] || { echo "gpu-kit: the ${kit_mib} MiB budget leaves no room for training data" >&2; exit 1; }
budget_mib=$(awk -v b="$budget_bytes" 'BEGIN { printf "%.3f", b / 1048576 }')
echo "gpu-kit: cutting ${crop}px crops (JPEG q${quality}) of $data into $budget_mib MiB ..."
NUGET_PACKAGES="$work/none" LD_LIBRARY_PATH="$natives" "$publish/compass-train" crop-pack --data "$data" --out "$kit/data" \
  --crop "$crop" --jpeg-quality "$quality" --max-mib "$budget_mib" --seed "$seed"

crops=$(find "$kit/data" -name '*.jpg' | wc -l)
data_bytes=$(find "$kit/data" -name '*.jpg' -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
{
  echo "Compass GPU kit, made $(date -u +%Y-%m-%dT%H:%M:%SZ) from commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "compass-train: linux-x64, self-contained, trimmed; TorchSharp $(sed -n 's:.*Include="TorchSharp" Version="\([^"]*\)".*:\1:p' Directory.Packages.props) (built for libtorch $libtorch_version), no libtorch natives"
  echo "compass-train-linux-x64.tar.xz: $tar_bytes bytes"
  echo "data: $crops crops of ${crop}x${crop} px, JPEG q$quality 4:4:4, seed $seed, $data_bytes bytes, from $(basename "$data")"
  echo "probe-device on this machine (outside libtorch $libtorch_version, CPU): exit $probe_rc"
} > "$kit/kit.txt"

total=$(du -sb "$kit" | cut -f1)
printf 'gpu-kit: %s\n' "$kit"
printf '  compass-train-linux-x64.tar.xz  %6.1f MiB\n' "$(awk -v b="$tar_bytes" 'BEGIN { print b / 1048576 }')"
printf '  data/ (%d crops)              %6.1f MiB\n' "$crops" "$(awk -v b="$data_bytes" 'BEGIN { print b / 1048576 }')"
printf '  total                          %6.1f MiB (budget %d MiB)\n' "$(awk -v b="$total" 'BEGIN { print b / 1048576 }')" "$kit_mib"
[ "$total" -le $((kit_mib * 1048576)) ] || { echo "gpu-kit: the kit exceeds its budget" >&2; exit 1; }
