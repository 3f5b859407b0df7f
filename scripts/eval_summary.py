#!/usr/bin/env python3
"""Mean COMPASS rate-distortion points per configuration from `compass eval` results (schema compass-eval/1),
one table row per model, so that models sharing a base layer can be compared at every ratio.

usage: eval_summary.py LAMBDA EVAL.json [EVAL.json ...]
  Prints, per setup and configuration: model, images, mean bpp of all layers, mean PSNR of the final layer and
  J = bpp + LAMBDA * 255^2 * MSE (the training objective's form, MSE from the mean of per-image MSEs; lower is better)."""
import json
import sys


def compass_points(results, lam, curve="compass"):
    """{"<setup> <configuration>": {model: {images, bpp, psnr, J}}} over the rows of one curve."""
    points = {}
    for setup in results["setups"]:
        groups = {}
        for row in setup["rows"]:
            if row["curve"] != curve:
                continue
            groups.setdefault((row["configuration"], row["model"]), []).append(row)
        for (config, model), rows in groups.items():
            n = len(rows)
            bpp = sum(r["bpp"] for r in rows) / n
            mse = sum(10 ** (-r["psnr"] / 10) for r in rows) / n
            psnr = sum(r["psnr"] for r in rows) / n
            points.setdefault(f"{setup['name']} {config}", {})[model] = {
                "images": n, "bpp": round(bpp, 5), "psnr": round(psnr, 3), "J": round(bpp + lam * 255 ** 2 * mse, 5)}
    return points


if __name__ == "__main__":
    lam = float(sys.argv[1])
    merged = {}
    for path in sys.argv[2:]:
        for config, models in compass_points(json.load(open(path)), lam).items():
            merged.setdefault(config, {}).update(models)
    print("| configuration | model | images | bpp | PSNR (dB) | J |")
    print("|---|---|---|---|---|---|")
    for config, models in merged.items():
        for model, p in models.items():
            print(f"| {config} | {model} | {p['images']} | {p['bpp']:.4f} | {p['psnr']:.2f} | {p['J']:.4f} |")
