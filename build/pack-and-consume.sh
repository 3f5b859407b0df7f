#!/usr/bin/env bash
# Packs Compass.Core, Compass.Onnx, Compass.Training and the compass tool (Compass.Cli) into a local
# feed, checks what is inside each package, then uses them the way a NuGet consumer would:
#   - samples/PackageConsumer (outside Compass.sln) references Compass.Onnx BY VERSION from the feed,
#     encodes and decodes an image and checks the result;
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
  for id in compass.core compass.onnx compass.training; do
    rm -rf "${packages_dir:?}/$id/$version"
    rmdir "$packages_dir/$id" 2>/dev/null || true   # only when no other version is cached
  done
}
trap cleanup EXIT
fail() { echo "pack-and-consume: FAIL: $*"; exit 1; }
step() { echo "== pack-and-consume: $* ($(( $(date +%s) - start )) s)"; }

if [ -n "${COMPASS_MODEL:-}" ]; then
  [ -e "$COMPASS_MODEL" ] || fail "COMPASS_MODEL=$COMPASS_MODEL does not exist"
  model_args=(--model "$COMPASS_MODEL" --provider cpu)
elif [ -f src/Compass.Onnx/Models/default.zip ]; then
  # The tool ships ONNX Runtime's CPU build: asking for CPU skips ONNX Runtime's CUDA-probe error lines.
  model_args=(--provider cpu)
else
  fail "no model: src/Compass.Onnx/Models/default.zip is missing (no default model is embedded) and COMPASS_MODEL is not set"
fi

# --- 1. pack ---
step "packing version $version into $feed"
rm -rf "$feed" "$work"; mkdir -p "$feed" "$work"
# The tool's Release output may hold another ONNX Runtime variant's natives (-p:CompassToolOnnxRuntime=gpu...),
# which an incremental publish would keep (they are newer than the package's): start it clean.
rm -rf src/Compass.Cli/bin/Release src/Compass.Cli/obj/Release
for project in Compass.Core Compass.ImageSharp Compass.SkiaSharp Compass.Onnx Compass.Training Compass.Cli; do
  dotnet pack "src/$project/$project.csproj" -c Release -o "$feed" -p:Version="$version" --nologo -v q -clp:NoSummary \
    || fail "dotnet pack src/$project failed"
done

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
for pid in ["Compass.Core", "Compass.Onnx", "Compass.Training", "Compass.Cli"]:
    path = os.path.join(feed, f"{pid}.{version}.nupkg")
    spath = os.path.join(feed, f"{pid}.{version}.snupkg")
    if not os.path.exists(path):
        check(False, f"{pid}: {os.path.basename(path)} exists"); continue
    size = os.path.getsize(path)
    print(f"  {pid}.{version}.nupkg  {size/1e6:.1f} MB")
    z = zipfile.ZipFile(path); names = set(z.namelist())
    nuspec = z.read(f"{pid}.nuspec").decode()
    check(size < 250e6, f"{pid}: under nuget.org's 250 MB limit ({size/1e6:.1f} MB)")
    check(os.path.exists(spath) and any(n.endswith(".pdb") for n in zipfile.ZipFile(spath).namelist()), f"{pid}: symbols package with PDBs")
    check('<license type="expression">MIT</license>' in nuspec, f"{pid}: licence expression MIT")
    check(re.search(r'<repository type="git"', nuspec) is not None, f"{pid}: repository type git")
    check("<readme>README.md</readme>" in nuspec and "README.md" in names, f"{pid}: README.md packed and declared")
    readme = z.read("README.md").decode() if "README.md" in names else ""
    check(readme.startswith(f"# ") and "```" in readme[:400], f"{pid}: README starts with its example")
    if pid in libs:
        a = libs[pid]
        check(f"lib/net10.0/{a}.dll" in names and f"lib/net10.0/{a}.xml" in names, f"{pid}: lib/net10.0 dll + XML docs")
    if pid == "Compass.Onnx":
        check(f'id="Compass.Core" version="{version}"' in nuspec, "Compass.Onnx: depends on Compass.Core of the same version")
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
for doc in ["Compass.Onnx", "Compass.Core"]:
    text = open(os.path.join(root, f"docs/packages/{doc}.md")).read()
    block = re.search(r"```csharp\n(.*?)```", text, re.S).group(1)
    i = 0; ok = True
    for line in (l.strip() for l in block.splitlines() if l.strip()):
        while i < len(example) and example[i].strip() != line: i += 1
        if i == len(example): ok = False; print(f"    missing in ReadmeExample.cs: {line}"); break
    check(ok, f"{doc} README example is the consumer's ReadmeExample.cs")
sys.exit(1 if errors else 0)
PY

# --- 3. consumer app: Compass.Onnx by version ---
step "building samples/PackageConsumer against Compass.Onnx $version"
consumer=samples/PackageConsumer
dotnet build "$consumer/PackageConsumer.csproj" -c Release -p:CompassVersion="$version" -o "$work/app" --nologo -v q -clp:NoSummary \
  || fail "samples/PackageConsumer did not build against the packages"
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
"$tools/compass" decode "$work/consumer.cmps" -o "$work/decoded" "${model_args[@]}"; rc=$?
[ "$rc" -eq 0 ] || fail "compass decode exited with $rc"
[ -f "$work/decoded/layer2.png" ] || fail "compass decode wrote no layer2.png"
echo "  ok   compass info and compass decode (tool from the feed)"

echo "pack-and-consume: sizes: $(cd "$feed" && ls -l *.nupkg | awk '{printf "%s %.1f MB; ", $9, $5/1e6}')"
echo "pack-and-consume: PASS ($version, $(( $(date +%s) - start )) s)"
