#!/usr/bin/env bash
# Packs every package (build/local-feed.sh: Compass.Core, Compass.Onnx, Compass.Onnx.Cpu, Compass.Onnx.Gpu,
# Compass.Training, Compass.Evaluation, the compass tool Compass.Cli, ...) into a local feed, checks what is
# inside each package and how they depend on each other, then uses them the way a NuGet consumer would:
#   - samples/PackageConsumer (outside Compass.sln) references Compass.Onnx.Cpu BY VERSION from the feed,
#     must restore no CUDA natives (no *.Gpu* package), encodes and decodes an image and checks the result;
#   - samples/PackageConsumer/TrainingConsumer restores Compass.Training and must get its
#     buildTransitive ELF-patch targets;
#   - the compass tool is installed from the feed and runs `info` and `decode` on the consumer's stream.
# Every run packs a unique version (0.1.0-ci.<UTC time>.<pid>) so a package cached by an earlier run can
# never be used; this run's versions are removed from the NuGet cache at the end.
# Model: COMPASS_MODEL=<bundle folder or zip> if set, else the default model embedded in Compass.Onnx
# (src/Compass.Onnx/Models/default.zip); with neither the script fails saying so.
# Last line: "pack-and-consume: PASS ..." or "pack-and-consume: FAIL: ...". Exit code 0 only on PASS.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
start=$(date +%s)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 OMP_WAIT_POLICY=PASSIVE

version="0.1.0-ci.$(date -u +%Y%m%d%H%M%S).$$"
feed="$root/artifacts/feed"
work="$root/artifacts/consume"
tools=$(mktemp -d /tmp/compass-tool-XXXXXX)
packages_dir="${NUGET_PACKAGES:-$HOME/.nuget/packages}"

cleanup() {
  rm -rf "$tools"
  for dir in "${packages_dir:?}"/compass.*/"$version"; do
    [ -d "$dir" ] || continue
    rm -rf "$dir"
    rmdir "$(dirname "$dir")" 2>/dev/null || true   # only when no other version is cached
  done
}
trap cleanup EXIT
fail() { echo "pack-and-consume: FAIL: $*"; exit 1; }
step() { echo "== pack-and-consume: $* ($(( $(date +%s) - start )) s)"; }

if [ -n "${COMPASS_MODEL:-}" ]; then
  [ -e "$COMPASS_MODEL" ] || fail "COMPASS_MODEL=$COMPASS_MODEL does not exist"
  model_args=(--model "$COMPASS_MODEL" --provider cpu)
elif [ -f src/Compass.Onnx/Models/default.zip ]; then
  model_args=()
else
  fail "no model: src/Compass.Onnx/Models/default.zip is missing (no default model is embedded) and COMPASS_MODEL is not set"
fi

# --- 1. pack ---
step "packing version $version into $feed"
rm -rf "$feed" "$work"; mkdir -p "$work"
# The same packing as a developer's local feed (it also starts the tool's Release output clean).
COMPASS_VERSION="$version" bash build/local-feed.sh || fail "build/local-feed.sh failed"

# --- 2. package contents ---
step "checking package contents"
python3 - "$feed" "$version" "$root" "$packages_dir" <<'PY' || fail "package contents (see above)"
import glob, hashlib, re, sys, zipfile, os
feed, version, root, packages_dir = sys.argv[1:5]
errors = []
def check(ok, what):
    print(("  ok   " if ok else "  FAIL ") + what)
    if not ok: errors.append(what)
libs = {"Compass.Core": "Compass.Core", "Compass.Onnx": "Compass.Onnx", "Compass.Training": "Compass.Training"}
# Dependency-only packages: ONNX Runtime's natives next to Compass.Onnx, no assembly of their own.
natives = {"Compass.Onnx.Cpu": "Microsoft.ML.OnnxRuntime", "Compass.Onnx.Gpu": "Microsoft.ML.OnnxRuntime.Gpu"}
def dependencies(nuspec):
    return dict(re.findall(r'<dependency id="([^"]+)" version="([^"]+)"', nuspec))
