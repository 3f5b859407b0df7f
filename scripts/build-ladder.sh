#!/bin/bash
# Builds the shipped quality ladder from compact weights: exports one bundle per quality, measures them on
# Kodak with `compass eval`, writes each bundle's card from the stage cards and the results (model_card.py),
# re-exports with the cards and packs the four bundles into the embedded default model.
#
# usage: scripts/build-ladder.sh WORK_DIR
#   Reads models/compact-q{1..4}/model-f16.weights and models/compact-q{1..4}/stages.txt (the stage cards
#   of each model, in training order, one per line). Writes WORK_DIR/{plain,carded}/q*, docs/results/kodak.*,
#   models/compact-q*/model-f16.card.json and src/Compass.Onnx/Models/default.zip.
#   Needs ../shared/data/kodak and the stage cards; about 25 minutes on 2 CPU cores.
set -euo pipefail
work=${1:?usage: scripts/build-ladder.sh WORK_DIR}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export OMP_WAIT_POLICY=PASSIVE
mkdir -p "$work/bin"
dotnet publish src/Compass.Training.Cli -c Release -o "$work/bin/train" > "$work/publish.log"
dotnet publish src/Compass.Cli -c Release -o "$work/bin/cli" >> "$work/publish.log"
train() { dotnet "$work/bin/train/compass-train.dll" "$@"; }
compass() { dotnet "$work/bin/cli/compass.dll" "$@"; }
lambda=(0 0.0018 0.0035 0.0067 0.013)

for q in 1 2 3 4; do
  train export --checkpoint models/compact-q$q/model-f16.weights --no-card -q $q --lambda ${lambda[$q]} \
    --preset compact --out "$work/plain/q$q" --zip
done

compass eval --images ../shared/data/kodak --setup single,two-layer,three-layer \
  --model "$work/plain/q1.zip" --model "$work/plain/q2.zip" --model "$work/plain/q3.zip" --model "$work/plain/q4.zip" \
  --out docs/results/kodak.json.gz --markdown docs/results/kodak.md --plots docs/results --provider cpu --threads 1 \
  --note "Shipped quality ladder (compact preset), measured by scripts/build-ladder.sh"

for q in 1 2 3 4; do
  mapfile -t stages < models/compact-q$q/stages.txt
  python3 scripts/model_card.py --out models/compact-q$q/model-f16.card.json --quality $q --eval docs/results/kodak.json.gz "${stages[@]}"
  train export --checkpoint models/compact-q$q/model-f16.weights --card models/compact-q$q/model-f16.card.json -q $q \
    --lambda ${lambda[$q]} --preset compact --out "$work/carded/q$q"
done
train pack "$work/carded/q1" "$work/carded/q2" "$work/carded/q3" "$work/carded/q4" --out src/Compass.Onnx/Models/default.zip
