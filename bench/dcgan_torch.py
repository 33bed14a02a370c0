#!/usr/bin/python3
"""PyTorch peer of `nn train-gan` for bench/gan-quality.sh (issue 19 point 5):
the conditional DCGAN of models/fashion-dcgan-{g,d}.json trained the way
core/gan.c trains it, so that `nn gan-score` judges two trainers and not two
recipes.

    dcgan_torch.py train --seed S --epochs E [--threads T] -o G.safetensors
    dcgan_torch.py check --nn build/cli/nn [MODEL.safetensors]

What is matched, detail by detail (core/gan.c, cli/cmd-gan.c):
- G: ConvTranspose 74->64 k7 (no bias), BN, ReLU, ConvTranspose 64->32 k4 s2 p1
  (no bias), BN, ReLU, ConvTranspose 32->1 k4 s2 p1, tanh; input 64 standard
  normal values + a one-hot class. D: Conv 1->32 k4 s2 p1, leaky ReLU 0.01,
  Conv 32->64 k4 s2 p1, leaky ReLU 0.01, Linear 3136->10: one real/fake logit
  per class, a sample judged by its class's logit.
- Init: PyTorch's defaults, which are the scheme libnn copies (uniform
  +-1/sqrt(fan_in) for weights and biases, fan_in of a transposed conv from
  weight.size(1); BN weight 1, bias 0). The random numbers differ, the
  distributions do not.
- Data: Fashion-MNIST train, pixel * 2/255 - 1 (D's preprocess), reshuffled
  every epoch, the last batch of the epoch partial (60000 = 937 x 64 + 32).
- One iteration: draw a class uniformly then 64 latents per row; G step first
  (G and D in training mode, loss -log sigmoid(D(G(z))[class]), Adam on G),
  the EMA update of G, then one D step on [real; the same G(z), detached] in
  one batch of 2n, targets 1 - 0.1 for real and 0 for fake, each side's BCE
  averaged over n and the two summed; Adam lr 2e-4, betas (0.5, 0.999), eps
  1e-8 for both.
- EMA 0.999 of every G parameter and BN buffer after each G step; at each
  epoch's end the average is swapped in, its BN statistics re-estimated (100
  training-mode batches of 64 fresh latents, classes in turn, from a stream
  seeded the same each time) and swapped out again, and once more at the end,
  which is what is saved.
"""
import argparse
import gzip
import json
import os
import struct
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

