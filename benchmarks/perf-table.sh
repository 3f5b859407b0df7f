#!/usr/bin/env bash
# One performance table, measured in one run: Compass (compact default and paper preset) against CompressAI at equal
# width, the command-line tool as a process, the per-pixel cost at three sizes, and a 24 MP photo's encode and decode
# (with JPEG XL and JPEG 2000 beside it), each row with its command, its issue-22 target and whether it is met.
#
#   benchmarks/perf-table.sh                    the full run (hours on 2 cores: run it on a quiet machine)
#   SMOKE=1 benchmarks/perf-table.sh            every stage at tiny sizes, one round (a few minutes): checks the script
#   SKIP=compressai,large benchmarks/perf-table.sh     leave stages out (compressai, cli, large)
#
# It composes the existing harnesses, each of which interleaves its contenders round by round:
#   compressai  benchmarks/compressai/run.sh: CompressAI mbt2018_mean vs Compass paper and compact default, in process,
#               one thread each, kodim01 at 768x512 and upscaled to 1920x1280 (ROUNDS rounds)
#   cli         benchmarks/cli-startup.sh on the ReadyToRun-published tool: --version, info, decode -k 1, decode of a
#               Kodak 3-layer stream (kodim23), as processes (ROUNDS rounds)
#   large       benchmarks/large-photo.sh with the same tool: a 6000x4000 photo against cjxl/djxl and opj (LARGE_ROUNDS
#               rounds), then the per-pixel cost at 768x512 and 1920x1280 (ROUNDS rounds) and 6000x4000; the 24 MP
#               default-plan encode and decode are also its 6000x4000 default-plan per-pixel rows (measured once)
#
# Environment: ROUNDS (small cases, default 3; SMOKE 1), LARGE_ROUNDS (the 24 MP cases, default 1), WORK (default
# /tmp/compass-perf-table, or /tmp/compass-perf-table-smoke; never inside the repository), SKIP, PAPER_BUNDLE (a
# paper-preset bundle zip; default WORK/paper-bundle.zip, built from random weights when missing), COMPRESSAI_SRC
# (a CompressAI source tree, C++ extensions built in place, or built here when they are not; default
# WORK/compressai-src, else /tmp/compressai-src, else cloned from COMPRESSAI_GIT), PYTHON (with PyTorch, numpy,
# Pillow; default /usr/bin/python3), KODAK (folder of kodim*.png), DATA (training images for the paper bundle and the
# large photos' mosaic), JXL_DISTANCE (passed to large-photo.sh). Missing contenders (CompressAI, cjxl, opj) are
# skipped with a note in the table instead of failing the run.
#
# Writes WORK/perf-table.md (machine facts, one Markdown table, notes), WORK/perf-table.tsv (the same rows) and the
# raw measurements under WORK/raw (JSON lines of the in-process timings, TSV rows of every process, facts.json).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
smoke=${SMOKE:-0}
if [ "$smoke" = 1 ]; then
  rounds=${ROUNDS:-1}; large_rounds=${LARGE_ROUNDS:-1}; work=${WORK:-/tmp/compass-perf-table-smoke}
else
  rounds=${ROUNDS:-3}; large_rounds=${LARGE_ROUNDS:-1}; work=${WORK:-/tmp/compass-perf-table}
fi
mkdir -p "$work"
work=$(cd "$work" && pwd)
case "$work/" in "$root"/*) echo "perf-table: WORK ($work) must be outside the repository" >&2; exit 2 ;; esac
skip=",${SKIP:-},"
skipped() { [[ "$skip" == *",$1,"* ]]; }
py=${PYTHON:-/usr/bin/python3}
kodak=${KODAK:-$root/../shared/data/kodak}
data=${DATA:-$root/../shared/data/train}
raw=$work/raw
rm -rf "$raw"
mkdir -p "$raw" "$work/img"
notes=$raw/notes.txt
: > "$notes"
: > "$raw/commands.txt"
note() { echo "perf-table: $*" >&2; echo "$*" >> "$notes"; }
stage() { echo "perf-table: [$(date +%T)] $*" >&2; }
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
started=$(date +%s)

# Sizes. The full run is what issue 22's targets are stated for; the smoke run scales every size down.
if [ "$smoke" = 1 ]; then
  cai_sizes=(256x192 384x256); pp_sizes="192x128 256x192"; large_size=384x256
else
  cai_sizes=(768x512 1920x1280); pp_sizes="768x512 1920x1280"; large_size=6000x4000
fi

# --- Machine facts (load average again at the end) ---------------------------------------------------------------
ort=$(sed -n 's/.*Include="Microsoft.ML.OnnxRuntime" Version="\([^"]*\)".*/\1/p' Directory.Packages.props | head -n 1)
torch=$("$py" -c 'import torch; print(torch.__version__)' 2>/dev/null || echo none)
"$py" - "$raw/facts.json" "$ort" "$torch" "$smoke" "$rounds" "$large_rounds" "$(git rev-parse --short=12 HEAD)" \
  "$(git status --porcelain --untracked-files=no | wc -l)" "$(dotnet --version)" <<'PY'
