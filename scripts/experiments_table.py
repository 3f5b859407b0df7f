#!/usr/bin/env python3
"""Markdown table of docs/training/experiments.jsonl (generated; numbers are not typed by hand).

usage: scripts/experiments_table.py docs/training/experiments.jsonl"""
import json, sys
# Only single-layer Kodak measurements (bench-recipe / record-recipe lines) have a row; the file also
# records ladders, smoke runs and runs without a Kodak measurement, which have no "kodak" object.
rows = [r for r in (json.loads(l) for l in open(sys.argv[1]) if l.strip()) if "kodak" in r]
print("| run | recipe | steps | CPU h (own) | CPU h (with init) | wall h | Kodak bpp | PSNR dB | vs JPEG 4:2:0 (dB at equal rate) | vs JPEG 2000 (dB) |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for r in rows:
    rc, t, k, a = r["recipe"], r["training"], r["kodak"], r["vsAnchors"]
    fmt = lambda v: "n/a" if v is None else f"{v:+.2f}"
    # A variable-rate run has one line per level, labelled "... [qK]".
    name = r.get('id') or r['label'].split(':')[0] + (" " + r['label'][r['label'].rindex('['):] if r['label'].endswith(']') and ':' in r['label'] else "")
    variant = f", {rc['variant']}" if rc.get('variant') else ""
    print(f"| {name} | {rc['preset']} {rc['N']}/{rc['M']}, lambda {rc['lambda']}{variant}, {rc['schedule']}, {rc['crop']}x{rc['batch']}, {rc['threads']} thread{'s' if rc['threads']>1 else ''}{', budget '+rc['budget'] if rc.get('budget') else ''} | {t['steps']} | {t['cpuHours']:.2f} | {t.get('totalCpuHours', t['cpuHours']):.2f} | {t['wallHours']:.2f} | {k['bpp']:.4f} | {k['psnr']:.2f} | {fmt(a['jpeg-420']['dbAtEqualRate'])} | {fmt(a['jpeg2000']['dbAtEqualRate'])} |")
