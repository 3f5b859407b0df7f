#!/usr/bin/env bash
# What a GPU machine runs with the kit of build/gpu-ort-kit.sh (docs/performance.md, "3840x2160 and CUDA"): on a
# machine with Python and PyTorch's CUDA wheels (the CUDA 13 and cuDNN 9 libraries under site-packages/nvidia/*/lib),
# no .NET and no network, it joins the kit's parts, runs Compass on ONNX Runtime's CUDA provider against the CPU
# provider, and leaves everything in $OUT.
#
#   build/gpu-ort-run.sh --check                 which parts are here (the calls that only carry parts run this)
#   OUT=/path/to/results build/gpu-ort-run.sh [MINUTES] [bench|nobench]
#
# Device calls and their order: see build/gpu-ort-kit.sh (one call per part, back to back; the last one runs this with
# OUT set). MINUTES (default 8) is the whole time of this script; it stops itself in time and always leaves what it has.
# Steps:
#   1. join: checks every part against kit.txt's sha256 (names the missing ones and exits 3 when the kit is
#      incomplete), joins and unpacks them into a fresh folder under /tmp;
#   2. libraries: finds the nvidia-* wheels' lib folders (and torch/lib) with python and puts them on LD_LIBRARY_PATH
#      -> $OUT/env.txt (GPU, driver, the libraries ONNX Runtime's CUDA provider needs, and where each was found);
#   3. cuda-check: model load, Kodak (and one 3840x2160) encode and decode on CUDA and on the CPU, interleaved, medians;
#      the decode-anywhere streams: kodak-encoded-{cuda,cpu}.cmps, each decoded on CUDA and on the CPU here, the CUDA
#      decodes as PNGs -> $OUT/cuda-check.json, $OUT/*.cmps, $OUT/*.png, $OUT/cuda-check.log. Without CUDA it says
#      so ("CUDA unavailable: ...") and the CPU stands in for the device, so the kit itself is still checked;
#   4. suites (unless "nobench"): the BenchmarkDotNet CPU-vs-CUDA suites OnnxGraphBenchmarks and
#      KodakEndToEndBenchmarks (in process) for the time left -> $OUT/bench.log and $OUT/results/*.md, *.csv.
# Then, on a machine with the repository and .NET: `Compass.Benchmarks cuda-check verify <OUT>` decodes the streams
# there and compares each layer with the PNG decoded on CUDA.
#
# Variables: OUT (required unless --check), KIT (default gpu-ort-kit), PYTHON (default python3), UHD_REPEATS (default 1;
# 0 skips the 3840x2160 timing), KODAK_REPEATS (default 5), SUITES (BenchmarkDotNet filters; default
# "*OnnxGraphBenchmarks* *KodakEndToEndBenchmarks*").
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
kit="${KIT:-$root/gpu-ort-kit}"
python="${PYTHON:-python3}"

# 1. The parts against kit.txt.
missing=()
expected=()
if [ -f "$kit/kit.txt" ]; then
  while read -r _ _ sum name; do
    expected+=("$name")
    if [ ! -f "$kit/$name" ]; then
      missing+=("$name")
    elif [ "$(sha256sum "$kit/$name" | cut -d' ' -f1)" != "$sum" ]; then
      missing+=("$name (damaged: sha256 differs)")
    fi
  done < <(grep '^part sha256 ' "$kit/kit.txt")