import json, os, platform, sys
out, ort, torch, smoke, rounds, large_rounds, commit, dirty, dotnet = sys.argv[1:]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
json.dump({"cpu": cpu, "cores": os.cpu_count(), "load_before": list(os.getloadavg()), "dotnet": dotnet, "ort": ort,
           "torch": torch, "commit": commit + ("+dirty" if int(dirty) else ""), "kernel": platform.release(),
           "smoke": smoke == "1", "rounds": int(rounds), "large_rounds": int(large_rounds)}, open(out, "w"))
PY

# --- Builds: the benchmarks (Release) and the tool, published ReadyToRun as a user would run it -------------------
stage "building Compass.Benchmarks (Release) and publishing the compass tool (ReadyToRun)"
build() { nice -n 5 dotnet "$@" -c Release -v q -nologo > "$raw/build.log" 2>&1 || { cat "$raw/build.log" >&2; exit 1; }; }
build build benchmarks/Compass.Benchmarks/Compass.Benchmarks.csproj
bench=$root/benchmarks/Compass.Benchmarks/bin/Release/net10.0/Compass.Benchmarks.dll
rid=$(dotnet --info | sed -n 's/^ *RID: *//p' | head -n 1)
cli_dir=$work/cli-r2r
build publish src/Compass.Cli/Compass.Cli.csproj -r "$rid" --self-contained false -p:CompassReadyToRun=true -o "$cli_dir"

# --- Test images: Kodak crops or upscales (Pillow bicubic, as benchmarks/compressai/README.md does) ----------------
# make_image OUT SIZE SOURCE: SOURCE at its own size if it is SIZE, else a centre crop when smaller, else an upscale.
make_image() {
  [ -f "$1" ] || "$py" - "$1" "$2" "$3" <<'PY'
import sys
from PIL import Image
out, size, src = sys.argv[1], tuple(int(v) for v in sys.argv[2].split("x")), sys.argv[3]
im = Image.open(src).convert("RGB")
if im.size != size:
    if size[0] <= im.width and size[1] <= im.height:
        x, y = (im.width - size[0]) // 2, (im.height - size[1]) // 2
        im = im.crop((x, y, x + size[0], y + size[1]))
    else:
        im = im.resize(size, Image.BICUBIC)
im.save(out)
PY
}