for pid in ["Compass.Core", "Compass.Onnx", "Compass.Onnx.Cpu", "Compass.Onnx.Gpu", "Compass.Training", "Compass.Cli"]:
    path = os.path.join(feed, f"{pid}.{version}.nupkg")
    spath = os.path.join(feed, f"{pid}.{version}.snupkg")
    if not os.path.exists(path):
        check(False, f"{pid}: {os.path.basename(path)} exists"); continue
    size = os.path.getsize(path)
    print(f"  {pid}.{version}.nupkg  {size/1e6:.1f} MB")
    z = zipfile.ZipFile(path); names = set(z.namelist())
    nuspec = z.read(f"{pid}.nuspec").decode()
    check(size < 250e6, f"{pid}: under nuget.org's 250 MB limit ({size/1e6:.1f} MB)")
    if pid not in natives:
        check(os.path.exists(spath) and any(n.endswith(".pdb") for n in zipfile.ZipFile(spath).namelist()), f"{pid}: symbols package with PDBs")
    check('<license type="expression">MIT</license>' in nuspec, f"{pid}: licence expression MIT")
    check(re.search(r'<repository type="git"', nuspec) is not None, f"{pid}: repository type git")
    check("<readme>README.md</readme>" in nuspec and "README.md" in names, f"{pid}: README.md packed and declared")
    readme = z.read("README.md").decode() if "README.md" in names else ""
    check(readme.startswith(f"# ") and "```" in readme[:400], f"{pid}: README starts with its example")
    if pid in libs:
        a = libs[pid]
        check(f"lib/net10.0/{a}.dll" in names and f"lib/net10.0/{a}.xml" in names, f"{pid}: lib/net10.0 dll + XML docs")
    deps = dependencies(nuspec)
    if pid == "Compass.Onnx":
        check(deps.get("Compass.Core") == version, "Compass.Onnx: depends on Compass.Core of the same version")
        check(deps.get("Microsoft.ML.OnnxRuntime.Managed") == "1.31.0", "Compass.Onnx: depends on Microsoft.ML.OnnxRuntime.Managed 1.31.0")
        native = [d for d in deps if d.startswith("Microsoft.ML.OnnxRuntime") and d != "Microsoft.ML.OnnxRuntime.Managed"]
        check(not native, f"Compass.Onnx: no ONNX Runtime native package among its dependencies ({', '.join(native) or 'none'})")
    if pid in natives:
        check(deps.get("Compass.Onnx") == version, f"{pid}: depends on Compass.Onnx of the same version")
        check(deps.get(natives[pid]) == "1.31.0", f"{pid}: depends on {natives[pid]} 1.31.0")
        others = sorted(d for d in deps if d.startswith("Microsoft.ML.OnnxRuntime") and d != natives[pid])
        check(not others, f"{pid}: no other ONNX Runtime package ({', '.join(others) or 'none'})")
        check("lib/net10.0/_._" in names and not any(n.endswith(".dll") for n in names), f"{pid}: no assembly, lib/net10.0/_._ only")
    if pid == "Compass.Training":
        check("buildTransitive/Compass.Training.targets" in names and "buildTransitive/ElfVersionPatcher.cs" in names,
              "Compass.Training: buildTransitive/Compass.Training.targets + ElfVersionPatcher.cs")
    if pid == "Compass.Cli":
        check('<packageType name="DotnetTool"' in nuspec and "tools/net10.0/any/compass.dll" in names, "Compass.Cli: a .NET tool (compass)")
        check(not any("providers_cuda" in n for n in names), "Compass.Cli: no CUDA provider natives (CPU ONNX Runtime)")
        check(any(n.endswith("linux-x64/native/libonnxruntime.so") for n in names), "Compass.Cli: ONNX Runtime natives for linux-x64")
        check(not any("/runtimes/android/" in n or "/runtimes/ios/" in n for n in names), "Compass.Cli: no Android/iOS natives")
        cpu = {hashlib.sha256(open(f, "rb").read()).hexdigest() for f in
               glob.glob(os.path.join(packages_dir, "microsoft.ml.onnxruntime", "*", "runtimes", "linux-x64", "native", "libonnxruntime.so"))}
        shipped = hashlib.sha256(z.read("tools/net10.0/any/runtimes/linux-x64/native/libonnxruntime.so")).hexdigest() \
            if "tools/net10.0/any/runtimes/linux-x64/native/libonnxruntime.so" in names else None
        check(shipped in cpu, "Compass.Cli: its libonnxruntime.so is the one of Microsoft.ML.OnnxRuntime (CPU build)")
# The README example compiles: every line of its code block appears, in order, in the consumer app.
example = open(os.path.join(root, "samples/PackageConsumer/ReadmeExample.cs")).read().splitlines()
for doc in ["Compass.Onnx", "Compass.Onnx.Cpu", "Compass.Onnx.Gpu", "Compass.Core"]:
    text = open(os.path.join(root, f"docs/packages/{doc}.md")).read()
    block = re.search(r"```csharp\n(.*?)```", text, re.S).group(1)
    i = 0; ok = True
    for line in (l.strip() for l in block.splitlines() if l.strip()):
        while i < len(example) and example[i].strip() != line: i += 1
        if i == len(example): ok = False; print(f"    missing in ReadmeExample.cs: {line}"); break
    check(ok, f"{doc} README example is the consumer's ReadmeExample.cs")
