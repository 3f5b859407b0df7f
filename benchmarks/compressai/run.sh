#!/usr/bin/env bash
# Compass against CompressAI at equal width, one thread each, contenders interleaved round by round.
# Usage: benchmarks/compressai/run.sh ROUNDS IMAGE [COMPASS_MODEL...]
#   COMPASS_MODEL: a bundle zip, or "default" for the embedded model (default: $PAPER_BUNDLE); a "+arena" suffix runs
#   it with ONNX Runtime's memory arena on.
# Environment: COMPRESSAI_SRC (a CompressAI source tree with its C++ extensions built in place), PYTHON (a Python with
# PyTorch, numpy and Pillow; default /usr/bin/python3), COMPASS_BENCH (the built Compass.Benchmarks.dll).
# Each round starts one fresh process per contender, which loads its model, runs one warm-up encode and decode, then
# times one encode and one decode (JSON lines on stdout; medians per contender at the end, on stderr).
set -euo pipefail
rounds=${1:?rounds}; image=${2:?image}; shift 2
models=("$@"); [ ${#models[@]} -eq 0 ] && models=("${PAPER_BUNDLE:?set PAPER_BUNDLE or name a model}")
here=$(cd "$(dirname "$0")" && pwd)
py=${PYTHON:-/usr/bin/python3}
bench=${COMPASS_BENCH:-$here/../Compass.Benchmarks/bin/Release/net10.0/Compass.Benchmarks.dll}
export OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE MKL_NUM_THREADS=1
log=$(mktemp)
for ((r = 0; r < rounds; r++)); do
  # Alternate the order every round: the second contender of a pair tends to see a warmer (or busier) machine.
  if ((r % 2 == 0)); then order=(compressai "${models[@]}"); else order=("${models[@]}" compressai); fi
  for c in "${order[@]}"; do
    if [ "$c" = compressai ]; then
      PYTHONPATH="${COMPRESSAI_SRC:?set COMPRESSAI_SRC}" "$py" "$here/compressai_time.py" "$image" 1
    else
      case "$c" in
        *+arena) COMPASS_BENCH_ARENA=1 dotnet "$bench" codec-time "${c%+arena}" "$image" 1 1 ;;
        *) dotnet "$bench" codec-time "$c" "$image" 1 1 ;;
      esac
    fi
  done | tee -a "$log"
done
"$py" - "$log" <<'PY' >&2
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
keys = sorted({(r["tool"], r.get("model", "")) for r in rows})
metrics = ("encode_ms", "decode_ms", "encode_cpu_ms", "decode_cpu_ms")
base = {k: statistics.median(r[k] for r in rows if r["tool"] == "compressai") for k in metrics}
print("medians, ms (ratio to CompressAI); wall, then process CPU time")
for tool, model in keys:
    sel = [r for r in rows if r["tool"] == tool and r.get("model", "") == model]
    m = {k: statistics.median(r[k] for r in sel) for k in metrics}
    print(f"{tool:10} {model:24} {sel[0]['image']:>9} n={len(sel)}  " + "  ".join(
        f"{k[:-3].replace('_', ' ')} {m[k]:8.0f} ({m[k] / base[k]:.2f}x)" for k in metrics) + f"  bytes {sel[0]['bytes']}")
PY
rm -f "$log"