# --- Stage 1: Compass against CompressAI at equal width ----------------------------------------------------------
if ! skipped compressai; then
  paper=${PAPER_BUNDLE:-$work/paper-bundle.zip}
  if [ ! -f "$paper" ]; then
    # A paper-preset bundle from random weights (benchmarks/compressai/README.md): time depends on the architecture.
    stage "building the paper-preset bundle from random weights into $paper"
    build build src/Compass.Training.Cli/Compass.Training.Cli.csproj
    train=(dotnet src/Compass.Training.Cli/bin/Release/net10.0/compass-train.dll)
    rm -rf "$work/paper-rand" "${paper%.zip}"
    "${train[@]}" train --stage bl --preset paper -q 3 --steps 1 --threads 1 --crop 64 --batch 2 --data "$data" \
      --val-every 0 --checkpoint-every 0 --checkpoint-minutes 0 --out "$work/paper-rand" > "$raw/paper-train.log" 2>&1
    "${train[@]}" export --checkpoint "$work/paper-rand/step-00000001.ckpt" -q 3 --lambda 0.0067 --preset paper \
      --no-card --out "${paper%.zip}" --zip > "$raw/paper-export.log" 2>&1
  fi
  # CompressAI's source: COMPRESSAI_SRC, else a tree already in WORK or /tmp, else a clone into WORK.
  cai_src=${COMPRESSAI_SRC:-}
  if [ -z "$cai_src" ]; then
    for d in "$work/compressai-src" /tmp/compressai-src; do [ -d "$d/compressai" ] && { cai_src=$d; break; }; done
    if [ -z "$cai_src" ]; then
      cai_src=$work/compressai-src
      git clone -q --depth 1 "${COMPRESSAI_GIT:-https://github.com/InterDigitalInc/CompressAI}" "$cai_src" > /dev/null 2>&1 || rm -rf "$cai_src"
    fi
  fi
  if [ ! -d "$cai_src/compressai" ]; then
    note "CompressAI: no source tree at $cai_src (set COMPRESSAI_SRC; see benchmarks/compressai/README.md): CompressAI rows skipped."
    cai_src=
  fi
  if [ -n "$cai_src" ] && ! ls "$cai_src"/compressai/ans*.so >/dev/null 2>&1; then
    stage "building CompressAI's C++ extensions in place in $cai_src"
    (cd "$cai_src" && nice -n 5 "$py" setup.py build_ext --inplace) > "$raw/compressai-build.log" 2>&1 \
      || { note "CompressAI: building its C++ extensions failed (see raw/compressai-build.log): CompressAI rows skipped."; cai_src=; }
  fi
  if [ -n "$cai_src" ] && [ "$torch" = none ]; then
    note "CompressAI: $py has no PyTorch: CompressAI rows skipped."; cai_src=
  fi
  for size in "${cai_sizes[@]}"; do
    img=$work/img/kodim01-$size.png
    make_image "$img" "$size" "$kodak/kodim01.png"
    stage "compressai stage, $size, $rounds round(s)"
    if [ -n "$cai_src" ]; then
      echo "COMPRESSAI_SRC=SRC benchmarks/compressai/run.sh $rounds kodim01-$size.png $(basename "$paper") default" >> "$raw/commands.txt"
      COMPRESSAI_SRC=$cai_src PYTHON=$py COMPASS_BENCH=$bench \
        benchmarks/compressai/run.sh "$rounds" "$img" "$paper" default > "$raw/codec-$size.jsonl" 2> "$raw/codec-$size.log"
    else
      # Without CompressAI, the Compass rows alone, interleaved the same way.
      echo "for r in 1..$rounds: for m in $(basename "$paper") default: Compass.Benchmarks codec-time \$m kodim01-$size.png 1 1" >> "$raw/commands.txt"
      export OMP_NUM_THREADS=1
      for ((r = 0; r < rounds; r++)); do
        for m in "$paper" default; do dotnet "$bench" codec-time "$m" "$img" 1 1; done
      done > "$raw/codec-$size.jsonl" 2> "$raw/codec-$size.log"
    fi
  done
else
  note "Stage compressai skipped (SKIP)."
fi

# --- Stage 2: the tool as a process ------------------------------------------------------------------------------
if ! skipped cli; then
  cli_image=$kodak/kodim23.png
  if [ "$smoke" = 1 ]; then cli_image=$work/img/kodim23-256x192.png; make_image "$cli_image" 256x192 "$kodak/kodim23.png"; fi
  stage "cli stage, $rounds round(s)"
  echo "ROUNDS=$rounds IMAGE=$(basename "$cli_image") benchmarks/cli-startup.sh cli-r2r   # cli-r2r: dotnet publish src/Compass.Cli -c Release -r $rid -p:CompassReadyToRun=true" >> "$raw/commands.txt"
  WORK=$work/cli RAW=$raw/cli.tsv ROUNDS=$rounds IMAGE=$cli_image benchmarks/cli-startup.sh "$cli_dir" > "$raw/cli.md" 2> "$raw/cli.log"
  "$py" -c 'import sys; from PIL import Image; print("%dx%d" % Image.open(sys.argv[1]).size)' "$cli_image" > "$raw/cli-size.txt"
else
  note "Stage cli skipped (SKIP)."
fi

