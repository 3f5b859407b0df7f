#!/usr/bin/env bash
# Runs the SharpFuzz/libFuzzer targets one after another (one fuzzing process at a time), then merges
# (minimises) each working corpus back into tests/fuzz/corpus/<target>/. See README.md.
# Usage: tests/fuzz/run-fuzz.sh SECONDS_PER_TARGET [target ...]
set -u
here="$(cd "$(dirname "$0")" && pwd)"
seconds="${1:?seconds per target}"; shift
targets=("$@"); [ ${#targets[@]} -eq 0 ] && targets=(bitstream rans hyperscales bundle tables decoder image)
driver="${LIBFUZZER_DOTNET:-/tmp/fuzztools/libfuzzer-dotnet}"
target_path="${COMPASS_FUZZ_BUILD:-/tmp/fuzzbuild}/Compass.Fuzz"
work="${COMPASS_FUZZ_WORK:-/tmp/fuzzwork}"
mkdir -p "$here/crashes" "$work"
# Memory bound of the .NET target: a GC heap hard limit (OutOfMemoryException = crash) and the driver's RSS check.
export DOTNET_GCHeapHardLimit=0x40000000 COMPASS_FUZZ_TARGET_RSS_MB=1536
for t in "${targets[@]}"; do
  export COMPASS_FUZZ_TARGET="$t"
  mkdir -p "$work/$t" "$work/$t-merged"
  echo "=== $t: ${seconds}s, started $(date -u +%T)"
  nice -n 10 "$driver" --target_path="$target_path" -timeout=10 -rss_limit_mb=2048 -max_total_time="$seconds" \
    -print_final_stats=1 -artifact_prefix="$here/crashes/$t-" "$work/$t" "$here/corpus/$t" > "$work/$t.log" 2>&1
  echo "    exit $? at $(date -u +%T)"
  grep -E "^#[0-9]+ +(INITED|DONE)|^stat::|ERROR|crash|Test unit written" "$work/$t.log" | tail -12
  # Minimise: keep only inputs that add coverage, into a fresh folder, then replace the committed corpus.
  rm -rf "$work/$t-merged"; mkdir -p "$work/$t-merged"
  nice -n 10 "$driver" --target_path="$target_path" -timeout=10 -merge=1 "$work/$t-merged" "$here/corpus/$t" "$work/$t" > "$work/$t.merge.log" 2>&1 \
    && rm -rf "$here/corpus/$t" && cp -r "$work/$t-merged" "$here/corpus/$t"
  echo "    corpus: $(ls "$here/corpus/$t" | wc -l) files, $(du -sh "$here/corpus/$t" | cut -f1)"
done
