"""NumPy and PyTorch peers of one drift evaluation, V = V+ - V- with the
Gaussian kernel on R^d, V- self-masked: the same points and sizes as
`driftlab bench` (x ~ N(0, 1), y ~ N(0.5, 1), sigma 0.5 for d <= 3, 20 for
d = 784), float32, rows in chunks so the N x M weights fit in memory.
    drift_peer.py numpy|torch N DIM SIGMA REPS THREADS
prints: <peer> d N median_seconds"""
import sys, time
import numpy as np

peer, n, d, sigma, reps, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
rng = np.random.default_rng(1)
x = rng.standard_normal((n, d)).astype(np.float32)
y = (rng.standard_normal((n, d)) + 0.5).astype(np.float32)
CHUNK = max(1, min(n, (1 << 26) // n))  # ~256 MB of float32 weights per chunk

if peer == "numpy":
    def mean_shift(xs, pts, mask):
        out = np.empty_like(xs)
        pn = (pts * pts).sum(1)
        for a in range(0, len(xs), CHUNK):
            xb = xs[a:a + CHUNK]
            d2 = (xb * xb).sum(1)[:, None] + pn[None, :] - 2.0 * xb @ pts.T
            np.maximum(d2, 0, out=d2)
            w = np.exp(d2 * np.float32(-0.5 / sigma ** 2))
            if mask:
                w[np.arange(len(xb)), a + np.arange(len(xb))] = 0
            out[a:a + CHUNK] = (w @ pts) / w.sum(1)[:, None] - xb
        return out
    def evaluate():
        return mean_shift(x, y, False) - mean_shift(x, x, True)
    backend = "numpy " + np.__version__
else:
    import torch
    torch.set_num_threads(threads)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    def mean_shift(xs, pts, mask):
        out = torch.empty_like(xs)
        for a in range(0, len(xs), CHUNK):
            xb = xs[a:a + CHUNK]
            w = torch.exp(torch.cdist(xb, pts).square_() * (-0.5 / sigma ** 2))
            if mask:
                idx = torch.arange(len(xb))
                w[idx, a + idx] = 0
            out[a:a + CHUNK] = (w @ pts) / w.sum(1, keepdim=True) - xb
        return out
    def evaluate():
        with torch.no_grad():
            return mean_shift(xt, yt, False) - mean_shift(xt, xt, True)
    backend = "torch " + torch.__version__

times = []
evaluate()  # warm-up
for _ in range(reps):
    t0 = time.perf_counter()
    evaluate()
    times.append(time.perf_counter() - t0)
print(f"{peer} {d} {n} {float(np.median(times)):.6g}")
