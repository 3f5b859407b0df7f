#!/usr/bin/env python3
"""Prints one JSON line per throughput run (scripts/throughput.sh) from the model cards the trainer wrote.
Numbers are not typed: steps, wall and CPU seconds come from the cards.

usage: throughput.py WORK_DIR > docs/training/throughput.jsonl"""
import json
import os
import sys

work = sys.argv[1]
runs = [  # folder, what ran at the same time (a <folder>.beside file overrides it)
    ("c1", "alone"), ("c2", "alone"), ("p1", "with p2 (another 1-thread run)"), ("p2", "with p1 (another 1-thread run)"),
    ("s1", "alone"), ("s2", "alone"),
    # The codec nonlinearity (presets compact, compact-sgdn, compact-relu), 150 steps each.
    ("nl-compact", "alone"), ("nl-compact-sgdn", "alone"), ("nl-compact-relu", "alone"),
]
for name, beside in runs:
    card = os.path.join(work, name, "model-f16.card.json")
    if not os.path.exists(card):
        continue
    note = os.path.join(work, name + ".beside")
    if os.path.exists(note):
        beside = open(note).read().strip()
    c = json.load(open(card))
    print(json.dumps({
        "run": name, "stage": c["stage"], "preset": c["preset"], "batch": c["batchSize"], "crop": c["cropSize"],
        "threads": c["threads"], "concurrent": beside, "steps": c["steps"],
        "wallSeconds": c["wallSeconds"], "cpuSeconds": c["cpuSeconds"],
        "stepsPerWallSecond": round(c["steps"] / c["wallSeconds"], 3),
        "cpuSecondsPerStep": round(c["cpuSeconds"] / c["steps"], 3),
        "recorded": c.get("createdUtc"),
    }))
