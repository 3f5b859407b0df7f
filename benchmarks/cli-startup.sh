#!/usr/bin/env bash
# Command-line start-up: wall and CPU time of `compass` as a process, for one or more builds of the tool, with the
# contenders interleaved round by round (so that a loaded machine slows them alike), and the model-load breakdown
# from one --verbose decode per tool.
#
#   benchmarks/cli-startup.sh                       publishes this checkout twice (JIT only, and ReadyToRun) and compares them
#   benchmarks/cli-startup.sh DIR [DIR...]          compares already published tools (folders holding `compass`)
#   ROUNDS=15 IMAGE=kodim01.png benchmarks/cli-startup.sh
#   ONLY='version|info' benchmarks/cli-startup.sh DIR DIR     only the commands whose label matches (a regex)
#   WORK=/tmp/cli-startup RAW=runs.tsv benchmarks/cli-startup.sh DIR   work folder (default artifacts/cli-startup); RAW
#                                                   appends one TSV row per timed process (tool, command, round, wall,
#                                                   CPU seconds, peak RSS KiB), for benchmarks/perf-table.sh
#
# Each round runs, per tool: `compass --version` (runtime start-up and the command tree), `compass info` of a
# 3-layer stream, `compass decode` of its base layer (-k 1) and of all three layers (the default plan of a Kodak
# image, 768x512). The stream is encoded once, by the first tool. Medians over the rounds are printed as a
# Markdown table; wall is what a user waits, CPU (user + system) is less sensitive to other load.
# Pin the cores with CORES=0,1 (taskset) to measure on 2 cores of a larger machine.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
rounds=${ROUNDS:-7}
image=${IMAGE:-$root/../shared/data/kodak/kodim23.png}
work=${WORK:-$root/artifacts/cli-startup}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
[ -f "$image" ] || { echo "cli-startup: no image at $image (set IMAGE=...)" >&2; exit 1; }
mkdir -p "$work"

tools=("$@")
if [ "${#tools[@]}" -eq 0 ]; then
  rid=$(dotnet --info | sed -n 's/^ *RID: *//p' | head -n 1)
  echo "cli-startup: publishing the tool (JIT only, and ReadyToRun for $rid) into $work" >&2
  dotnet publish src/Compass.Cli/Compass.Cli.csproj -c Release -r "$rid" --self-contained false \
    -p:CompassReadyToRun=false -o "$work/jit" --nologo -v q -clp:NoSummary >&2
  dotnet publish src/Compass.Cli/Compass.Cli.csproj -c Release -r "$rid" --self-contained false \
    -p:CompassReadyToRun=true -o "$work/r2r" --nologo -v q -clp:NoSummary >&2
  tools=("$work/jit" "$work/r2r")
fi

pin=()
[ -n "${CORES:-}" ] && pin=(taskset -c "$CORES")
stream="$work/stream.cmps"
"${pin[@]}" "${tools[0]}/compass" encode "$image" -o "$stream" >/dev/null

python3 - "$rounds" "$stream" "$work" "${ONLY:-.}" "${pin[*]:-}" "${RAW:-}" "${tools[@]}" <<'PY'
import os, re, shutil, statistics, subprocess, sys, tempfile, time

rounds, stream, work, only, pin = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5].split()
raw = sys.argv[6]
tools = sys.argv[7:]
out = os.path.join(work, "decoded")
commands = {
    "compass --version": ["--version"],
    "compass info (3-layer stream)": ["info", stream],
    "compass decode -k 1 (base layer, 192x128)": ["decode", stream, "-o", out, "-k", "1"],
    "compass decode (3 layers, up to 768x512)": ["decode", stream, "-o", out],
}
commands = {c: a for c, a in commands.items() if re.search(only, c)}

def run(tool, args):
    """Wall seconds, CPU (user + system) seconds and peak RSS (KiB) of one process, from wait4's rusage."""
    started = time.perf_counter()
    p = subprocess.Popen(pin + [os.path.join(tool, "compass")] + args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - started
    err = p.stderr.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"cli-startup: {' '.join(args)} failed with {tool}: {err}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss

times = {(t, c): [] for t in tools for c in commands}
for t in tools:  # one warm-up each: the page cache (every process still starts and JITs cold)
    run(t, ["info", stream])
for r in range(rounds):
    for c, args in commands.items():
        for t in tools:
            times[(t, c)].append(run(t, args))
            if raw:
                wall, cpu, rss = times[(t, c)][-1]
                with open(raw, "a") as f:
                    f.write(f"{t}\t{c}\t{r + 1}\t{wall:.4f}\t{cpu:.4f}\t{rss}\n")

def name(tool): return os.path.basename(os.path.normpath(tool))
print(f"\n{rounds} rounds, contenders interleaved; medians. Load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs.\n")
print("| command | " + " | ".join(f"{name(t)} wall | {name(t)} CPU" for t in tools) + " |")
print("|---|" + "---:|---:|" * len(tools))
for c in commands:
    cells = []
    for t in tools:
        walls, cpus, _ = zip(*times[(t, c)])
        cells += [f"{statistics.median(walls):.2f} s", f"{statistics.median(cpus):.2f} s"]
    print(f"| `{c}` | " + " | ".join(cells) + " |")

if not any("decode" in c for c in commands):
    sys.exit(0)
# Model load: one --verbose decode per tool; its Debug lines time the bundle read and each session.
print("\nModel load (one `compass decode --verbose` each): bundle read + verify, and each session created:")
for t in tools:
    p = subprocess.run(pin + [os.path.join(t, "compass"), "decode", stream, "-o", out, "--verbose"], capture_output=True, text=True)
    bundle = [float(m) for m in re.findall(r"read and verified in (\d+) ms", p.stderr)]
    sessions = re.findall(r"ONNX graph '([^']+)': session created in (\d+) ms", p.stderr)
    total = sum(bundle) + sum(float(ms) for _, ms in sessions)
    print(f"- {name(t)}: bundle {sum(bundle):.0f} ms; sessions " + ", ".join(f"{g} {ms} ms" for g, ms in sessions)
          + f"; together {total:.0f} ms")
shutil.rmtree(out, ignore_errors=True)
PY
