#!/usr/bin/env bash
# Replays the committed fuzz corpus of every target (tests/fuzz/corpus/<target>/) and every crash reproducer
# (tests/fuzz/crashes/<target>-*) through the UNinstrumented harness (Compass.Fuzz 'replay' mode): no clang,
# libFuzzer or SharpFuzz instrumenter needed, only the .NET SDK. Every input must end in success or
# CompassFormatException within the campaign's bounds (10 s per input, 1 GiB GC heap, 1536 MB peak RSS);
# anything else fails. First a self-test checks that the replay does fail: an input that throws another
# exception, one that runs out of memory and one that hangs must each make it exit non-zero.
# Usage: tests/fuzz/replay.sh [--self-test-only]     (CI: .ci/run, after the tests pass)
# Last line: "fuzz-replay: PASS ..." or "fuzz-replay: FAIL: ...". Exit code 0 only on PASS.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
start=$(date +%s)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
fail() { echo "fuzz-replay: FAIL: $*"; exit 1; }
targets=(bitstream rans hyperscales bundle tables decoder image)

# The campaign's bounds (run-fuzz.sh): a GC heap hard limit (OutOfMemoryException = failure), the RSS bound and
# libFuzzer's -timeout=10. COMPASS_FUZZ_STRICT would turn format errors into failures: never here.
export DOTNET_GCHeapHardLimit=0x40000000 COMPASS_FUZZ_TARGET_RSS_MB=1536 COMPASS_FUZZ_TIMEOUT_S=10
unset COMPASS_FUZZ_STRICT COMPASS_FUZZ_TARGET

echo "== fuzz-replay: building tests/fuzz/Compass.Fuzz (Release, uninstrumented)"
dotnet build "$here/Compass.Fuzz" -c Release -nologo -v q -clp:ErrorsOnly \
  || fail "tests/fuzz/Compass.Fuzz did not build"
bin="$here/Compass.Fuzz/bin/Release/net10.0/Compass.Fuzz.dll"
[ -f "$bin" ] || fail "$bin is missing after the build"
replay() { dotnet "$bin" replay "$@"; }
built=$(date +%s)

# --- self-test: the replay must fail on a contract break (the hidden 'selftest' target, see Targets.SelfTest) ---
tmp=$(mktemp -d /tmp/fuzz-replay-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
for word in ok format throw oom hang; do mkdir -p "$tmp/$word"; printf '%s' "$word" > "$tmp/$word/input"; done
replay selftest "$tmp/ok" "$tmp/format" > "$tmp/pass.log" 2>&1 \
  || { cat "$tmp/pass.log"; fail "self-test: 'ok' and 'format' inputs must pass"; }
for word in throw oom hang; do
  COMPASS_FUZZ_TIMEOUT_S=1 replay selftest "$tmp/ok" "$tmp/$word" > "$tmp/$word.log" 2>&1
  rc=$?
  if [ "$rc" -eq 0 ] || ! grep -q "$tmp/$word/input" "$tmp/$word.log"; then
    cat "$tmp/$word.log"; fail "self-test: a '$word' input did not fail the replay (exit $rc)"
  fi
done
echo "== fuzz-replay: self-test passed (throw, oom and hang inputs each fail the replay; ok and format pass)"
[ "${1:-}" = "--self-test-only" ] && { echo "fuzz-replay: PASS (self-test only)"; exit 0; }

# --- the corpus of every target, then the crash reproducers (named <target>-<anything>) ---
failed=()
inputs=0
for t in "${targets[@]}"; do
  n=$(find "$here/corpus/$t" -maxdepth 1 -type f 2>/dev/null | wc -l)
  [ "$n" -gt 0 ] || { echo "fuzz-replay: corpus/$t is missing or empty"; failed+=("corpus/$t (empty)"); continue; }
  replay "$t" "$here/corpus/$t" || failed+=("corpus/$t")
  inputs=$((inputs + n))
done
for d in "$here"/corpus/*/; do
  name=$(basename "$d")
  [[ " ${targets[*]} " == *" $name "* ]] || { echo "fuzz-replay: corpus/$name is not a known target"; failed+=("corpus/$name (unknown target)"); }
done
shopt -s nullglob
declare -A repro_files=()
reproducers=0
for f in "$here"/crashes/*; do
  t="${f##*/}"; t="${t%%-*}"
  if [[ " ${targets[*]} " != *" $t "* ]]; then
    echo "fuzz-replay: crashes/${f##*/} is not named <target>-..."; failed+=("crashes/${f##*/} (unknown target)"); continue
  fi
  repro_files[$t]+="$f"$'\n'
  reproducers=$((reproducers + 1))
done
for t in "${!repro_files[@]}"; do
  mapfile -t files < <(printf '%s' "${repro_files[$t]}")
  echo "-- crash reproducers of $t:"
  replay "$t" "${files[@]}" || failed+=("crashes/$t-*")
done

end=$(date +%s)
[ ${#failed[@]} -eq 0 ] || fail "${failed[*]} (see the CRASH/TIMEOUT lines above)"
echo "fuzz-replay: PASS: ${inputs} corpus inputs of ${#targets[@]} targets and ${reproducers} crash reproducers, 0 failures ($((built - start)) s build, $((end - built)) s self-test and replay)"
