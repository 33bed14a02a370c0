#!/usr/bin/python3
"""PyTorch side of the benchmarks: builds the same network from our JSON spec
and times a training epoch or batch-1 inference, PyTorch at its best on this
machine (2 intra-op threads, OPENBLAS_NUM_THREADS=1 set by the caller).

    torch_ref.py train SPEC.json IDX_PREFIX BATCH      -> samples/s of one epoch
    torch_ref.py latency SPEC.json RUNS                 -> median batch-1 forward, microseconds
"""
import gzip
import json
import struct
import sys
import time

import os

import numpy as np
import torch
import torch.nn as nn

torch.set_num_threads(int(os.environ.get("TORCH_THREADS", "2")))


def build(spec):
    layers, shape = [], list(spec["input"])
    for l in spec["layers"]:
        t = l["type"]
        if t == "dense":
            n_in = int(np.prod(shape))
            if len(shape) > 1:
                layers.append(nn.Flatten())
            layers.append(nn.Linear(n_in, l["units"]))
            shape = [l["units"]]
        elif t == "conv2d":
            k = l["kernel"]
            pad = k // 2 if l.get("padding") == "same" else 0
            layers.append(nn.Conv2d(shape[0], l["filters"], k, padding=pad))
            shape = [l["filters"], shape[1] + 2 * pad - k + 1, shape[2] + 2 * pad - k + 1]
        elif t == "maxpool2d":
            s = l.get("size", 2)
            layers.append(nn.MaxPool2d(s))
            shape = [shape[0], shape[1] // s, shape[2] // s]
        elif t == "flatten":
            layers.append(nn.Flatten())
            shape = [int(np.prod(shape))]
        elif t == "dropout":
            layers.append(nn.Dropout(l.get("rate", 0.5)))
        else:
            raise SystemExit(f"unsupported layer {t}")
        act = l.get("activation")
        if act == "relu":
            layers.append(nn.ReLU())
        elif act == "softmax":
            pass  # fused into CrossEntropyLoss for training; applied below for inference
    return nn.Sequential(*layers)


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
    print(f"{len(x) / dt:.1f}")


def latency(spec_path, runs):
    spec = json.load(open(spec_path))
    net = nn.Sequential(build(spec), nn.Softmax(dim=1)).eval()
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


if __name__ == "__main__":
    if sys.argv[1] == "train":
        train(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        latency(sys.argv[2], int(sys.argv[3]))