sys.exit(1 if errors else 0)
PY

# --- 3. consumer app: Compass.Onnx.Cpu by version ---
step "building samples/PackageConsumer against Compass.Onnx.Cpu $version"
consumer=samples/PackageConsumer
dotnet build "$consumer/PackageConsumer.csproj" -c Release -p:CompassVersion="$version" -o "$work/app" --nologo -v q -clp:NoSummary \
  || fail "samples/PackageConsumer did not build against the packages"
# A CPU consumer restores ONNX Runtime's CPU build and nothing of the CUDA one.
python3 - "$consumer/obj/project.assets.json" "$work/app" "$version" <<'PY' || fail "the CPU consumer's restore (see above)"
import json, os, sys
assets, app, version = sys.argv[1:4]
libraries = json.load(open(assets))["libraries"]
errors = []
def check(ok, what):
    print(("  ok   " if ok else "  FAIL ") + what)
    if not ok: errors.append(what)
gpu = sorted(k for k in libraries if ".Gpu" in k.split("/")[0])
check(not gpu, f"no *.Gpu* package in the consumer's project.assets.json ({', '.join(gpu) or 'none'})")
for lib in ["Compass.Onnx.Cpu", "Compass.Onnx", "Compass.Core"]:
    check(f"{lib}/{version}" in libraries, f"{lib} {version} restored")
check("Microsoft.ML.OnnxRuntime/1.31.0" in libraries, "Microsoft.ML.OnnxRuntime 1.31.0 (CPU natives) restored")
cuda = [os.path.join(d, f) for d, _, fs in os.walk(app) for f in fs if "providers_cuda" in f]
check(not cuda, "no CUDA provider library in the consumer's output")
check(os.path.exists(os.path.join(app, "runtimes/linux-x64/native/libonnxruntime.so")), "libonnxruntime.so (linux-x64) in the consumer's output")
sys.exit(1 if errors else 0)
PY
step "running the consumer"
COMPASS_EXPECT_VERSION="$version" dotnet "$work/app/PackageConsumer.dll" "$work/consumer.cmps"
rc=$?
[ "$rc" -eq 0 ] || fail "the consumer app exited with $rc"

# --- 4. Compass.Training's buildTransitive targets reach a consumer ---
step "restoring samples/PackageConsumer/TrainingConsumer (Compass.Training $version)"
training=$consumer/TrainingConsumer/TrainingConsumer.csproj
dotnet restore "$training" -p:CompassVersion="$version" -v q --nologo || fail "TrainingConsumer did not restore"
patch=$(dotnet msbuild "$training" -p:CompassVersion="$version" -getProperty:CompassPatchTorchSharp -nologo)
[ "$patch" = "true" ] || fail "a project referencing Compass.Training does not import buildTransitive/Compass.Training.targets (CompassPatchTorchSharp='$patch')"
grep -q "buildTransitive/Compass.Training.targets" "$consumer/TrainingConsumer/obj/TrainingConsumer.csproj.nuget.g.targets" \
  || fail "TrainingConsumer's nuget.g.targets does not import Compass.Training.targets"
echo "  ok   Compass.Training.targets is imported by a package consumer"

# --- 5. the compass tool from the feed ---
step "installing the compass tool $version from the feed"
# From the consumer folder: its nuget.config maps Compass.* to the local feed (--add-source cannot be
# combined with package source mapping).
(cd "$consumer" && dotnet tool install Compass.Cli --version "$version" --tool-path "$tools" >/dev/null) \
  || fail "dotnet tool install Compass.Cli $version failed"
"$tools/compass" info "$work/consumer.cmps"; rc=$?
[ "$rc" -eq 0 ] || fail "compass info exited with $rc"
"$tools/compass" decode "$work/consumer.cmps" -o "$work/decoded" "${model_args[@]}" 2>"$work/decode.err"; rc=$?
cat "$work/decode.err" >&2
[ "$rc" -eq 0 ] || fail "compass decode exited with $rc"
grep -q "\[E:onnxruntime" "$work/decode.err" && fail "compass decode printed an ONNX Runtime error line"
[ -f "$work/decoded/layer2.png" ] || fail "compass decode wrote no layer2.png"
echo "  ok   compass info and compass decode (tool from the feed)"

echo "pack-and-consume: sizes: $(cd "$feed" && ls -l *.nupkg | awk '{printf "%s %.1f MB; ", $9, $5/1e6}')"
echo "pack-and-consume: PASS ($version, $(( $(date +%s) - start )) s)"
