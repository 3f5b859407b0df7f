#!/usr/bin/env python3
"""Trains Compass's base-layer codec (stage bl) with PyTorch alone, for a GPU machine where compass-train
(TorchSharp) cannot run on the installed libtorch.

It trains the same network with the same loss as `compass-train train --stage bl`: the mean-scale hyperprior
(CompressAI's MeanScaleHyperprior layout; preset compact: N=64, M=96, GDN), a factorised entropy bottleneck for
z with its auxiliary quantile loss, loss = bits/px + lambda * 255^2 * MSE, uniform noise for the likelihoods and
the rounded latent (around the predicted means, straight-through) for the synthesis, Adam with a step schedule
over the time budget and gradient-norm clipping.

It writes, into --out, every --checkpoint-minutes and at the end:
  model-f16.weights    Compass compact weights (the format compass-train writes): keys `base.<name>` equal to
                       the TorchSharp module's state_dict names, float16. Import with
                       `compass-train train --stage bl --init base=model-f16.weights ...` (or any stage's
                       `--init base=`).
  model-f16.card.json  what was trained (stage, preset, lambda, steps, time, device).
  model.pth            the plain float32 state_dict in CompressAI's layout (torch.save), for PyTorch tools.

Dependencies: torch; images are decoded with torchvision.io when it is installed, else with PIL.
"""

import argparse
import json
import math
import os
import random
import struct
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

# CompressAI's lambda ladder: quality q trains with LAMBDAS[q - 1] (the same table as Compass.Training's RateLadder).
LAMBDAS = [0.0018, 0.0035, 0.0067, 0.0130, 0.0250, 0.0483, 0.0932, 0.1800]
PRESETS = {"compact": (64, 96), "paper": (128, 192), "slim": (48, 72)}

REPARAM_OFFSET = 2.0 ** -18
PEDESTAL = REPARAM_OFFSET ** 2
BETA_MIN = 1e-6
SCALE_BOUND = 0.11
LIKELIHOOD_BOUND = 1e-9


class _LowerBound(torch.autograd.Function):
    """max(x, bound); the gradient passes where x >= bound or where it would push x up (CompressAI)."""

    @staticmethod
    def forward(ctx, x, bound):
        ctx.save_for_backward(x)
        ctx.bound = bound
        return x.clamp_min(bound)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        passes = (x >= ctx.bound) | (grad < 0)
        return grad * passes.to(grad.dtype), None


def lower_bound(x, bound):
    return _LowerBound.apply(x, float(torch.tensor(bound, dtype=torch.float32)))


class GDN(nn.Module):
    """GDN (or IGDN with inverse=True) with CompressAI's non-negative reparametrisation of beta and gamma."""

    def __init__(self, channels, inverse=False):
        super().__init__()
        self.inverse = inverse
        self.beta = nn.Parameter(torch.sqrt(torch.ones(channels) + PEDESTAL))
        self.gamma = nn.Parameter(torch.sqrt(0.1 * torch.eye(channels) + PEDESTAL))
        self.beta_bound = math.sqrt(BETA_MIN + PEDESTAL)
        self.gamma_bound = math.sqrt(PEDESTAL)

    def forward(self, x):
        c = x.shape[1]
        beta = lower_bound(self.beta, self.beta_bound) ** 2 - PEDESTAL
        gamma = (lower_bound(self.gamma, self.gamma_bound) ** 2 - PEDESTAL).reshape(c, c, 1, 1)
        norm = F.conv2d(x * x, gamma, beta)
        return x * (torch.sqrt(norm) if self.inverse else torch.rsqrt(norm))


