#!/usr/bin/env bash
# What a GPU slot runs (docs/training.md, "GPU slot"): on a machine with PyTorch (torch/lib: libtorch with CUDA,
# cuDNN and the CUDA libraries as PyTorch's wheels), no .NET and no network, it trains Compass with the kit that
# build/gpu-kit.sh made, and leaves its results in $OUT.
#
#   OUT=/path/to/results build/gpu-train.sh MINUTES STAGE [compass-train train options...]
#   e.g.  build/gpu-train.sh 9 bl -q 3
#         build/gpu-train.sh 9 bl --variable-rate 1-8 -q 3 --init base=models/runs/v4-compact-vr/model-f16.weights
#
# MINUTES is the whole time of this script, start-up included; it stops itself in time and always leaves
# what it has. Steps:
#   1. probe (seconds): find torch's lib folder and the CUDA/cuDNN libraries of the nvidia-* wheels with
#      python3, set LD_LIBRARY_PATH, run `compass-train probe-device` (does TorchSharp run on this libtorch, is
#      CUDA there, does a convolution's forward/backward on CUDA match the CPU) -> $OUT/probe.txt;
#   2. train: compass-train on the device (default cuda; --device in the options overrides), with a batch and
#      crop for an 80 GB GPU (--batch 64 --crop 256 unless given), a checkpoint and compact weights every minute,
#      and the newest model-f16.weights + card copied into $OUT every minute and at the end -> $OUT/train.log;
#   3. fallback: when the probe fails (TorchSharp cannot run on this libtorch, or it sees no CUDA while a CUDA
#      run was asked for), or compass-train fails with a minute or more left, tools/train_compass.py trains stage
#      bl with PyTorch for the remaining time instead (from `--init base=FILE` when given), writing
#      model-f16.weights, its card and model.pth into $OUT.
# $OUT receives at most 7 files: probe.txt, train.log, model-f16.weights, model-f16.card.json, status.txt, and from
# the fallback model.pth (and train-compass.log when compass-train started but failed).
#
# Variables: OUT (required), KIT (default gpu-kit), PYTHON (default python3), TORCH_LIB (a libtorch folder to
# use instead of the one python finds: e.g. the libtorch-cpu package's natives to run the kit on a CPU machine),
# RUN_DIR (checkpoint folder; default a fresh folder under /tmp).
set -uo pipefail
if [ $# -lt 2 ]; then
  sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
minutes=$1
stage=$2
shift 2
started=$(date +%s)
deadline=$((started + $(awk -v m="$minutes" 'BEGIN { printf "%d", m * 60 }')))
cd "$(dirname "$0")/.."
root=$(pwd)
: "${OUT:?set OUT to the folder whose files come back}"
mkdir -p "$OUT"
kit="${KIT:-$root/gpu-kit}"
python="${PYTHON:-python3}"
status="$OUT/status.txt"
note() { echo "gpu-train: $*" | tee -a "$status" >&2; }
left() { echo $((deadline - $(date +%s))); }
trap 'echo "gpu-train: ended after $(($(date +%s) - started)) s of ${minutes} min" >> "$status"' EXIT

[ -f "$kit/compass-train-linux-x64.tar.xz" ] && [ -d "$kit/data" ] || { note "no kit at $kit: run build/gpu-kit.sh and carry its folder"; exit 2; }

# The options the run gets: the caller's, plus defaults for the device, batch and crop when not given.
device=cuda
has_batch=0 has_crop=0
quality="" lambda="" preset="" batch="" crop="" lr="" init=""
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  next="${args[i + 1]:-}"
  case "${args[i]}" in
    --device) device="$next" ;;
    --batch) has_batch=1; batch="$next" ;;
    --crop) has_crop=1; crop="$next" ;;
    -q|--quality) quality="$next" ;;
    --lambda) lambda="$next" ;;
    --preset) preset="$next" ;;
    --lr) lr="$next" ;;
    --init) case "$next" in base=* | *=*) [ "${next%%=*}" = base ] && init="$next" ;; *) init="$next" ;; esac ;;
  esac
