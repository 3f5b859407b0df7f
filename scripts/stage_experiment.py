#!/usr/bin/env python3
"""Appends one line per enhancement-layer stage experiment to docs/training/stage-experiments.jsonl, from the
model card the trainer wrote (validation on Kodak crops: a proxy, not real streams). Numbers are not typed.

usage: stage_experiment.py OUT.jsonl LABEL NOTE CARD.json"""
import datetime
import json
import sys

out, label, note, card_path = sys.argv[1:5]
c = json.load(open(card_path))
lam = c.get("lambda") or 0.0
v = c.get("validation") or {}
mse = v.get("mse")
line = {
    "recorded": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    "label": label, "note": note, "card": card_path,
    "recipe": {k: c.get(k) for k in ("stage", "preset", "lambda", "quality", "schedule", "batchSize", "cropSize", "threads", "init", "variant")},
    "training": {"steps": c.get("steps"), "cpuSeconds": c.get("cpuSeconds"), "wallSeconds": c.get("wallSeconds")},
    "validation": v,
    # The stage's own objective on the validation crops: rate + lambda * 255^2 * MSE (lower is better).
    "validationRdLoss": None if mse is None else round(v.get("bpp", 0.0) + lam * 255 ** 2 * mse, 5),
}
with open(out, "a") as f:
    f.write(json.dumps(line) + "\n")
print(label, line["validationRdLoss"])