LATENT, K, B = 64, 10, 64
HERE = os.path.dirname(os.path.abspath(__file__))
REF = os.path.join(HERE, "..", "models", "fashion-dcgan.safetensors")
DATA = "/usr/share/datasets/fashion-mnist/train"


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        # the names are the tensor names of models/fashion-dcgan.safetensors
        self.project = nn.ConvTranspose2d(LATENT + K, 64, 7, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.up1 = nn.ConvTranspose2d(64, 32, 4, 2, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(32)
        self.up2 = nn.ConvTranspose2d(32, 1, 4, 2, 1)

    def forward(self, z):
        h = F.relu(self.bn1(self.project(z)))
        h = F.relu(self.bn2(self.up1(h)))
        return torch.tanh(self.up2(h))


def discriminator():
    return nn.Sequential(
        nn.Conv2d(1, 32, 4, 2, 1), nn.LeakyReLU(0.01),
        nn.Conv2d(32, 64, 4, 2, 1), nn.LeakyReLU(0.01),
        nn.Flatten(), nn.Linear(64 * 7 * 7, K))


def g_tensors(g):
    """G's parameters and BN buffers in the file's order (num_batches_tracked
    is not used with a fixed momentum and libnn has no such tensor)."""
    return [(k, v) for k, v in g.state_dict(keep_vars=True).items() if not k.endswith("num_batches_tracked")]


def g_input(n, cls, gen):
    z = torch.randn(n, LATENT, generator=gen)
    return torch.cat([z, F.one_hot(cls, K).float()], 1).view(n, LATENT + K, 1, 1)


# ---- safetensors, by hand ---------------------------------------------------------

def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    head = json.loads(raw[8:8 + n])
    meta = head.pop("__metadata__", {})
    out = {}
    for name, t in head.items():
        if t["dtype"] != "F32":
            raise ValueError("%s: tensor %s is %s, not F32" % (path, name, t["dtype"]))
        a, b = t["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(raw, "<f4", (b - a) // 4, 8 + n + a).reshape(t["shape"]).copy())
    return out, meta


def write_safetensors(path, tensors, meta):
    """8-byte little-endian header length, the JSON header (padded with spaces
    to 8 bytes), then the raw little-endian float32 data; written to a
    temporary name and renamed."""
    head, blobs, off = {"__metadata__": meta}, [], 0
    for name, t in tensors:
        data = t.detach().contiguous().numpy().astype("<f4").tobytes()
        head[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + len(data)]}
        blobs.append(data)
        off += len(data)
    js = json.dumps(head, separators=(",", ":")).encode()
    js += b" " * (-len(js) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(js)))
        f.write(js)
        for d in blobs:
            f.write(d)
    os.replace(tmp, path)


def load_g(path):
    g = Generator()
    tensors, _ = read_safetensors(path)
    sd = g.state_dict()
    for name, _ in g_tensors(g):
        if name not in tensors or tuple(tensors[name].shape) != tuple(sd[name].shape):
            raise ValueError("%s: no tensor %s of shape %s" % (path, name, tuple(sd[name].shape)))
        sd[name].copy_(tensors[name])
    return g


# ---- parity: the same generator, loaded by libnn and by PyTorch ------------------

def nn_outputs(nn_bin, model, x):
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
        for row in x.view(x.shape[0], -1).tolist():
            f.write(",".join("%.9g" % v for v in row) + "\n")
        csv = f.name
    try:
        out = subprocess.run([nn_bin, "predict", model, csv, "-f", "csv"], check=True, capture_output=True, text=True)
    finally:
        os.unlink(csv)
    return torch.tensor([[float(v) for v in line.split(",")] for line in out.stdout.strip().splitlines()])


def check(args):
    """Both ways of loading give the same image for the same input (1e-4), on
    the shipped file and on this script's own rewrite of it."""
    gen = torch.Generator().manual_seed(5)
    x = g_input(32, torch.arange(32) % K, gen)
    worst = 0.0
    with tempfile.TemporaryDirectory() as d:
        rewritten = os.path.join(d, "g.safetensors")
        g = load_g(args.model).eval()
        write_safetensors(rewritten, g_tensors(g), read_safetensors(args.model)[1])
        for path in (args.model, rewritten):
            with torch.no_grad():
                want = load_g(path).eval()(x).view(32, -1)
            got = nn_outputs(args.nn, path, x)
            diff = (got - want).abs().max().item() if got.shape == want.shape else float("inf")
            print("%s: %d images, max |libnn - PyTorch| = %.3g" % (os.path.basename(path), got.shape[0], diff))
            worst = max(worst, diff)
    if worst > 1e-4:
        print("FAIL: the two loaders differ by more than 1e-4", file=sys.stderr)
        return 1
    return 0


# ---- training ---------------------------------------------------------------------

def read_idx(prefix):
    with gzip.open(prefix + "-images-idx3-ubyte.gz") as f:
        x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)
    with gzip.open(prefix + "-labels-idx1-ubyte.gz") as f:
        y = np.frombuffer(f.read(), np.uint8, offset=8)
    x = torch.from_numpy(x.astype(np.float32) * np.float32(2.0 / 255.0) - np.float32(1.0))
    return x, torch.from_numpy(y.astype(np.int64))


def swap(avg, live):
    for a, (_, w) in zip(avg, live):
        t = w.detach().clone()
        w.data.copy_(a)
        a.copy_(t)


def refresh_statistics(g, seed):
    gen = torch.Generator().manual_seed(seed * 40503 + 11)
    g.train()
    with torch.no_grad():
        for _ in range(100):
            g(g_input(B, torch.arange(B) % K, gen))


