#!/usr/bin/python3
"""PyTorch side of bench/bench-gan.sh: the same conditional DCGAN as
models/fashion-dcgan-{g,d}.json, the same iteration as libnn's GAN trainer
(generator step through D with the non-saturating loss on the asked class's
logit, then one discriminator step on real + detached fakes in one batch;
Adam lr 2e-4, betas (0.5, 0.999)).

    bench_gan_torch.py train RUNS      -> median ms per iteration (batch 64)
    bench_gan_torch.py generate RUNS   -> frames/s at batch 1 (median)
"""
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "1")))
torch.manual_seed(1)
LATENT, K, B = 64, 10, 64

G = nn.Sequential(
    nn.ConvTranspose2d(LATENT + K, 64, 7, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
    nn.ConvTranspose2d(64, 32, 4, 2, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
    nn.ConvTranspose2d(32, 1, 4, 2, 1), nn.Tanh())
D = nn.Sequential(
    nn.Conv2d(1, 32, 4, 2, 1), nn.LeakyReLU(0.01),
    nn.Conv2d(32, 64, 4, 2, 1), nn.LeakyReLU(0.01),
    nn.Flatten(), nn.Linear(64 * 7 * 7, K))
opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999), eps=1e-8)
opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999), eps=1e-8)


def inputs(n):
    cls = torch.randint(0, K, (n,))
    z = torch.cat([torch.randn(n, LATENT), F.one_hot(cls, K).float()], 1)
    return z.view(n, LATENT + K, 1, 1), cls


def step(x, labels):
    z, cls = inputs(B)
    fake = G(z)
    logit = D(fake).gather(1, cls.view(-1, 1)).squeeze(1)
    loss_g = F.binary_cross_entropy_with_logits(logit, torch.ones(B))
    opt_g.zero_grad()
    loss_g.backward()
    opt_g.step()
    x2 = torch.cat([x, fake.detach()])
    c2 = torch.cat([labels, cls])
    t2 = torch.cat([torch.ones(B), torch.zeros(B)])
    out = D(x2).gather(1, c2.view(-1, 1)).squeeze(1)
    loss_d = F.binary_cross_entropy_with_logits(out[:B], t2[:B]) + F.binary_cross_entropy_with_logits(out[B:], t2[B:])
    opt_d.zero_grad()
    loss_d.backward()
    opt_d.step()


def median(v):
    v = sorted(v)
    return v[len(v) // 2]


def bench_train(runs):
    x = torch.rand(B, 1, 28, 28) * 2 - 1
    labels = torch.arange(B) % K
    G.train()
    times = []
    for k in range(-3, runs):
        t0 = time.perf_counter()
        step(x, labels)
        if k >= 0:
            times.append((time.perf_counter() - t0) * 1e3)
    return "%.2f" % median(times)


def bench_generate(runs):
    G.eval()
    times = []
    with torch.no_grad():
        for k in range(-10, runs):
            z, _ = inputs(1)
            t0 = time.perf_counter()
            G(z)
            if k >= 0:
                times.append(time.perf_counter() - t0)
    return "%.0f" % (1.0 / median(times))


if __name__ == "__main__":
    what, runs = sys.argv[1], int(sys.argv[2])
    print(bench_train(runs) if what == "train" else bench_generate(runs))