# --- Stage 3: the 24 MP photo and the per-pixel cost -------------------------------------------------------------
if ! skipped large; then
  stage "large stage, $large_size: $large_rounds round(s); per-pixel sizes $pp_sizes: $rounds round(s)"
  echo "COMPASS=cli-r2r/compass SIZES_ROUNDS=$rounds LARGE_SIZE=$large_size SIZES='$pp_sizes' benchmarks/large-photo.sh $large_rounds WORK_DIR" >> "$raw/commands.txt"
  COMPASS=$cli_dir/compass NO_BUILD=1 SIZES_ROUNDS=$rounds LARGE_SIZE=$large_size SIZES=$pp_sizes \
    benchmarks/large-photo.sh "$large_rounds" "$work/large" > "$raw/large.log" 2>&1
  cp "$work/large/results.tsv" "$raw/large.tsv"
  grep -q 'cjxl' "$raw/large.tsv" || note "JPEG XL (cjxl/djxl) not installed: its rows skipped (apt-get install libjxl-tools)."
  grep -q 'opj_compress' "$raw/large.tsv" || note "JPEG 2000 (opj_compress/opj_decompress) not installed: its rows skipped (apt-get install libopenjp2-tools)."
else
  note "Stage large skipped (SKIP)."
fi

# --- The table -------------------------------------------------------------------------------------------------------
"$py" - "$raw" "$work" "$(( $(date +%s) - started ))" "${cai_sizes[*]}" "$pp_sizes" "$large_size" "${PAPER_BUNDLE:-paper-bundle.zip}" \
  "${JXL_DISTANCE:-4}" <<'PY'
import csv, json, os, statistics, sys

raw, work, elapsed, cai_sizes, pp_sizes, large_size, paper, jxl_d = sys.argv[1:]
facts = json.load(open(os.path.join(raw, "facts.json")))
facts["load_after"] = list(os.getloadavg())
facts["elapsed_s"] = int(elapsed)
json.dump(facts, open(os.path.join(raw, "facts.json"), "w"))
paper = os.path.basename(paper)
med = statistics.median
rows = []  # what, size, command, wall_s, cpu_s, rss_mb, vs_cai, us_px, target, met


def s(v):
    return "—" if v is None else (f"{v:.2f} s" if v < 10 else f"{v:.1f} s")


def verdict(ok):
    return "—" if ok is None else ("yes" if ok else "**no**")


def add(what, size, command, wall=None, cpu=None, rss_kib=None, vs="—", us=None, target="—", met=None):
    rows.append({"what": what, "size": size, "command": command, "wall": s(wall), "cpu": s(cpu),
                 "rss": "—" if rss_kib is None else f"{rss_kib * 1024 / 1e6:,.0f} MB", "vs": vs,
                 "us": "—" if us is None else f"{us[0]:.2f} / {us[1]:.2f}", "target": target, "met": verdict(met)})


# 1. In process, one thread: CompressAI, Compass paper (equal width), Compass compact default.
for size in cai_sizes.split():
    path = os.path.join(raw, f"codec-{size}.jsonl")
    if not os.path.exists(path):
        continue
    runs = [json.loads(l) for l in open(path) if l.startswith("{")]
    groups = {}
    for r in runs:
        groups.setdefault((r["tool"], r.get("model", "")), []).append(r)
    cai = groups.get(("compressai", ""))
    img = f"kodim01-{size}.png"
    for key, label, cmd in ((("compressai", ""), "CompressAI `mbt2018_mean` (N 128 / M 192), random weights",
                             f"compressai_time.py {img} 1"),
                            (("compass", paper), "Compass `paper` preset (N 128 / M 192), random weights",
                             f"Compass.Benchmarks codec-time {paper} {img} 1 1"),
                            (("compass", "default"), "Compass compact default (N 64 / M 96)",
                             f"Compass.Benchmarks codec-time default {img} 1 1")):
        sel = groups.get(key)
        if not sel:
            continue
        for op in ("encode", "decode"):
            wall, cpu = med(r[f"{op}_ms"] for r in sel) / 1000, med(r[f"{op}_cpu_ms"] for r in sel) / 1000
            vs, target, met = "—", "—", None
            if cai:
                cw, cc = med(r[f"{op}_ms"] for r in cai) / 1000, med(r[f"{op}_cpu_ms"] for r in cai) / 1000
                vs = "1 / 1" if key[0] == "compressai" else f"{cpu / cc:.2f}x / {wall / cw:.2f}x"
            if key[1] == paper:
                target = "≤ 0.7x CompressAI (CPU)"
                met = cpu / cc <= 0.7 if cai else None
            add(f"{label}: {op}, 1 thread, in process (n={len(sel)})", size, f"`{cmd}`", wall, cpu, vs=vs,
                target=target, met=met)

