#!/usr/bin/env bash
# Camera-size photos: Compass (the `compass` tool, default plan and quality) against JPEG XL (cjxl/djxl) and JPEG 2000
# (opj_compress/opj_decompress) on one 6000x4000 photo, 2 threads each, the codecs interleaved round by round so that
# they see the same load; then the per-pixel cost of Compass at 768x512, 1920x1280 and 6000x4000 (single layer and
# the default plan). Prints one TSV row per run and the medians; docs/performance.md ("Large images") is made from it.
#
#   benchmarks/large-photo.sh [ROUNDS (default 3)] [WORK_DIR (default /tmp/compass-large)]
#
# Needs: the .NET SDK, GNU time (/usr/bin/time), and for the contenders `apt-get install libjxl-tools libopenjp2-tools`
# (missing contenders are skipped). The test photos are generated into WORK_DIR from ../shared/data/train (a mosaic of
# 16 training photos, `Compass.Benchmarks large-photo`); they are never written into the repository.
# Environment: JXL_DISTANCE (default 4; pick the distance whose bpp is nearest Compass's, the table prints both),
# SIZES_ROUNDS (rounds of the per-pixel part at the smaller sizes, default ROUNDS; 0 skips it), LARGE_SIZE (the photo,
# default 6000x4000), SIZES (the smaller per-pixel sizes, default "768x512 1920x1280"), COMPASS (the tool to time, e.g.
# a published ReadyToRun `compass`; default this checkout's Release build), NO_BUILD=1 (the builds are done).
# The largest size's default-plan row of the per-pixel part is the 24 MP encode and decode itself (compass-encode,
# compass-decode): it is not run twice. Its single-layer rows run in the first ROUNDS rounds only (they cost as much).
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=${1:-3}
work=${2:-/tmp/compass-large}
sizes_rounds=${SIZES_ROUNDS:-$rounds}
large_size=${LARGE_SIZE:-6000x4000}
read -r -a sizes <<< "${SIZES:-768x512 1920x1280}"
sizes+=("$large_size")
jxl_distance=${JXL_DISTANCE:-4}
threads=2
mkdir -p "$work"

if [ "${NO_BUILD:-0}" != 1 ]; then
  [ -n "${COMPASS:-}" ] || dotnet build -c Release src/Compass.Cli/Compass.Cli.csproj -v q -nologo >/dev/null
  dotnet build -c Release benchmarks/Compass.Benchmarks/Compass.Benchmarks.csproj -v q -nologo >/dev/null
fi
if [ -n "${COMPASS:-}" ]; then read -r -a cli <<< "$COMPASS"; else cli=(dotnet src/Compass.Cli/bin/Release/net10.0/compass.dll); fi
bench=(dotnet benchmarks/Compass.Benchmarks/bin/Release/net10.0/Compass.Benchmarks.dll)

photo=$work/photo-$large_size.png
for size in "${sizes[@]}"; do
  [ -f "$work/photo-$size.png" ] || "${bench[@]}" large-photo "$work/photo-$size.png" "$size"
