#!/usr/bin/python3
"""How sensitive the Frechet distance of the generation issue is: real images, slightly changed.

The generator's quality is measured with our LeNet's fc1 ReLU features (`nn gan-score`). This script
rebuilds that feature extractor in PyTorch from models/fashion-lenet.safetensors, checks it by
reproducing the training-test distance `nn gan-score` prints (0.399), then scores real training images
with mild noise, blur and a brightness change against the test set. Each changed image is rounded to
8 bits, as generated ones are. Run with Debian's python3-torch:

    /usr/bin/python3 models/fid-sensitivity.py
"""
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
from torch_ref import build, load_idx  # noqa: E402

FM = "/usr/share/datasets/fashion-mnist"
torch.set_num_threads(1)


def load_safetensors(path):
    data = open(path, "rb").read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    tensors = {}
    for name, t in header.items():
        if name != "__metadata__":
            lo, hi = t["data_offsets"]
            raw = np.frombuffer(data[8 + n + lo:8 + n + hi], np.float32).reshape(t["shape"])
            tensors[name] = torch.from_numpy(raw.copy())
    return tensors, header.get("__metadata__", {})


def feature_net():
    weights, meta = load_safetensors(os.path.join(ROOT, "models", "fashion-lenet.safetensors"))
    spec = json.loads(meta["nn.spec"])
    net = build(spec).eval()
    names = [l["name"] for l in spec["layers"] if l["type"] in ("conv2d", "dense")]
    for module, name in zip([m for m in net if isinstance(m, (nn.Conv2d, nn.Linear))], names):
        module.weight.data = weights[name + ".weight"]
        module.bias.data = weights[name + ".bias"]
    fc1 = [i for i, m in enumerate(net) if isinstance(m, nn.Linear)][0]
    return net[:fc1 + 2]  # through fc1's ReLU


def features(net, images):
    """images: (N, 28, 28) or (N, 784) in [0, 1], rounded to 8 bits first"""
    x = torch.from_numpy((np.round(np.asarray(images) * 255) / 255).astype(np.float32).reshape(-1, 1, 28, 28))
    with torch.no_grad():
        return torch.cat([net(x[i:i + 1000]) for i in range(0, len(x), 1000)]).double().numpy()


def frechet(a, b):
    ma, mb = a.mean(0), b.mean(0)
    sa, sb = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    e, v = np.linalg.eigh(sa)
    root = (v * np.sqrt(np.clip(e, 0, None))) @ v.T
    cross = np.sqrt(np.clip(np.linalg.eigvalsh(root @ sb @ root), 0, None)).sum()
    return float(((ma - mb) ** 2).sum() + np.trace(sa) + np.trace(sb) - 2 * cross)


def main():
    net = feature_net()
    train, _ = load_idx(FM + "/train")
    test, _ = load_idx(FM + "/t10k")
    ref = features(net, test / 255.0)
    x = train[:10000].reshape(-1, 1, 28, 28) / 255.0
    rows = [("training images 0-9,999 (nn gan-score's reference)", x),
            ("training images 10,000-19,999", train[10000:20000] / 255.0)]
    rng = np.random.default_rng(0)
    for sigma in (0.02, 0.05, 0.1):
        rows.append((f"+ Gaussian noise, sigma {sigma}", np.clip(x + rng.normal(0, sigma, x.shape), 0, 1)))
    kernel = torch.tensor([[1, 2, 1], [2, 4, 2], [1, 2, 1]], dtype=torch.float32).view(1, 1, 3, 3) / 16
    blurred = F.conv2d(torch.from_numpy(x.astype(np.float32)), kernel, padding=1).numpy()
    for share in (0.25, 0.5, 1.0):
        rows.append((f"blurred (3x3 binomial, {share:.0%} of it)", (1 - share) * x + share * blurred))
    rows.append(("brightness x 0.9", x * 0.9))
    print("| images, against the 10,000 test images | Frechet distance |")
    print("| --- | --- |")
    for name, images in rows:
        print(f"| {name} | {frechet(features(net, images), ref):.3f} |")


if __name__ == "__main__":
    main()