class EntropyBottleneck(nn.Module):
    """CompressAI's fully factorised density model; parameter names as in its state_dict."""

    def __init__(self, channels, filters=(3, 3, 3, 3), init_scale=10.0, tail_mass=1e-9):
        super().__init__()
        self.channels = channels
        self.filters = tuple(filters)
        widths = (1,) + self.filters + (1,)
        scale = init_scale ** (1.0 / (len(self.filters) + 1))
        for i in range(len(self.filters) + 1):
            init = math.log(math.expm1(1.0 / scale / widths[i + 1]))
            self.register_parameter(f"_matrix{i}", nn.Parameter(torch.full((channels, widths[i + 1], widths[i]), init)))
            self.register_parameter(f"_bias{i}", nn.Parameter(torch.empty(channels, widths[i + 1], 1).uniform_(-0.5, 0.5)))
            if i < len(self.filters):
                self.register_parameter(f"_factor{i}", nn.Parameter(torch.zeros(channels, widths[i + 1], 1)))
        self.quantiles = nn.Parameter(torch.tensor([-init_scale, 0.0, init_scale]).repeat(channels, 1, 1))
        t = math.log(2.0 / tail_mass - 1.0)
        # Not persistent: Compass's state_dict has no 'target'.
        self.register_buffer("target", torch.tensor([-t, 0.0, t]), persistent=False)

    def logits_cumulative(self, inputs, stop_gradient):
        logits = inputs
        for i in range(len(self.filters) + 1):
            m = getattr(self, f"_matrix{i}")
            b = getattr(self, f"_bias{i}")
            if stop_gradient:
                m, b = m.detach(), b.detach()
            logits = torch.matmul(F.softplus(m), logits) + b
            if i < len(self.filters):
                f = getattr(self, f"_factor{i}")
                if stop_gradient:
                    f = f.detach()
                logits = logits + torch.tanh(f) * torch.tanh(logits)
        return logits

    def forward(self, z, training):
        if training:
            out = z + torch.empty_like(z).uniform_(-0.5, 0.5)
        else:
            medians = self.quantiles[:, 0, 1].reshape(1, -1, 1, 1)
            out = torch.round(z - medians) + medians
        values = out.transpose(0, 1).contiguous()
        shape = values.shape
        values = values.reshape(self.channels, 1, -1)
        lower = self.logits_cumulative(values - 0.5, stop_gradient=False)
        upper = self.logits_cumulative(values + 0.5, stop_gradient=False)
        sign = -torch.sign(lower + upper).detach()
        likelihood = torch.abs(torch.sigmoid(sign * upper) - torch.sigmoid(sign * lower))
        likelihood = lower_bound(likelihood, LIKELIHOOD_BOUND).reshape(shape).transpose(0, 1).contiguous()
        return out, likelihood

    def aux_loss(self):
        logits = self.logits_cumulative(self.quantiles, stop_gradient=True)
        return torch.abs(logits - self.target.reshape(1, 1, 3)).sum()


def gaussian_likelihood(values, scales, means):
    v = torch.abs(values - means)
    s = lower_bound(scales, SCALE_BOUND)
    upper = 0.5 * torch.erfc(-((0.5 - v) / s) / math.sqrt(2.0))
    lower = 0.5 * torch.erfc(-((-0.5 - v) / s) / math.sqrt(2.0))
    return lower_bound(upper - lower, LIKELIHOOD_BOUND)


