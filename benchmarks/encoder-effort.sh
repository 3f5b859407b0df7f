#!/usr/bin/env bash
# Encoder effort (docs/encoder-effort.md): what refining the base codec's latents by gradient steps buys on Kodak,
# single-layer, for the embedded default model, against the unrefined model's own curve (dB at equal rate).
# Builds compass-train (Release) and runs `compass-train refine`; prints one line per image and point, then the means.
#
#   benchmarks/encoder-effort.sh                                 kodim01, 05, 13, 19 at q3; sga then ste; 10, 50, 200 steps
#   IMAGES="kodim01 kodim05" METHODS=ste STEPS=10,50 benchmarks/encoder-effort.sh
#   QUALITY=2,5 LR=1e-2 THREADS=1 OUT=effort.json benchmarks/encoder-effort.sh
#   ANNEAL=shared benchmarks/encoder-effort.sh                   one SGA run of 200 steps evaluated at 10 and 50 on the way
#                                                                (the default, per-count, runs 10, 50 and 200 steps apart)
#   CROP=256 benchmarks/encoder-effort.sh                        centred 256x256 crops (a quick look)
#
# Convolutions run on oneDNN at its SSE4.1 level (COMPASS_CONV_KERNELS=onednn DNNL_MAX_CPU_ISA=SSE41), which
# docs/cpu-support.md lists as correct and which gives the same numbers as ATen's kernels here 1.8x faster; set
# KERNELS=aten for ATen's. Seconds per step are wall time: compare them only within one run on one machine.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
kodak=${KODAK:-$root/../shared/data/kodak}
images=${IMAGES:-kodim01 kodim05 kodim13 kodim19}
methods=${METHODS:-sga,ste}
steps=${STEPS:-10,50,200}
quality=${QUALITY:-3}
lr=${LR:-5e-3}
threads=${THREADS:-1}
model=${MODEL:-$root/src/Compass.Onnx/Models/default.zip}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 OMP_WAIT_POLICY=PASSIVE
if [ "${KERNELS:-onednn}" = onednn ]; then export COMPASS_CONV_KERNELS=onednn DNNL_MAX_CPU_ISA=SSE41; else export COMPASS_CONV_KERNELS=aten; fi

[ -d "$kodak" ] || { echo "encoder-effort: no Kodak folder at $kodak (set KODAK=...)" >&2; exit 1; }
dotnet build "$root/src/Compass.Training.Cli/Compass.Training.Cli.csproj" -c Release -v q -nologo >&2
tool="$root/src/Compass.Training.Cli/bin/Release/net10.0/compass-train.dll"
files=()
for i in $images; do files+=("$kodak/$i.png"); done
args=(refine --model "$model" --images "${files[@]}" --quality "$quality" --steps "$steps" --method "$methods" --lr "$lr" --threads "$threads")
[ -n "${ANNEAL:-}" ] && args+=(--anneal "$ANNEAL")
[ -n "${CROP:-}" ] && args+=(--crop "$CROP")
[ -n "${OUT:-}" ] && args+=(--json "$OUT")
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores" >&2
dotnet "$tool" "${args[@]}"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