# 2. The tool as a process (ReadyToRun publish).
cli = os.path.join(raw, "cli.tsv")
if os.path.exists(cli):
    size = open(os.path.join(raw, "cli-size.txt")).read().strip()
    by = {}
    for tool, label, rnd, wall, cpu, rss in csv.reader(open(cli), delimiter="\t"):
        by.setdefault(label, []).append((float(wall), float(cpu), int(rss)))
    targets = {"compass info": ("≤ 0.2 s wall", 0.2), "compass decode (3": ("≤ 1.0 s wall", 1.0)}
    described = {"compass --version": "`--version` (runtime start-up, command tree)",
                 "compass info": "`info` of a 3-layer stream (no model)",
                 "compass decode -k 1": "`decode -k 1`: base layer of a 3-layer stream",
                 "compass decode": "`decode`: all 3 layers (default plan)"}
    for label, sel in by.items():
        cmd = label.split(" (")[0]
        desc = described.get(cmd, label)
        cmd = {"compass info": "compass info s.cmps", "compass decode -k 1": "compass decode s.cmps -o out -k 1",
               "compass decode": "compass decode s.cmps -o out"}.get(cmd, cmd)
        wall, cpu, rss = med(v[0] for v in sel), med(v[1] for v in sel), med(v[2] for v in sel)
        target, met = "—", None
        for prefix, (text, limit) in targets.items():
            if label.startswith(prefix):
                target, met = text, wall <= limit
        add(f"CLI process, ReadyToRun: {desc} (n={len(sel)})", size, f"`{cmd}`", wall, cpu, rss, target=target,
            met=met)

# 3. 24 MP photo against JPEG XL and JPEG 2000, and the per-pixel cost.
large = os.path.join(raw, "large.tsv")
if os.path.exists(large):
    by = {}
    for r in csv.DictReader(open(large), delimiter="\t"):
        by.setdefault(r["case"], []).append(r)

    def stats(case):
        sel = by[case]
        wall = med(float(r["wall_s"]) for r in sel)
        cpu = med(float(r["user_s"]) + float(r["sys_s"]) for r in sel)
        rss = med(int(r["peak_rss_kb"]) for r in sel)
        px = int(sel[0]["pixels"])
        nbytes = int(sel[0]["bytes"])
        return wall, cpu, rss, px, nbytes, len(sel)

    sizes = pp_sizes.split() + [large_size]
    w, h = (int(v) for v in large_size.split("x"))
    photo = f"{w * h / 1e6:.0f} MP photo" if w * h >= 1e6 else f"{large_size} photo (in place of 24 MP)"
    base = {}
    for plan in ("single", "default"):
        for op in ("encode", "decode"):
            for size in sizes:
                case = f"{op}-{plan}-{size}"
                is24 = size == large_size and plan == "default"
                if is24:
                    case = f"compass-{op}"
                if case not in by:
                    continue
                wall, cpu, rss, px, nbytes, n = stats(case)
                us = (1e6 * wall / px, 1e6 * cpu / px)
                flags = " --scales 1" if plan == "single" else ""
                src = "photo.cmps" if is24 else f"{plan}-{size}.cmps"
                cmd = (f"compass encode photo-{size}.png -o {src} --threads 2{flags}" if op == "encode"
                       else f"compass decode {src} -o dec --threads 2")
                targets, oks = [], []
                if size == sizes[0]:
                    base[(plan, op)] = us[0]
                elif (plan, op) in base:
                    ratio = us[0] / base[(plan, op)]
                    targets.append(f"≤ 1.2x {sizes[0]} per px (wall): {ratio:.2f}x")
                    oks.append(ratio <= 1.2)
                what = f"Per pixel: {op}, {'single layer' if plan == 'single' else 'default plan (3 layers)'}"
                if is24:
                    limit = 60 if op == "encode" else 45
                    what = f"{photo}: compass {op}, default plan and quality (also the per-pixel row" + \
                        (f"; {8 * nbytes / px:.3f} bpp)" if op == "encode" else ")")
                    targets.insert(0, f"≤ {limit} s wall, < 2,000 MB peak")
                    oks.insert(0, wall <= limit and rss * 1024 < 2e9)
                add(f"{what} (n={n})", size, f"`{cmd}`", wall, cpu, rss, us=us, target="; ".join(targets) or "—",
                    met=all(oks) if oks else None)
    for case, what, cmd in (("cjxl", f"{photo}: JPEG XL encode, libjxl", f"cjxl photo-{large_size}.png photo.jxl -d {jxl_d} --num_threads=2"),
                            ("djxl", f"{photo}: JPEG XL decode", "djxl photo.jxl photo-jxl.png --num_threads=2"),
                            ("opj_compress", f"{photo}: JPEG 2000 encode, OpenJPEG, at Compass's rate",
                             f"opj_compress -i photo-{large_size}.png -o photo.jp2 -r R -threads 2"),
                            ("opj_decompress", f"{photo}: JPEG 2000 decode", "opj_decompress -i photo.jp2 -o photo-jp2.png -threads 2")):
        if case in by:
            wall, cpu, rss, px, nbytes, n = stats(case)
            bpp = f"; {8 * nbytes / px:.3f} bpp" if nbytes else ""
            add(f"{what} (n={n}{bpp})", large_size, f"`{cmd}`", wall, cpu, rss)

