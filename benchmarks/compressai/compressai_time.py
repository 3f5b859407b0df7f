#!/usr/bin/env python3
"""Times CompressAI's mbt2018_mean (random weights) compress/decompress of one image, as CompressAI's own
`compress`/`decompress` do it: transforms plus its C++ rANS coder. Prints one JSON line per round (wall and process CPU milliseconds).

Usage: compressai_time.py IMAGE [ROUNDS]
Needs a CompressAI source tree with its C++ extensions built in place on PYTHONPATH (see README.md).
"""
import json
import sys
import time
import types

# CompressAI's package __init__ imports everything it has (datasets, point-cloud models and losses, torchvision and
# torch_geometric transforms for its registry). The image codec needs none of them, so the `compressai` and
# `compressai.models` packages are entered without running their __init__, and the two transform packages that
# its registry reads get empty stand-ins.
import importlib.util  # noqa: E402
import os  # noqa: E402


def _bare_package(name, parent_dir):
    module = types.ModuleType(name)
    module.__path__ = [os.path.join(parent_dir, *name.split(".")[1:])] if "." in name else [os.path.join(parent_dir, name)]
    sys.modules[name] = module
    return module


def _find_source_root():
    spec = importlib.util.find_spec("compressai")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("compressai is not on PYTHONPATH (see benchmarks/compressai/README.md)")
    return os.path.dirname(list(spec.submodule_search_locations)[0])


_root = _find_source_root()
_bare_package("compressai", _root)
sys.modules["compressai.models"] = _bare_package("compressai.models", os.path.join(_root, "compressai"))
sys.modules["compressai.models"].__path__ = [os.path.join(_root, "compressai", "models")]
sys.modules["compressai"].__path__ = [os.path.join(_root, "compressai")]
sys.modules["compressai"].get_entropy_coder = lambda: "ans"  # what the package's default is: its C++ rANS
sys.modules["compressai"].available_entropy_coders = lambda: ["ans"]
for _name in ("torchvision", "torchvision.transforms", "torch_geometric", "torch_geometric.transforms"):
    sys.modules.setdefault(_name, types.ModuleType(_name))
    if "." in _name:
        _parent, _child = _name.rsplit(".", 1)
        setattr(sys.modules[_parent], _child, sys.modules[_name])

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

from compressai.models.google import MeanScaleHyperprior  # noqa: E402


def main():
    path = sys.argv[1]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    torch.set_num_threads(1)
    torch.manual_seed(0)
    net = MeanScaleHyperprior(N=128, M=192).eval()  # mbt2018_mean's width at qualities 1-4
    net.update(force=True)
    img = np.asarray(Image.open(path).convert("RGB"), dtype=np.float32) / 255.0
    x = torch.from_numpy(img).permute(2, 0, 1).unsqueeze(0).contiguous()
    h, w = x.shape[2:]
    with torch.no_grad():
        # Warm-up: the first call of each op allocates and picks kernels.
        out = net.compress(x)
        net.decompress(out["strings"], out["shape"])
        for _ in range(rounds):
            t0, c0 = time.perf_counter(), time.process_time()
            out = net.compress(x)
            t1, c1 = time.perf_counter(), time.process_time()
            rec = net.decompress(out["strings"], out["shape"])["x_hat"]
            t2, c2 = time.perf_counter(), time.process_time()
            nbytes = sum(len(s[0]) for s in out["strings"])
            print(json.dumps({"tool": "compressai", "image": f"{w}x{h}", "encode_ms": round((t1 - t0) * 1000, 1),
                              "decode_ms": round((t2 - t1) * 1000, 1), "encode_cpu_ms": round((c1 - c0) * 1000, 1),
                              "decode_cpu_ms": round((c2 - c1) * 1000, 1), "bytes": nbytes,
                              "threads": torch.get_num_threads(), "rec": list(rec.shape)}), flush=True)


if __name__ == "__main__":
    main()
