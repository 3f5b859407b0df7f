#!/usr/bin/env python3
"""Appends one line per enhancement-layer stage experiment to docs/training/stage-experiments.jsonl, from the
model card the trainer wrote (validation on Kodak crops: a proxy, not real streams) and, when given, the
`compass eval` results of the exported model (Kodak, real bitstreams). Numbers are not typed.

usage: stage_experiment.py OUT.jsonl LABEL NOTE CARD.json [EVAL.json]"""
import datetime
import json
import sys

from eval_summary import compass_points

out, label, note, card_path = sys.argv[1:5]
eval_path = sys.argv[5] if len(sys.argv) > 5 else None
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
    # The stage's own objective on the validation crops: rate + lambda * 255^2 * MSE (lower is better); none for liff (no lambda).
    "validationRdLoss": None if mse is None or not lam else round(v.get("bpp", 0.0) + lam * 255 ** 2 * mse, 5),
}
if eval_path:
    # Mean COMPASS point per configuration (final layer), from the real streams of `compass eval`.
    line["kodak"] = {"eval": eval_path, "configurations": compass_points(json.load(open(eval_path)), lam)}
with open(out, "a") as f:
    f.write(json.dumps(line) + "\n")
print(label, line["validationRdLoss"])