def conv(cin, cout, k=5, s=2):
    return nn.Conv2d(cin, cout, k, stride=s, padding=k // 2)


def deconv(cin, cout):
    return nn.ConvTranspose2d(cin, cout, 5, stride=2, padding=2, output_padding=1)


class MeanScaleHyperprior(nn.Module):
    """Compass.Training's MeanScaleHyperprior (single-rate, GDN); images whose sides are multiples of 64."""

    def __init__(self, n, m):
        super().__init__()
        self.g_a = nn.Sequential(conv(3, n), GDN(n), conv(n, n), GDN(n), conv(n, n), GDN(n), conv(n, m))
        self.g_s = nn.Sequential(deconv(m, n), GDN(n, True), deconv(n, n), GDN(n, True), deconv(n, n), GDN(n, True), deconv(n, 3))
        self.h_a = nn.Sequential(conv(m, n, 3, 1), nn.LeakyReLU(0.01), conv(n, n), nn.LeakyReLU(0.01), conv(n, n))
        self.h_s = nn.Sequential(deconv(n, m), nn.LeakyReLU(0.01), deconv(m, m * 3 // 2), nn.LeakyReLU(0.01), conv(m * 3 // 2, m * 2, 3, 1))
        self.entropy_bottleneck = EntropyBottleneck(n)

    def forward(self, x, training):
        y = self.g_a(x)
        z = self.h_a(y)
        z_tilde, z_likelihoods = self.entropy_bottleneck(z, training)
        scales, means = self.h_s(z_tilde).chunk(2, 1)
        if training:
            y_tilde = y + torch.empty_like(y).uniform_(-0.5, 0.5)
            quantised = torch.round(y.detach() - means.detach()) + means.detach()
        else:
            y_tilde = torch.round(y - means) + means
            quantised = y_tilde.detach()
        y_likelihoods = gaussian_likelihood(y_tilde, scales, means)
        # Straight-through: the value is the quantised latent, the gradient reaches y.
        x_hat = self.g_s(quantised + (y - y.detach()))
        return x_hat, y_likelihoods, z_likelihoods

    def main_parameters(self):
        return [p for name, p in self.named_parameters() if not name.endswith("quantiles")]

    def aux_parameters(self):
        return [p for name, p in self.named_parameters() if name.endswith("quantiles")]


# ---------------------------------------------------------------------------------------------- data

def _decoder():
    try:
        import torchvision.io as tvio

        def read(path):
            return tvio.decode_image(tvio.read_file(path), mode=tvio.ImageReadMode.RGB)

        return read, "torchvision.io"
    except Exception:  # noqa: BLE001 - any import or API problem: try PIL
        pass
    try:
        from PIL import Image

        def read(path):
            with Image.open(path) as im:
                rgb = im.convert("RGB")
                data = torch.frombuffer(bytearray(rgb.tobytes()), dtype=torch.uint8)
                return data.reshape(rgb.height, rgb.width, 3).permute(2, 0, 1).contiguous()

        return read, "PIL"
    except ImportError:
        sys.exit("train_compass.py: needs torchvision or PIL to decode the training images")


def load_images(folder, crop):
    read, how = _decoder()
    files = sorted(
        os.path.join(d, f) for d, _, fs in os.walk(folder) for f in fs if f.lower().endswith((".png", ".jpg", ".jpeg"))
    )
    if not files:
        sys.exit(f"train_compass.py: no PNG or JPEG files in {folder}")
    images = []
    for path in files:
        try:
            image = read(path)
        except Exception as e:  # noqa: BLE001 - an unreadable file is skipped, as compass-train does
            print(f"skipping unreadable {path}: {e}", file=sys.stderr)
            continue
        if image.shape[1] >= crop and image.shape[2] >= crop:
            images.append(image)
    if not images:
        sys.exit(f"train_compass.py: no image in {folder} is at least {crop}x{crop}")
    print(f"loaded {len(images)} of {len(files)} images from {folder} with {how}", flush=True)
    return images


def sample_batch(images, batch, crop, rng, device):
    out = torch.empty(batch, 3, crop, crop, dtype=torch.uint8)
    for i in range(batch):
        image = images[rng.randrange(len(images))]
        top = rng.randrange(image.shape[1] - crop + 1)
        left = rng.randrange(image.shape[2] - crop + 1)
        c = image[:, top:top + crop, left:left + crop]
        out[i] = c.flip(2) if rng.random() < 0.5 else c
    return out.to(device, non_blocking=True).float().div_(255.0)


# ---------------------------------------------------------------------------------------------- output

def _leb128(value):
    out = bytearray()
    while True:
        b = value & 0x7F
        value >>= 7
        if value == 0:
            out.append(b)
            return bytes(out)
        out.append(b | 0x80)


# TorchSharp's ScalarType codes of the dtypes written here.
_SCALAR_TYPE = {torch.float16: 5, torch.float32: 6, torch.int64: 4}


def write_compact_weights(state, path):
    """Compass compact weights: "CMPSW16\\0", int32 1, int32 count, then per entry a .NET string (7-bit length,
    UTF-8) and TorchSharp's Tensor.Save: LEB128 dtype, LEB128 rank, LEB128 dims, raw little-endian data."""
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(b"CMPSW16\0")
        f.write(struct.pack("<ii", 1, len(state)))
        for name in sorted(state):
            t = state[name].detach().cpu()
            if t.is_floating_point():
                t = t.to(torch.float16)
            t = t.contiguous()
            encoded = name.encode("utf-8")
            f.write(_leb128(len(encoded)) + encoded)
            f.write(_leb128(_SCALAR_TYPE[t.dtype]) + _leb128(t.dim()) + b"".join(_leb128(d) for d in t.shape))
            f.write(_tensor_bytes(t))
    os.replace(tmp, path)


def _tensor_bytes(t):
    """The raw little-endian bytes of a contiguous CPU tensor (x86-64 is little-endian)."""
    try:
        return t.numpy().tobytes()
    except (RuntimeError, ImportError):  # a torch without numpy: slower, same bytes
        return bytes(t.flatten().view(torch.uint8).tolist())


_DTYPE_OF = {5: torch.float16, 6: torch.float32, 4: torch.int64}


def read_compact_weights(path):
    """The tensors of a Compass compact-weights file (float16 entries as float32), by name."""

    def leb(f):
        value, shift = 0, 0
        while True:
            b = f.read(1)[0]
            value |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return value

    result = {}
    with open(path, "rb") as f:
        if f.read(8) != b"CMPSW16\0" or struct.unpack("<i", f.read(4))[0] != 1:
            sys.exit(f"train_compass.py: {path} is not a Compass compact-weights file (version 1)")
        (count,) = struct.unpack("<i", f.read(4))
        for _ in range(count):
            name = f.read(leb(f)).decode("utf-8")
            code = leb(f)
            shape = [leb(f) for _ in range(leb(f))]
            if code not in _DTYPE_OF:
                sys.exit(f"train_compass.py: {path}: '{name}' has a tensor type (TorchSharp code {code}) this script does not read")
            dtype = _DTYPE_OF[code]
            n = 1
            for d in shape:
                n *= d
            data = bytearray(f.read(n * torch.empty(0, dtype=dtype).element_size()))
            t = torch.frombuffer(data, dtype=dtype).reshape(shape) if n > 0 else torch.empty(shape, dtype=dtype)
            result[name] = t.float() if dtype == torch.float16 else t
    return result


def load_base(model, path):
    """Loads the base codec (`base.*`) of a compass-train or train_compass.py weights file into the model."""
    state = {k[len("base."):]: v for k, v in read_compact_weights(path).items() if k.startswith("base.")}
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    shapes = [k for k in own if k in state and tuple(state[k].shape) != tuple(own[k].shape)]
    if missing or shapes:
        sys.exit(f"train_compass.py: {path} does not hold this preset's base codec (missing {missing[:3]}, other shapes {shapes[:3]})")
    model.load_state_dict({k: state[k] for k in own}, strict=True)


def compass_state_dict(model):
    """The model's parameters under Compass's names: `base.` + the module name (the layout compass-train imports)."""
    return {"base." + k: v for k, v in model.state_dict().items()}


# ---------------------------------------------------------------------------------------------- training

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="folder of training images (PNG/JPEG, searched recursively)")
    p.add_argument("--out", required=True, help="folder for model-f16.weights, its card and model.pth")
    p.add_argument("--minutes", type=float, required=True, help="wall-clock budget of the training loop")
    p.add_argument("--quality", "-q", type=int, default=3, help="rate point 1..8 of the lambda ladder (default 3)")
    p.add_argument("--lambda", dest="lmbda", type=float, help="rate-distortion lambda (overrides --quality)")
    p.add_argument("--preset", choices=sorted(PRESETS), default="compact")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--crop", type=int, default=256, help="square crop side, a multiple of 64")
    p.add_argument("--lr", type=float, default=5e-4)
    p.add_argument("--aux-lr", type=float, default=1e-3)
    p.add_argument("--clip", type=float, default=1.0)
    p.add_argument("--drop-at", type=float, default=0.75, help="fraction of the budget after which lr is multiplied by --drop")
    p.add_argument("--drop", type=float, default=0.2)
    p.add_argument("--checkpoint-minutes", type=float, default=1.0)
    p.add_argument("--device", default="auto", help="cuda, cpu or auto (default)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=0, help="CPU threads (0: torch's default)")
    p.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (0: only the budget)")
    p.add_argument("--log-every", type=int, default=50)
    p.add_argument("--init", help="start from the base codec of a Compass weights file (model-f16.weights; `base=FILE` also accepted)")
    p.add_argument("--list-keys", action="store_true", help="print the state_dict keys and shapes under Compass's names, and exit")
    a = p.parse_args(argv)

    if a.crop % 64 != 0:
        p.error("--crop must be a multiple of 64 (the codec downsamples by 64 in all)")
    if not 1 <= a.quality <= len(LAMBDAS):
        p.error(f"--quality must be 1..{len(LAMBDAS)}")
    lmbda = a.lmbda if a.lmbda is not None else LAMBDAS[a.quality - 1]
    torch.manual_seed(a.seed)
    n, m = PRESETS[a.preset]
    model = MeanScaleHyperprior(n, m)
    if a.list_keys:
        for k, v in sorted(compass_state_dict(model).items()):
            print(k, list(v.shape))
        return 0

    if a.init:
        load_base(model, a.init.split("=", 1)[1] if a.init.startswith("base=") else a.init)
        print(f"initialised the base codec from {a.init}", flush=True)
    if a.device == "auto":
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    else:
        device = torch.device(a.device)
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
        print(f"device: {torch.cuda.get_device_name(device)} (torch {torch.__version__}, CUDA {torch.version.cuda})", flush=True)
    else:
        print(f"device: cpu (torch {torch.__version__}, {torch.get_num_threads()} threads)", flush=True)

    started = time.time()
    budget = a.minutes * 60.0
    os.makedirs(a.out, exist_ok=True)
    images = load_images(a.data, a.crop)
    rng = random.Random(a.seed)
    model.to(device).train()
    optimizer = torch.optim.Adam(model.main_parameters(), lr=a.lr)
    aux_optimizer = torch.optim.Adam(model.aux_parameters(), lr=a.aux_lr)
    pixels = a.batch * a.crop * a.crop
    step, last_save, sums = 0, time.time(), [0.0, 0.0, 0.0]

    def save(final):
        state = compass_state_dict(model)
        write_compact_weights(state, os.path.join(a.out, "model-f16.weights"))
        torch.save({k: v.detach().cpu() for k, v in model.state_dict().items()}, os.path.join(a.out, "model.pth.tmp"))
        os.replace(os.path.join(a.out, "model.pth.tmp"), os.path.join(a.out, "model.pth"))
        card = {
            "format": "compass-model-card/1",
            "trainer": "tools/train_compass.py",
            "init": a.init,
            "stage": "bl",
            "preset": a.preset,
            "lambda": lmbda,
            "quality": a.quality if a.lmbda is None else None,
            "steps": step,
            "seed": a.seed,
            "schedule": f"step:{a.drop_at}:{a.drop} lr={a.lr} over {a.minutes} min",
            "cropSize": a.crop,
            "batchSize": a.batch,
            "dataImageCount": len(images),
            "device": str(device) if device.type != "cuda" else f"cuda ({torch.cuda.get_device_name(device)})",
            "wallSeconds": round(time.time() - started, 1),
            "trainMetrics": {"loss": sums[0], "bpp": sums[1], "psnr": sums[2]},
            "final": final,
            "createdUtc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        tmp = os.path.join(a.out, "model-f16.card.json.tmp")
        with open(tmp, "w") as f:
            json.dump({k: v for k, v in card.items() if v is not None}, f, indent=2)
        os.replace(tmp, os.path.join(a.out, "model-f16.card.json"))
        print(f"saved step {step} to {a.out}", flush=True)

    window = []
    while True:
        used = (time.time() - started) / budget
        if used >= 1.0 or (a.max_steps and step >= a.max_steps):
            break
        lr = a.lr * (a.drop if used >= a.drop_at else 1.0)
        for g in optimizer.param_groups:
            g["lr"] = lr
        x = sample_batch(images, a.batch, a.crop, rng, device)
        x_hat, y_lik, z_lik = model(x, training=True)
        bpp = -(torch.log2(y_lik).sum() + torch.log2(z_lik).sum()) / pixels
        mse = F.mse_loss(x_hat, x)
        loss = bpp + lmbda * 255.0 ** 2 * mse
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if a.clip > 0:
            torch.nn.utils.clip_grad_norm_(model.main_parameters(), a.clip)
        optimizer.step()
        aux = model.entropy_bottleneck.aux_loss()
        aux_optimizer.zero_grad(set_to_none=True)
        aux.backward()
        aux_optimizer.step()
        step += 1
        if step % a.log_every == 0 or step == 1:
            with torch.no_grad():
                psnr = -10 * math.log10(max(F.mse_loss(x_hat.clamp(0, 1), x).item(), 1e-10))
            window.append((loss.item(), bpp.item(), psnr))
            sums = [round(sum(v[i] for v in window[-5:]) / len(window[-5:]), 4) for i in range(3)]
            if not math.isfinite(loss.item()):
                sys.exit(f"train_compass.py: the loss became {loss.item()} at step {step}")
            rate = step / max(1e-9, time.time() - started)
            print(f"step {step}  loss {loss.item():.4f}  bpp {bpp.item():.4f}  psnr {psnr:.2f}  aux {aux.item():.1f}  lr {lr:.1e}  {rate:.2f} step/s", flush=True)
        if time.time() - last_save >= a.checkpoint_minutes * 60.0:
            save(final=False)
            last_save = time.time()
    save(final=True)
    print(f"done: {step} steps in {time.time() - started:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
