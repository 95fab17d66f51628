#!/usr/bin/env python3
"""Where docs/THEORY.md 7's image model misses at sigma = 1 x median, checked outside driftlab.

A reference script (NumPy), not a test: CTest never runs it.  For one idxgauss run made with
`--dt 0.5 --t-end 40 --every 20` (Euler, mean shift, Gaussian kernel) and analysed by
`driftlab spectrum`, it prints
  1. the largest |x_numpy - x_driftlab| at t = 40, a NumPy flow from the run's own first
     snapshot and target (the flow itself, independently);
  2. the misfit ln P - ln P_model of shells 10 and 14 at every snapshot (imgspectrum.dat);
  3. tracer directions that do not enter the weights: their log variance, less the
     self-mask floor 2 t / (N - 1), against the second-order sum over the measured weights
     (1/N) [int int K + 2 int_{tau' < tau} K_sym], column-centred, at t = 10, 20, 30, 40.
usage: /usr/bin/python3 scripts/imgmodel_misfit.py RUN_DIR   (about a minute at N = 1000)
"""
import struct
import sys

import numpy as np

DT, STEPS, EVERY = 0.5, 80, 20


def load_snapshot(path):
    """A .dlsnap file (src/drift/snapshot.h): positions and sigma."""
    b = open(path, "rb").read()
    if b[:8] != b"DLSNAP\r\n":
        sys.exit(f"{path}: not a driftlab snapshot")
    dim, = struct.unpack_from("<I", b, 12)
    count, = struct.unpack_from("<Q", b, 16)
    sigma, = struct.unpack_from("<d", b, 48)
    prov, = struct.unpack_from("<I", b, 68)
    x = np.frombuffer(b, dtype="<f8", count=count * dim, offset=72 + prov + 4)
    return x.reshape(count, dim).copy(), sigma


def weights(x, z, sigma, self_mask):
    """Row-normalised Gaussian-kernel weights of the rows of x over the rows of z."""
    d2 = (x * x).sum(1)[:, None] + (z * z).sum(1)[None, :] - 2 * x @ z.T
    logw = -np.maximum(d2, 0) / (2 * sigma * sigma)
    if self_mask:
        np.fill_diagonal(logw, -np.inf)
    w = np.exp(logw - logw.max(1, keepdims=True))
    return w / w.sum(1, keepdims=True)


def spread(w):
    """The weights' deviation from uniform, centred by column (a column's part moves only the mean)."""
    dev = w - 1.0 / w.shape[1]
    np.fill_diagonal(dev, 0)
    return dev - dev.mean(0, keepdims=True)


def main(run):
    self_mask = "self-mask = true" in open(f"{run}/run.ini").read()
    y, _ = load_snapshot(f"{run}/target.dlsnap")
    x, sigma = load_snapshot(f"{run}/snapshots/snap-00000000.dlsnap")
    n = len(x)
    rng = np.random.default_rng(5)
    tracer = rng.standard_normal((n, 200))
    tracer -= tracer.mean(0)
    var0 = tracer.var(0).mean()
    devs = [spread(weights(x, x, sigma, self_mask))]
    excess = []
    for step in range(1, STEPS + 1):
        a, b = weights(x, y, sigma, False), weights(x, x, sigma, self_mask)
        x = x + DT * (a @ y - b @ x)
        tracer = tracer - DT * (b @ tracer)
        if step % EVERY == 0:
            t = step * DT
            floor = 2 * t / (n - 1) if self_mask else 0.0
            excess.append((t, np.log(tracer.var(0).mean() / var0) - floor))
            devs.append(spread(weights(x, x, sigma, self_mask)))
    ref, _ = load_snapshot(f"{run}/snapshots/snap-{STEPS:08d}.dlsnap")
    print(f"1. NumPy flow against driftlab at t = {STEPS * DT:g}: max |diff| {np.abs(x - ref).max():.3g}")

    rows = [l.split() for l in open(f"{run}/imgspectrum.dat") if not l.startswith("#")]
    print("2. misfit ln P - ln P_model (shell: t misfit ...)")
    for shell in ("10", "14"):
        cells = [f"{float(r[0]):g} {np.log(float(r[4]) / float(r[12])):.4f}"
                 for r in rows if r[1] == shell and r[2] == "-1"]
        print(f"   shell {shell}: " + ", ".join(cells))

    grid = np.arange(0, STEPS * DT + 1e-9, EVERY * DT)
    kern = np.array([[n * (p * q).sum(1).mean() for q in devs] for p in devs])
    sym = np.array([[n * (p * q.T).sum(1).mean() for q in devs] for p in devs])
    mid = np.arange(0, STEPS * DT, DT) + DT / 2

    def on_steps(k):
        rows_ = np.array([np.interp(mid, grid, r) for r in k])
        return np.array([np.interp(mid, grid, c) for c in rows_.T]).T

    kern, sym = on_steps(kern), on_steps(sym)
    print("3. tracers: t, measured excess, second-order sum")
    for t, got in excess:
        m = int(t / DT)
        pred = (kern[:m, :m].sum() + 2 * np.tril(sym[:m, :m], -1).sum()) * DT * DT / n
        print(f"   t = {t:g}: {got:.4f}  {pred:.4f}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
