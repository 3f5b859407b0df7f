#!/usr/bin/env python3
"""Builds a shipped bundle's model card from the files the trainer and `compass eval` wrote.

Nothing is typed in by hand: every number comes from a stage card (*.card.json, written by
`compass-train train`), a line of experiments.jsonl (for weights a run started from, whose checkpoint
was rotated out) or a results file of `compass eval`.

usage: model_card.py --out CARD --quality Q --eval a.json[,b.json] STAGE...
  STAGE is a stage card path, or EXPERIMENTS.jsonl#LABEL-PREFIX for the initial weights that run
  started from (its training.initCpuHours), in training order.
"""
import argparse
import gzip
import json


def stage_from_card(path):
    c = json.load(open(path))
    keys = ("stage", "quality", "lambda", "steps", "batchSize", "cropSize", "schedule", "wallSeconds", "cpuSeconds", "validation")
    return {k: c.get(k) for k in keys} | {"card": path}


def stage_from_experiment(spec):
    path, label = spec.split("#", 1)
    for line in open(path):
        d = json.loads(line)
        if d["label"].startswith(label):
            t = d["training"]
            return {"stage": "initial weights of " + d["label"], "cpuSeconds": round(t["initCpuHours"] * 3600, 1),
                    "source": t.get("initCpuHoursSource"), "experiments": path}
    raise SystemExit(f"no experiment labelled {label!r} in {path}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", required=True)
    p.add_argument("--quality", type=int, required=True)
    p.add_argument("--eval", required=True, help="comma-separated compass eval results files")
    p.add_argument("stages", nargs="+")
    a = p.parse_args()

    stages = [stage_from_experiment(s) if "#" in s else stage_from_card(s) for s in a.stages]
    last = json.load(open(a.stages[-1]))
    # compass eval writes gzip when the file name ends in .gz.
    evals = [json.load(gzip.open(e, "rt") if e.endswith(".gz") else open(e)) for e in a.eval.split(",")]
    means, identities = [], []
    for ev in evals:
        identities += [m["identity"] for m in ev["models"] if m["quality"] == a.quality]
        for s in ev["setups"]:
            for m in s["means"]:
                if m["quality"] == a.quality:
                    means.append({"setup": s["name"], "configuration": m["configuration"], "curve": m["curve"], "model": m["model"],
                                  "images": m["images"], "bpp": round(m["bpp"], 4), "psnr": round(m["psnr"], 3)})
    card = {
        "format": "compass-model-card/1",
        "summary": f"Compact preset, quality {a.quality} (lambda {last.get('lambda')}). Stages trained on a shared 2-core CPU (no GPU); "
                   "CPU-seconds per stage below, in training order. Kodak numbers from compass eval (real streams).",
        "preset": last.get("preset"), "quality": a.quality, "lambda": last.get("lambda"),
        "data": "680 photos (BSDS500 test split, Sun-Hays80, Urban100), random crops and flips; Kodak only for validation and evaluation",
        "machine": "2-core shared CPU (AMD EPYC), no GPU, 1 libtorch thread per run, several runs at once",
        "stages": stages,
        "totalCpuHours": round(sum(s.get("cpuSeconds") or 0 for s in stages) / 3600, 3),
        "kodak": {"source": a.eval, "measuredOnIdentity": identities,
                  "note": "measured with compass eval on the bundle exported from the same weights without this card "
                          "(identical graphs, so identical streams and PSNR; the card changes only the manifest hash)",
                  "protocol": evals[0].get("protocol"), "means": means},
    }
    json.dump(card, open(a.out, "w"), indent=2)
    print(a.out, card["totalCpuHours"], "CPU-h,", len(means), "Kodak mean points")


if __name__ == "__main__":
    main()
