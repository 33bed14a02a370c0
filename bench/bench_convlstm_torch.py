#!/usr/bin/python3
"""PyTorch side of bench/bench-convlstm.sh: the same clip classifier as
bench-convlstm.c, with a hand-written ConvLSTM cell (PyTorch has none):
gates i, f, g, o from one conv over cat(x_t, h_{t-1}), as libnn's convlstm2d.

  bench_convlstm_torch.py train RUNS    median ms per training step, batch 16
  bench_convlstm_torch.py stream RUNS   median µs per frame, one step, state carried
  bench_convlstm_torch.py window RUNS   median µs per frame re-running 10 frames
Threads: BENCH_THREADS (default 1), like nn --threads.
"""
import os
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

T, BATCH, HID, K = 10, 16, 16, 3


class ConvLSTMCell(nn.Module):
    def __init__(self, cin, hid, k):
        super().__init__()
        self.hid = hid
        self.conv = nn.Conv2d(cin + hid, 4 * hid, k, padding=k // 2)

    def forward(self, x, state):
        h, c = state
        i, f, g, o = self.conv(torch.cat([x, h], 1)).chunk(4, 1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        return h, c


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.clstm = ConvLSTMCell(1, HID, K)
        self.fc = nn.Linear(HID, 4)

    def zero_state(self, n):
        z = torch.zeros(n, HID, 32, 32)
        return z, z.clone()

    def forward(self, x, state=None):  # x (n, T, 1, 32, 32) -> logits, state
        state = state or self.zero_state(x.shape[0])
        for t in range(x.shape[1]):
            state = self.clstm(x[:, t], state)
        return self.fc(state[0].mean((2, 3))), state


def bench_train(net, runs):
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    x = torch.rand(BATCH, T, 1, 32, 32) - 0.5
    y = torch.arange(BATCH) % 4

    def step():
        opt.zero_grad()
        F.cross_entropy(net(x)[0], y).backward()
        opt.step()

    for _ in range(3):
        step()
    ms = []
    for _ in range(runs):
        t0 = time.perf_counter()
        step()
        ms.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(ms)


@torch.no_grad()
def bench_frames(net, runs, steps):
    x = torch.rand(1, steps, 1, 32, 32) - 0.5
    state = net.zero_state(1)
    us = []
    for i in range(20 + runs):
        t0 = time.perf_counter()
        if steps == 1:
            logits, state = net(x, state)  # one step, the state carried
        else:
            logits, _ = net(x)             # the whole window again
        torch.softmax(logits, 1)
        if i >= 20:
            us.append((time.perf_counter() - t0) * 1e6)
    return statistics.median(us)


def main():
    mode, runs = sys.argv[1], int(sys.argv[2])
    torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "1")))
    torch.manual_seed(1)
    net = Net()
    if mode == "train":
        print("%.3f" % bench_train(net, runs))
    else:
        net.eval()
        print("%.1f" % bench_frames(net, runs, 1 if mode == "stream" else T))


if __name__ == "__main__":
    main()