cols = [("what", "what"), ("size", "size"), ("command", "command (short form)"), ("wall", "wall"),
        ("cpu", "CPU (user+sys)"), ("rss", "peak RSS"), ("vs", "vs CompressAI (CPU / wall)"),
        ("us", "us/px (wall / CPU)"), ("target", "target (issue 22)"), ("met", "met")]
with open(os.path.join(work, "perf-table.tsv"), "w") as f:
    f.write("\t".join(k for k, _ in cols) + "\n")
    for r in rows:
        f.write("\t".join(r[k].replace("`", "") for k, _ in cols) + "\n")

la = lambda v: " / ".join(f"{x:.1f}" for x in v)
notes = [l.strip() for l in open(os.path.join(raw, "notes.txt")) if l.strip()]
with open(os.path.join(work, "perf-table.md"), "w") as f:
    if facts["smoke"]:
        f.write("**SMOKE RUN: tiny sizes, one round; checks the script, not the targets.**\n\n")
    f.write(f"Machine: {facts['cpu']}, {facts['cores']} cores, Linux {facts['kernel']}; .NET SDK {facts['dotnet']}, "
            f"ONNX Runtime {facts['ort']} (CPU provider), PyTorch {facts['torch']} (CompressAI); commit {facts['commit']}. "
            f"Load average (1 / 5 / 15 min) before {la(facts['load_before'])}, after {la(facts['load_after'])}; "
            f"run took {facts['elapsed_s'] / 60:.0f} min. Medians of n rounds (ROUNDS={facts['rounds']}, "
            f"LARGE_ROUNDS={facts['large_rounds']}), contenders interleaved round by round.\n\n")
    f.write("| " + " | ".join(h for _, h in cols) + " |\n")
    f.write("|" + "|".join("---:" if k in ("wall", "cpu", "rss", "vs", "us") else "---" for k, _ in cols) + "|\n")
    for r in rows:
        f.write("| " + " | ".join(r[k] for k, _ in cols) + " |\n")
    f.write("\nCPU is the process's user + system time (in process: the timed calls' process CPU time), less disturbed "
            "by other load than wall. The CompressAI comparison is one thread a side and judged on CPU time; the "
            "process rows (2 threads, start-up included) on wall time, as the targets are stated. Peak RSS is GNU "
            "time's / wait4's maximum resident set (MB = 10^6 bytes); the in-process rows do not measure it. "
            "Per-pixel rows divide by the pixels of the largest layer.\n")
    for n in notes:
        f.write(f"\n- {n}")
    f.write("\n\nThe harnesses as this run called them (from the repository root; `benchmarks/perf-table.sh` runs them all):\n\n```sh\n")
    f.write(open(os.path.join(raw, "commands.txt")).read())
    f.write("```\n")
print(open(os.path.join(work, "perf-table.md")).read())
PY
echo "perf-table: wrote $work/perf-table.md, $work/perf-table.tsv and $raw/" >&2
