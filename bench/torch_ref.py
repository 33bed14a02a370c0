#!/usr/bin/python3
"""PyTorch side of the benchmarks: builds the same network from our JSON spec
(module names are the spec's layer names, so our safetensors load by name)
and times a training epoch or inference; TORCH_THREADS intra-op threads
(default 2), OPENBLAS_NUM_THREADS=1 set by the caller.

    torch_ref.py train SPEC.json IDX_PREFIX BATCH      -> samples/s of one epoch
    torch_ref.py latency SPEC.json RUNS                 -> median batch-1 forward, microseconds
    torch_ref.py infer MODEL.safetensors BATCH RUNS     -> batch 1: median forward, microseconds;
                                                           batch > 1: samples/s (median batch)
"""
import collections
import gzip
import json
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn

torch.set_num_threads(int(os.environ.get("TORCH_THREADS", "2")))


def build(spec, inference=False):
    """nn.Sequential of the spec's layers; inference adds the softmax a
    training run leaves to CrossEntropyLoss."""
    mods, shape = collections.OrderedDict(), list(spec["input"])
    for i, l in enumerate(spec["layers"]):
        t, name = l["type"], l.get("name", f"layer{i}")
        bias = l.get("bias", True)
        if t == "dense":
            n_in = int(np.prod(shape))
            if len(shape) > 1:
                mods[name + "_flatten"] = nn.Flatten()
            mods[name] = nn.Linear(n_in, l["units"], bias=bias)
            shape = [l["units"]]
        elif t == "conv2d":
            k, s = l["kernel"], l.get("stride", 1)
            p = l.get("padding", 0)
            pad = k // 2 if p == "same" else 0 if p == "valid" else int(p)
            mods[name] = nn.Conv2d(shape[0], l["filters"], k, s, pad, bias=bias)
            shape = [l["filters"], (shape[1] + 2 * pad - k) // s + 1, (shape[2] + 2 * pad - k) // s + 1]
        elif t == "conv2d_transpose":
            k, s, pad = l["kernel"], l.get("stride", 1), int(l.get("padding", 0))
            mods[name] = nn.ConvTranspose2d(shape[0], l["filters"], k, s, pad, bias=bias)
            shape = [l["filters"], (shape[1] - 1) * s - 2 * pad + k, (shape[2] - 1) * s - 2 * pad + k]
        elif t == "batchnorm2d":
            mods[name] = nn.BatchNorm2d(shape[0], eps=l.get("eps", 1e-5), momentum=l.get("momentum", 0.1))
        elif t == "maxpool2d":
            s = l.get("size", 2)
            mods[name] = nn.MaxPool2d(s)
            shape = [shape[0], shape[1] // s, shape[2] // s]
        elif t == "flatten":
            mods[name] = nn.Flatten()
            shape = [int(np.prod(shape))]
        elif t == "dropout":
            mods[name] = nn.Dropout(l.get("rate", 0.5))
        elif t == "softmax":
            if inference:
                mods[name] = nn.Softmax(dim=1)
        elif t in ("relu", "tanh", "sigmoid"):
            mods[name] = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}[t]()
        elif t == "leaky_relu":
            mods[name] = nn.LeakyReLU(l.get("slope", 0.01))
        elif t == "global_avgpool":
            mods[name] = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())
            shape = [shape[0]]
        else:
            raise SystemExit(f"torch_ref: unsupported layer {t}")
        act = l.get("activation")
        if act == "relu":
            mods[name + "_relu"] = nn.ReLU()
        elif act == "tanh":
            mods[name + "_tanh"] = nn.Tanh()
        elif act == "sigmoid":
            mods[name + "_sigmoid"] = nn.Sigmoid()
        elif act == "softmax" and inference:
            mods[name + "_softmax"] = nn.Softmax(dim=1)
        elif act not in (None, "linear", "softmax"):
            raise SystemExit(f"torch_ref: unsupported activation {act}")
    return nn.Sequential(mods)


def read_safetensors(path):
    """(tensors by name, metadata): the format is a JSON header and raw data."""
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    tensors = {}
    for name, h in header.items():
        if h["dtype"] != "F32":
            raise SystemExit(f"torch_ref: {path}: {name} is {h['dtype']}, not F32")
        a, b = h["data_offsets"]
        tensors[name] = torch.from_numpy(np.frombuffer(data[8 + n + a:8 + n + b], np.float32).reshape(h["shape"]).copy())
    return tensors, meta


def load_model(path):
    """Our model file as an eval-mode PyTorch module with the same weights:
    every tensor of the file must land in a parameter or buffer of the same
    name and shape, and every parameter must come from the file."""
    tensors, meta = read_safetensors(path)
    spec = json.loads(meta["nn.spec"])
    net = build(spec, inference=True)
    state = net.state_dict()
    extra = set(tensors) - set(state)
    missing = {k for k in state if not k.endswith("num_batches_tracked")} - set(tensors)
    if extra or missing:
        raise SystemExit(f"torch_ref: {path}: tensors not in the PyTorch module {sorted(extra)}, "
                         f"missing {sorted(missing)}")
    net.load_state_dict(tensors, strict=False)
    return net.eval(), spec


def load_idx(prefix):
    def read(path):
        with gzip.open(path) as f:
            data = f.read()
        magic, n = struct.unpack(">II", data[:8])
        if magic == 0x803:
            r, c = struct.unpack(">II", data[8:16])
            return np.frombuffer(data, np.uint8, offset=16).reshape(n, r * c)
        return np.frombuffer(data, np.uint8, offset=8)
    return read(prefix + "-images-idx3-ubyte.gz"), read(prefix + "-labels-idx1-ubyte.gz")


def train(spec_path, prefix, batch):
    spec = json.load(open(spec_path))
    net = build(spec)
    x, y = load_idx(prefix)
    x = torch.from_numpy(x.astype(np.float32) / 255.0).reshape(-1, *spec["input"])
    y = torch.from_numpy(y.astype(np.int64))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    perm = torch.randperm(len(x))
    net.train()
    t0 = time.perf_counter()
    for i in range(0, len(x), batch):
        idx = perm[i:i + batch]
        opt.zero_grad()
        loss = loss_fn(net(x[idx]), y[idx])
        loss.backward()
        opt.step()
    dt = time.perf_counter() - t0
    print(f"{len(x) / dt:.0f}")


def latency(spec_path, runs):
    spec = json.load(open(spec_path))
    net = build(spec, inference=True).eval()
    x = torch.rand(1, *spec["input"])
    ts = []
    with torch.no_grad():
        for _ in range(50):
            net(x)
        for _ in range(runs):
            t = time.perf_counter()
            net(x)
            ts.append(time.perf_counter() - t)
    print(f"{np.median(ts) * 1e6:.1f}")


def infer(model_path, batch, runs):
    net, spec = load_model(model_path)
    x = torch.rand(batch, *spec["input"])
    ts = []
    with torch.no_grad():
        for _ in range(max(5, 50 // batch)):
            net(x)
        for _ in range(runs):
            t = time.perf_counter()
            net(x)
            ts.append(time.perf_counter() - t)
    m = np.median(ts)
    print(f"{m * 1e6:.1f}" if batch == 1 else f"{batch / m:.0f}")


if __name__ == "__main__":
    if sys.argv[1] == "train":
        train(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif sys.argv[1] == "infer":
        infer(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        latency(sys.argv[2], int(sys.argv[3]))