fi
if [ "${1:-}" = --check ]; then
  [ -f "$kit/kit.txt" ] || { echo "gpu-ort-run: no $kit/kit.txt here yet: carry it with each part"; exit 3; }
  echo "gpu-ort-run: $((${#expected[@]} - ${#missing[@]})) of ${#expected[@]} parts here$([ ${#missing[@]} -gt 0 ] && printf '; missing: %s' "${missing[*]}")"
  [ ${#missing[@]} = 0 ] && exit 0 || exit 3
fi

minutes=${1:-8}
mode=${2:-bench}
started=$(date +%s)
deadline=$((started + $(awk -v m="$minutes" 'BEGIN { printf "%d", m * 60 }')))
left() { echo $((deadline - $(date +%s))); }
: "${OUT:?set OUT to the folder whose files come back}"
mkdir -p "$OUT"
status="$OUT/status.txt"
note() { echo "gpu-ort-run: $*" | tee -a "$status" >&2; }
bin=""
trap 'echo "gpu-ort-run: ended after $(($(date +%s) - started)) s of ${minutes} min" >> "$status"; [ -n "$bin" ] && rm -rf "$bin"' EXIT

[ -f "$kit/kit.txt" ] || { note "no kit at $kit: run build/gpu-ort-kit.sh and carry gpu-ort-kit/kit.txt with each part"; exit 3; }
[ ${#expected[@]} -gt 0 ] || { note "$kit/kit.txt lists no parts"; exit 3; }
if [ ${#missing[@]} -gt 0 ]; then
  note "the kit is incomplete: missing ${missing[*]} (each device call carries one part; a machine that went cold lost the earlier ones)"
  exit 3
fi

bin=$(mktemp -d /tmp/compass-ort-kit.XXXXXX)
unpack_started=$(date +%s)
# tar with xz where there is one, else Python's tarfile (lzma is in the standard library).
if command -v xz > /dev/null; then
  (cd "$kit" && cat "${expected[@]}") | tar -xJf - -C "$bin"
else
  (cd "$kit" && cat "${expected[@]}") | "$python" -c 'import sys, tarfile; tarfile.open(fileobj=sys.stdin.buffer, mode="r|xz").extractall(sys.argv[1])' "$bin"
fi
app="$bin/compass-ort/Compass.Benchmarks"
[ -x "$app" ] || { note "unpacking failed: no $app"; exit 1; }
note "kit unpacked in $(($(date +%s) - unpack_started)) s to $bin ($(du -sm "$bin" | cut -f1) MiB): $(head -1 "$kit/kit.txt")"

# 2. The CUDA and cuDNN libraries of PyTorch's wheels (nvidia/*/lib, nvidia/cu13/lib), and torch/lib.
nvidia_libs=$(timeout 60 "$python" - <<'EOF' 2>/dev/null
import glob, os, site
roots = site.getsitepackages() + [site.getusersitepackages()]
dirs = {d for r in roots for d in glob.glob(os.path.join(r, "nvidia", "*", "lib")) + glob.glob(os.path.join(r, "nvidia", "*", "*", "lib"))}
dirs |= {os.path.join(r, "torch", "lib") for r in roots if os.path.isdir(os.path.join(r, "torch", "lib"))}
print(":".join(sorted(dirs)))
EOF
)
export LD_LIBRARY_PATH="${nvidia_libs}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 OMP_WAIT_POLICY=PASSIVE
(
  echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(uname -srm), $(nproc) CPUs; kit: $(head -1 "$kit/kit.txt")"
  command -v nvidia-smi > /dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || echo "no nvidia-smi"
  timeout 60 "$python" -c 'import torch; print("python torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available(), "cudnn", torch.backends.cudnn.version())' 2>&1
  echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
  # The CUDA libraries the CUDA provider links against (readelf, else ONNX Runtime 1.31's list) and the ones it opens
  # at run time (cuDNN 9, cuFFT), and where the loader finds each.
  needed="libcublasLt.so.13 libcublas.so.13 libcurand.so.10 libcudart.so.13 libcuda.so.1"
  command -v readelf > /dev/null && needed=$(readelf -d "$bin/compass-ort/libonnxruntime_providers_cuda.so" | sed -n 's/.*NEEDED.*\[\(libcu[^]]*\)\]/\1/p')
  needed="$needed libcudnn.so.9 libcufft.so.12"
  for lib in $needed; do
    found=""
    IFS=: read -ra dirs <<< "$LD_LIBRARY_PATH"
    for d in "${dirs[@]}"; do [ -n "$d" ] && [ -e "$d/$lib" ] && { found="$d/$lib"; break; }; done
    [ -z "$found" ] && found=$(ldconfig -p 2>/dev/null | awk -v l="$lib" '$1 == l { print $NF; exit }')
    echo "needs $lib: ${found:-NOT FOUND}"
  done
) > "$OUT/env.txt" 2>&1
note "libraries: $(grep -c 'NOT FOUND' "$OUT/env.txt") of the CUDA provider's libraries not found (env.txt)"

# 3. cuda-check (the CPU Kodak run and the 3840x2160 one take a minute or two on 16 cores).
# The benchmarks look for shared/data/kodak/kodim01.png, else samples/ProgressiveDecoding/kodim23.png, in the folders
# above their own: the image goes where they find it.
if [ -f "$bin/compass-ort/kodim01.png" ]; then
  image="$bin/shared/data/kodak/kodim01.png"
  mkdir -p "$(dirname "$image")" && cp "$bin/compass-ort/kodim01.png" "$image"
else
  image="$bin/samples/ProgressiveDecoding/kodim23.png"
  mkdir -p "$(dirname "$image")" && cp "$root/samples/ProgressiveDecoding/kodim23.png" "$image"
fi
budget=$(( $(left) - 20 ))
[ "$budget" -gt 30 ] || { note "only $(left) s left: nothing run"; exit 1; }
timeout --kill-after=10 "$budget" "$app" cuda-check run "$OUT" "${KODAK_REPEATS:-5}" "${UHD_REPEATS:-1}" "$image" > "$OUT/cuda-check.log" 2>&1
rc=$?
note "cuda-check exit $rc: $(grep -E '^cuda-check: (CUDA|PASS|FAIL)' "$OUT/cuda-check.log" | tr '\n' ' ' | cut -c1-600)"
grep -q 'CUDA unavailable' "$OUT/cuda-check.log" && note "CUDA was not available: the CPU provider stood in for the device (see cuda-check.log and env.txt)"

# 4. The BenchmarkDotNet suites for the time left (each case reports NA where CUDA is missing).
if [ "$mode" = bench ]; then
  budget=$(( $(left) - 15 ))
  read -ra suites <<< "${SUITES:-*OnnxGraphBenchmarks* *KodakEndToEndBenchmarks*}"
  if [ "$budget" -gt 60 ]; then
    note "BenchmarkDotNet suites for $budget s"
    (cd "$bin" && timeout --kill-after=10 "$budget" "$app" ort-suites --filter "${suites[@]}" \
      --artifacts "$bin/artifacts" > "$OUT/bench.log" 2>&1)
    note "suites exit $? ($(grep -c '^| ' "$OUT/bench.log") table rows in bench.log)"
    mkdir -p "$OUT/results"
    cp "$bin"/artifacts/results/*.md "$bin"/artifacts/results/*.csv "$OUT/results/" 2>/dev/null
  else
    note "no time left for the BenchmarkDotNet suites"
  fi
fi
exit "$rc"