done
[ "$has_batch" = 1 ] || { batch=64; args+=(--batch 64); }
[ "$has_crop" = 1 ] || { crop=256; args+=(--crop 256); }
given() { printf '%s\n' "${args[@]}" | grep -qx -- "$1"; }
given --device || args+=(--device "$device")

# 1. Probe. torch's own lib folder holds libtorch (with CUDA); the CUDA and cuDNN libraries come in nvidia-*
#    wheels, whose lib folders go on the path too (libtorch_cuda.so finds most through its RPATH already).
bin=$(mktemp -d /tmp/compass-gpu-kit.XXXXXX)
# Python's tarfile unpacks where tar has no xz.
tar -xJf "$kit/compass-train-linux-x64.tar.xz" -C "$bin" 2>/dev/null \
  || "$python" -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$kit/compass-train-linux-x64.tar.xz" "$bin"
if [ -z "${TORCH_LIB:-}" ]; then
  TORCH_LIB=$(timeout 60 "$python" -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))' 2>>"$status")
fi
nvidia_libs=$(timeout 30 "$python" - <<'EOF' 2>/dev/null
import glob, os, site
roots = site.getsitepackages() + [site.getusersitepackages()]
print(":".join(sorted({d for r in roots for d in glob.glob(os.path.join(r, "nvidia", "*", "lib")) + glob.glob(os.path.join(r, "nvidia", "*", "*", "lib"))})))
EOF
)
export LD_LIBRARY_PATH="${TORCH_LIB:-}${nvidia_libs:+:$nvidia_libs}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# No ICU on such a machine is needed (the kit is built invariant); libgomp must not spin on shared cores; TorchSharp
# must not look for a NuGet package cache.
export DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 OMP_WAIT_POLICY=PASSIVE NUGET_PACKAGES=/nonexistent DOTNET_CLI_TELEMETRY_OPTOUT=1

(
  echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(uname -srm); kit: $(head -1 "$kit/kit.txt" 2>/dev/null)"
  command -v nvidia-smi > /dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
  timeout 60 "$python" -c 'import torch; print("python torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available(), "cudnn", torch.backends.cudnn.version())' 2>&1
  echo "TORCH_LIB=${TORCH_LIB:-}"
  probe_started=$(date +%s.%N)
  timeout 120 "$bin/compass-train" probe-device 2>&1
  rc=$?
  echo "probe-device exit $rc after $(awk -v s="$probe_started" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }') s"
  exit $rc
) > "$OUT/probe.txt" 2>&1
probe_rc=$?
note "probe-device exit $probe_rc: $(grep -E '^(probe-device:|libtorch: FAILED|cuda: FAILED|.*undefined symbol)' "$OUT/probe.txt" | tail -1 | cut -c1-300)"

use_torchsharp=0
if [ "$probe_rc" = 0 ]; then
  use_torchsharp=1
elif [ "$probe_rc" = 3 ] && [ "$device" = cpu ]; then
  use_torchsharp=1 # no CUDA, and none asked for: a CPU run of the kit (how it is tested off a GPU machine)
fi

copy_weights() { # the newest compact weights and card of $1 into $OUT, each replaced atomically
  local run=$1
  [ -f "$run/model-f16.weights" ] || return 0
  cp "$run/model-f16.card.json" "$OUT/.card.tmp" 2>/dev/null && cp "$run/model-f16.weights" "$OUT/.weights.tmp" \
    && mv "$OUT/.weights.tmp" "$OUT/model-f16.weights" && mv "$OUT/.card.tmp" "$OUT/model-f16.card.json"
}

