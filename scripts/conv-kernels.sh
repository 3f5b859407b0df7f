#!/bin/bash
# Training speed of the convolution kernel choices (docs/cpu-support.md, "Cost"): steps per second of the
# bl and liff stages, compact preset, one libtorch thread, for ATen's kernels (the default), libtorch's
# default oneDNN kernels and oneDNN capped at SSE4.1; ROUNDS rounds, the contenders interleaved in each;
# prints each run and the median per stage and choice. A run whose loss becomes NaN prints its error.
# usage: scripts/conv-kernels.sh WORK_DIR [ROUNDS] [STEPS] [compass-train.dll]
set -uo pipefail
work=${1:?usage: conv-kernels.sh WORK_DIR [ROUNDS] [STEPS] [compass-train.dll]}
rounds=${2:-3}
steps=${3:-60}
dll=${4:-$work/bin/compass-train.dll}
repo=$(cd "$(dirname "$0")/.." && pwd)
data=${COMPASS_TRAIN_DATA:-$repo/../shared/data/train}
mkdir -p "$work"
if [ ! -f "$dll" ]; then dotnet publish "$repo/src/Compass.Training.Cli" -c Release -o "$work/bin" > "$work/publish.log"; fi
export OMP_WAIT_POLICY=PASSIVE
results="$work/results.tsv"
: > "$results"
for round in $(seq "$rounds"); do
  for stage in bl liff; do
    for choice in aten onednn onednn-sse41; do
      case $choice in
        aten) env=(COMPASS_CONV_KERNELS=aten) ;;
        onednn) env=(COMPASS_CONV_KERNELS=onednn) ;;
        onednn-sse41) env=(COMPASS_CONV_KERNELS=onednn DNNL_MAX_CPU_ISA=SSE41) ;;
      esac
      out="$work/$stage-$choice-$round"
      rm -rf "$out"
      env "${env[@]}" dotnet "$dll" train --stage "$stage" --preset compact --quality 3 --steps "$steps" --threads 1 \
        --data "$data" --val-every 0 --log-every "$steps" --checkpoint-every 0 --checkpoint-minutes 0 --out "$out" > "$out.log" 2>&1
      rate=$(grep -E "^step $steps/$steps" "$out.log" | grep -oE '[0-9.]+ step/s' | cut -d' ' -f1)
      if [ -z "$rate" ]; then rate=NaN; echo "$stage $choice round $round: $(grep -m1 'error' "$out.log")"; fi
      printf '%s\t%s\t%s\n' "$stage" "$choice" "$rate" | tee -a "$results"
    done
  done
done
echo "median steps/s (stage, choice):"
python3 - "$results" <<'PY'
import sys, statistics, collections
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    stage, choice, rate = line.split()
    if rate != 'NaN': runs[(stage, choice)].append(float(rate))
for (stage, choice), r in sorted(runs.items()):
    print(f"{stage}\t{choice}\t{statistics.median(r):.2f}\t(n={len(r)})")
PY