done
pixels=$(( ${large_size%x*} * ${large_size#*x} ))

results=$work/results.tsv
printf 'round\tcase\twall_s\tuser_s\tsys_s\tpeak_rss_kb\tbytes\tpixels\n' > "$results"

# run ROUND CASE OUTPUT_FILE PIXELS COMMAND...: one timed run, one TSV row (bytes = size of OUTPUT_FILE, or 0).
run() {
  local round=$1 name=$2 out=$3 px=$4
  shift 4
  local t
  t=$(mktemp)
  /usr/bin/time -f '%e %U %S %M' -o "$t" "$@" >/dev/null 2>"$work/$name.log" || { echo "$name failed: see $work/$name.log" >&2; cat "$work/$name.log" >&2; exit 1; }
  local bytes=0
  [ -n "$out" ] && [ -f "$out" ] && bytes=$(stat -c %s "$out")
  read -r wall user sys rss < <(tail -1 "$t")
  rm -f "$t"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$name" "$wall" "$user" "$sys" "$rss" "$bytes" "$px" | tee -a "$results"
}

have() { command -v "$1" >/dev/null 2>&1; }

for r in $(seq 1 "$rounds"); do
  run "$r" compass-encode "$work/photo.cmps" $pixels "${cli[@]}" encode "$photo" -o "$work/photo.cmps" --threads $threads
  rm -rf "$work/dec"
  run "$r" compass-decode "" $pixels "${cli[@]}" decode "$work/photo.cmps" -o "$work/dec" --threads $threads
  sha256sum "$work/photo.cmps" | cut -c1-16 >> "$work/stream-hashes.txt"
  # JPEG 2000 at Compass's rate: the compression ratio is 24 bits per pixel over Compass's bits per pixel.
  bpp=$(awk -v b="$(stat -c %s "$work/photo.cmps")" -v p=$pixels 'BEGIN { printf "%.4f", 8 * b / p }')
  if ! have cjxl || ! have djxl; then echo "large-photo: cjxl/djxl not found, JPEG XL skipped (apt-get install libjxl-tools)" >&2
  else
    run "$r" cjxl "$work/photo.jxl" $pixels cjxl "$photo" "$work/photo.jxl" -d "$jxl_distance" --num_threads=$threads
    run "$r" djxl "" $pixels djxl "$work/photo.jxl" "$work/photo-jxl.png" --num_threads=$threads
  fi
  if ! have opj_compress || ! have opj_decompress; then echo "large-photo: opj_compress/opj_decompress not found, JPEG 2000 skipped (apt-get install libopenjp2-tools)" >&2
  else
    ratio=$(awk -v b="$bpp" 'BEGIN { printf "%.2f", 24 / b }')
    run "$r" opj_compress "$work/photo.jp2" $pixels opj_compress -i "$photo" -o "$work/photo.jp2" -r "$ratio" -threads $threads
    run "$r" opj_decompress "" $pixels opj_decompress -i "$work/photo.jp2" -o "$work/photo-jp2.png" -threads $threads
  fi
done

# Per-pixel cost: single layer (base codec only) and the default plan (LIFF layers), smallest size first, interleaved.
# The largest size: its default plan is compass-encode/compass-decode above, its single layer runs in ROUNDS rounds.
for r in $(seq 1 "$sizes_rounds"); do
  for size in "${sizes[@]}"; do
    px=$(( ${size%x*} * ${size#*x} ))
    [ "$size" = "$large_size" ] && [ "$r" -gt "$rounds" ] && continue
    for plan in single default; do
      [ "$size" = "$large_size" ] && [ "$plan" = default ] && continue
      scales=(); [ "$plan" = single ] && scales=(--scales 1)
      run "$r" "encode-$plan-$size" "$work/$plan-$size.cmps" $px "${cli[@]}" encode "$work/photo-$size.png" -o "$work/$plan-$size.cmps" --threads $threads "${scales[@]}"
      rm -rf "$work/dec-$plan-$size"
      run "$r" "decode-$plan-$size" "" $px "${cli[@]}" decode "$work/$plan-$size.cmps" -o "$work/dec-$plan-$size" --threads $threads
    done
  done
done

echo
echo "medians over rounds (bpp = 8 * bytes / pixels of the largest layer; us/px = user+sys CPU per pixel):"
awk -F'\t' 'NR > 1 {
    k = $2; n[k]++; wall[k, n[k]] = $3; cpu[k, n[k]] = $4 + $5; rss[k, n[k]] = $6; by[k] = $7; px[k] = $8
  }
  function median(a, k, m,    i, j, t, v) {
    for (i = 1; i <= m; i++) v[i] = a[k, i]
    for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
    return m % 2 ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
  }
  END {
    printf "%-28s %8s %8s %10s %8s %8s %8s\n", "case", "wall_s", "cpu_s", "peak_MB", "bpp", "wall_us/px", "cpu_us/px"
    for (k in n) {
      w = median(wall, k, n[k]); c = median(cpu, k, n[k]); r = median(rss, k, n[k])
      printf "%-28s %8.1f %8.1f %10.0f %8.3f %8.3f %8.3f\n", k, w, c, r * 1024 / 1e6, (by[k] > 0 ? 8 * by[k] / px[k] : 0), 1e6 * w / px[k], 1e6 * c / px[k]
    }
  }' "$results" | sort
echo "stream hashes (one per round; all equal = deterministic encode):"
sort "$work/stream-hashes.txt" | uniq -c
