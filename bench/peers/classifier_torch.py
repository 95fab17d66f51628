#!/usr/bin/env python3
"""PyTorch peer of `driftlab classify train`: the same CNN, optimizer and batch,
timed over the same number of steps on the same Fashion-MNIST images.

usage: classifier_torch.py DATA_DIR STEPS [THREADS]
Prints one line: 'torch images/s X' (the training loop only, data in memory).
"""
import gzip
import sys
import time

import numpy as np
import torch
import torch.nn as nn


def load(path, offset):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def main():
    data, steps = sys.argv[1], int(sys.argv[2])
    threads = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    x = load(f"{data}/train-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28)
    y = load(f"{data}/train-labels-idx1-ubyte.gz", 8)
    x = torch.tensor((x / 255.0 - 0.2860) / 0.3530, dtype=torch.float32)
    y = torch.tensor(y, dtype=torch.long)
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3, 1, 1), nn.ReLU(),
        nn.Conv2d(32, 64, 3, 2, 1), nn.ReLU(),
        nn.Conv2d(64, 64, 3, 2, 1), nn.ReLU(),
        nn.Flatten(), nn.Linear(64 * 49, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-4)
    loss_fn = nn.CrossEntropyLoss()
    batch = 128
    order = torch.randperm(x.shape[0])
    start = time.perf_counter()
    for step in range(steps):
        idx = order[(step * batch) % (x.shape[0] - batch):][:batch]
        opt.zero_grad()
        loss = loss_fn(model(x[idx]), y[idx])
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
    seconds = time.perf_counter() - start
    print(f"torch images/s {steps * batch / seconds:.1f}")


if __name__ == "__main__":
    main()