def train(args):
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    g, d = Generator(), discriminator()
    g.train()
    d.train()
    opt_g = torch.optim.Adam(g.parameters(), lr=args.lr, betas=(0.5, 0.999), eps=1e-8)
    opt_d = torch.optim.Adam(d.parameters(), lr=args.lr, betas=(0.5, 0.999), eps=1e-8)
    gen = torch.Generator().manual_seed(args.seed * 2654435761 + 7)
    x_all, y_all = read_idx(args.data)
    n_all = x_all.shape[0]
    live = g_tensors(g)
    avg = [w.detach().clone() for _, w in live]
    keep, take = args.ema, 1.0 - args.ema
    smooth = args.label_smooth
    meta = read_safetensors(REF)[1]
    for epoch in range(1, args.epochs + 1):
        t0 = time.time()
        perm = torch.randperm(n_all, generator=gen)
        s_d = s_g = s_r = s_f = 0.0
        k = 0
        for start in range(0, n_all, B):
            idx = perm[start:start + B]
            n = idx.shape[0]
            x, y = x_all[idx], y_all[idx]
            cls = torch.randint(0, K, (n,), generator=gen)
            fake = g(g_input(n, cls, gen))
            logit = d(fake).gather(1, cls.view(-1, 1)).squeeze(1)
            loss_g = F.binary_cross_entropy_with_logits(logit, torch.ones(n))
            opt_g.zero_grad()
            loss_g.backward()
            opt_g.step()
            with torch.no_grad():
                for a, (_, w) in zip(avg, live):
                    a.mul_(keep).add_(w.detach(), alpha=take)
            out = d(torch.cat([x, fake.detach()])).gather(1, torch.cat([y, cls]).view(-1, 1)).squeeze(1)
            loss_d = (F.binary_cross_entropy_with_logits(out[:n], torch.full((n,), 1.0 - smooth)) +
                      F.binary_cross_entropy_with_logits(out[n:], torch.zeros(n)))
            opt_d.zero_grad()
            loss_d.backward()
            opt_d.step()
            with torch.no_grad():
                p = torch.sigmoid(out)
                s_r += p[:n].mean().item()
                s_f += p[n:].mean().item()
            s_d += loss_d.item()
            s_g += loss_g.item()
            k += 1
            if args.iters and k >= args.iters:
                break
        print("epoch %d/%d  d_loss %.4f  g_loss %.4f  D(x) %.3f  D(G(z)) %.3f  %.0f samples/s  %.1fs" %
              (epoch, args.epochs, s_d / k, s_g / k, s_r / k, s_f / k, k * B / (time.time() - t0),
               time.time() - t0), flush=True)
        # a checkpoint each epoch, as nn train-gan writes one
        swap(avg, live)
        refresh_statistics(g, args.seed)
        write_safetensors(args.output, g_tensors(g), meta)
        swap(avg, live)
    swap(avg, live)
    refresh_statistics(g, args.seed)
    write_safetensors(args.output, g_tensors(g), meta)
    print("saved %s" % args.output)
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train", help="train the DCGAN, save the EMA generator")
    t.add_argument("--seed", type=int, default=1)
    t.add_argument("--epochs", type=int, default=2)
    t.add_argument("--iters", type=int, default=0, help="stop each epoch after N iterations (a smoke test)")
    t.add_argument("--threads", type=int, default=1)
    t.add_argument("--lr", type=float, default=2e-4)
    t.add_argument("--label-smooth", type=float, default=0.1)
    t.add_argument("--ema", type=float, default=0.999)
    t.add_argument("--data", default=DATA)
    t.add_argument("-o", "--output", required=True)
    c = sub.add_parser("check", help="libnn and PyTorch give the same image from the same file")
    c.add_argument("--nn", required=True, help="the nn command")
    c.add_argument("model", nargs="?", default=REF)
    args = ap.parse_args()
    return train(args) if args.cmd == "train" else check(args)


if __name__ == "__main__":
    sys.exit(main())
