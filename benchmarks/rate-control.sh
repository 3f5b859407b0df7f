#!/usr/bin/env bash
# Rate control on a folder of PNG photos: for each photo and each budget (bits per pixel of the image), encodes with
# --target-bytes and prints photo, bpp, target bytes, achieved bytes and the quality chosen per layer (or FAIL and the
# tool's message when the budget is below the model's lowest quality). Usage: benchmarks/rate-control.sh <folder> [compass]
set -euo pipefail
folder=${1:?folder of PNG photos}
compass=${2:-compass}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for f in "$folder"/*.png; do
  px=$(python3 -c "import struct,sys; d=open(sys.argv[1],'rb').read(24); w,h=struct.unpack('>II',d[16:24]); print(w*h)" "$f")
  for bpp in 0.2 0.35 0.5 0.7 0.9; do
    t=$(python3 -c "import sys; print(int(int(sys.argv[1])*float(sys.argv[2])/8))" "$px" "$bpp")
    if out=$("$compass" encode "$f" -o "$tmp/s.cmps" --target-bytes "$t" --json --threads 1 --provider cpu 2>"$tmp/err"); then
      got=$(python3 -c "import json,sys; d=json.load(sys.stdin); print(d['totalBytes'], ','.join(str(l['quality']) for l in d['layers']))" <<<"$out")
      echo "$(basename "$f") $bpp $t $got"
    else
      echo "$(basename "$f") $bpp $t FAIL $(head -c 200 "$tmp/err" | tr '\n' ' ')"
    fi
  done
done
