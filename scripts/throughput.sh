#!/bin/bash
# Training throughput on this machine: steps per wall-second and CPU-seconds per step of the bl stage for
# 1 thread, 2 threads, and two 1-thread runs at once (compact and slim presets), 400 steps each, nothing else
# running. Writes docs/training/throughput.jsonl (via scripts/throughput.py) from the runs' model cards.
# usage: scripts/throughput.sh WORK_DIR [compass-train.dll]
set -euo pipefail
work=${1:?usage: throughput.sh WORK_DIR [compass-train.dll]}
dll=${2:-$work/bin/compass-train.dll}
repo=$(cd "$(dirname "$0")/.." && pwd)
data=${COMPASS_TRAIN_DATA:-$repo/../shared/data/train}
mkdir -p "$work"
if [ ! -f "$dll" ]; then dotnet publish "$repo/src/Compass.Training.Cli" -c Release -o "$work/bin" > "$work/publish.log"; fi
export OMP_WAIT_POLICY=PASSIVE
run() { # NAME PRESET THREADS
  rm -rf "${work:?}/$1"
  dotnet "$dll" train --stage bl --preset "$2" --quality 3 --steps 400 --batch 8 --crop 128 --threads "$3" \
    --data "$data" --val-every 0 --log-every 100 --checkpoint-every 0 --checkpoint-minutes 0 --out "$work/$1" > "$work/$1.log" 2>&1
}
run c1 compact 1
run c2 compact 2
run p1 compact 1 & run p2 compact 1; wait
run s1 slim 1
run s2 slim 2
for preset in compact compact-sgdn compact-relu; do
  rm -rf "${work:?}/nl-$preset"
  dotnet "$dll" train --stage bl --preset "$preset" --quality 3 --steps 150 --batch 8 --crop 128 --threads 1 \
    --data "$data" --val-every 0 --log-every 50 --checkpoint-every 0 --checkpoint-minutes 0 --out "$work/nl-$preset" > "$work/nl-$preset.log" 2>&1
done
python3 "$repo/scripts/throughput.py" "$work" > "$repo/docs/training/throughput.jsonl"
cat "$repo/docs/training/throughput.jsonl"
