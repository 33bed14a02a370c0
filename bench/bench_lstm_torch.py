#!/usr/bin/python3
"""PyTorch side of bench/bench-lstm.sh: the character LSTM of a gst-nn spec
(embedding -> lstm -> time_distributed dense -> softmax over the last axis),
trained for one epoch on the same text:FILE windows as `nn train` (T
characters, stride T/2, next-character targets), Adam, the same batch size.

  bench_lstm_torch.py SPEC.json CORPUS BATCH   prints training samples/s
Threads: BENCH_THREADS (default 2), like nn --threads.
"""
import json
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class CharLSTM(nn.Module):
    def __init__(self, vocab, emb, hid):
        super().__init__()
        self.embed = nn.Embedding(vocab, emb)
        self.lstm = nn.LSTM(emb, hid, batch_first=True)
        self.head = nn.Linear(hid, vocab)

    def forward(self, x):  # (n, T) -> logits (n, T, V)
        return self.head(self.lstm(self.embed(x))[0])


def windows(text, vocab, T):
    index = {c: i for i, c in enumerate(vocab)}
    fallback = index.get(" ", 0)
    ids = torch.tensor([index.get(c, fallback) for c in text])
    stride = max(T // 2, 1)
    starts = range(0, len(ids) - T, stride)
    return torch.stack([ids[s:s + T + 1] for s in starts])


def main():
    spec = json.load(open(sys.argv[1]))
    text = open(sys.argv[2], encoding="utf-8").read()
    batch = int(sys.argv[3])
    torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "2")))
    torch.manual_seed(1)
    layers = {l["type"]: l for l in spec["layers"]}
    T, vocab = spec["input"][0], spec["vocab"]
    net = CharLSTM(len(vocab), layers["embedding"]["units"], layers["lstm"]["units"])
    data = windows(text, vocab, T)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    perm = torch.randperm(len(data))
    t0 = time.perf_counter()
    for i in range(0, len(data), batch):
        w = data[perm[i:i + batch]]
        opt.zero_grad()
        logits = net(w[:, :-1])
        F.cross_entropy(logits.reshape(-1, len(vocab)), w[:, 1:].reshape(-1)).backward()
        opt.step()
    print("%.1f" % (len(data) / (time.perf_counter() - t0)))


if __name__ == "__main__":
    main()