# The last 30 s are kept for the final checkpoint and copies.
reserve=30
if [ "$use_torchsharp" = 1 ]; then
  # 2. compass-train on the device.
  run="${RUN_DIR:-$(mktemp -d /tmp/compass-gpu-run.XXXXXX)}"
  budget=$(( $(left) - reserve ))
  [ "$budget" -gt 20 ] || { note "only $(left) s left after the probe: nothing trained"; exit 1; }
  note "training stage $stage with compass-train for $budget s: ${args[*]}"
  # --budget-minutes ends the run in time (the learning-rate schedule follows it); timeout is the guard behind it:
  # SIGTERM makes compass-train finish its step and write a checkpoint and its weights.
  run_args=(--stage "$stage" --data "$kit/data" --out "$run" --budget-minutes "$(awk -v s="$budget" 'BEGIN { printf "%.3f", s / 60 }')")
  # Defaults for what the caller did not give (an option given twice is an error).
  for default in "--checkpoint-minutes 1" "--checkpoint-every 0" "--keep 2" "--threads $(nproc)" "--log-every 100" "--weights-every-checkpoint"; do
    read -ra extra <<< "$default"
    given "${extra[0]}" || run_args+=("${extra[@]}")
  done
  timeout --signal=TERM --kill-after=20 $((budget + 15)) "$bin/compass-train" train "${run_args[@]}" "${args[@]}" > "$OUT/train.log" 2>&1 &
  trainer=$!
  copied=$(date +%s)
  while kill -0 "$trainer" 2>/dev/null; do # the newest weights into $OUT every minute, while it trains
    sleep 2
    if [ $(($(date +%s) - copied)) -ge 60 ]; then copy_weights "$run"; copied=$(date +%s); fi
  done
  wait "$trainer"
  rc=$?
  copy_weights "$run"
  note "compass-train exit $rc; $(grep -E '^step [0-9]+' "$OUT/train.log" | tail -1)"
  [ -f "$OUT/model-f16.weights" ] && note "weights: $OUT/model-f16.weights ($(stat -c %s "$OUT/model-f16.weights") bytes)"
  # 0: done; 124/130/137: stopped by the guard, weights written. Anything else is a failure: with a minute or more
  # left, the PyTorch fallback uses it (its weights then replace these), else this is the end.
  case "$rc" in 0 | 124 | 130 | 137) exit "$rc" ;; esac
  [ "$(left)" -gt $((reserve + 60)) ] || exit "$rc"
  mv "$OUT/train.log" "$OUT/train-compass.log"
  note "compass-train failed (exit $rc, log in train-compass.log): falling back"
fi

# 3. Fallback: PyTorch alone (stage bl only).
if [ "$stage" != bl ]; then
  note "compass-train cannot run here (probe exit $probe_rc, see probe.txt) and the PyTorch fallback trains stage bl only"
  exit 1
fi
budget=$(( $(left) - reserve ))
[ "$budget" -gt 20 ] || { note "only $(left) s left after the probe: nothing trained"; exit 1; }
py_args=(--data "$kit/data" --out "$OUT" --minutes "$(awk -v s="$budget" 'BEGIN { printf "%.3f", s / 60 }')" --checkpoint-minutes 1
  --batch "$batch" --crop "$crop" --log-every 100 --threads "$(nproc)")
[ -n "$quality" ] && py_args+=(--quality "$quality")
[ -n "$lambda" ] && py_args+=(--lambda "$lambda")
[ -n "$preset" ] && py_args+=(--preset "$preset")
[ -n "$lr" ] && py_args+=(--lr "$lr")
[ -n "$init" ] && py_args+=(--init "$init")
if [ "$device" = cpu ]; then py_args+=(--device cpu); else py_args+=(--device auto); fi
note "falling back to tools/train_compass.py for $budget s: ${py_args[*]}"
PYTHONUNBUFFERED=1 timeout --signal=TERM --kill-after=20 $((budget + 15)) "$python" tools/train_compass.py "${py_args[@]}" > "$OUT/train.log" 2>&1
rc=$?
note "train_compass.py exit $rc; $(grep -E '^(step |done:)' "$OUT/train.log" | tail -2 | tr '\n' ' ')"
exit $rc
