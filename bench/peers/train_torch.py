"""PyTorch peer of one `driftlab train` step (default configuration): the MLP
generator z64 + one-hot -> 512 -> 512 -> 784 (SiLU, tanh), 64 generated and 64
real images per class, feature maps pixels, pool14, pool7, the practical drift
field of Deng et al. per class and map in float64 (as driftlab computes it),
the stop-gradient loss, AdamW (0.9, 0.95) with clip 2.0.
    train_torch.py DATA_DIR STEPS THREADS
prints: steps/s, then the share of time per phase."""
import gzip, struct, sys, time
import numpy as np
import torch
import torch.nn.functional as F

data, steps, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
torch.set_num_threads(threads)
torch.manual_seed(1)

def idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    magic, = struct.unpack(">I", raw[:4])
    nd = magic & 0xff
    dims = struct.unpack(">" + "I" * nd, raw[4:4 + 4 * nd])
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * nd).reshape(dims)

images = torch.tensor(idx(f"{data}/train-images-idx3-ubyte.gz").reshape(-1, 784), dtype=torch.float32) / 127.5 - 1
labels = torch.tensor(idx(f"{data}/train-labels-idx1-ubyte.gz").astype(np.int64))
by_class = [torch.nonzero(labels == c).flatten() for c in range(10)]
G, P, Z, H = 64, 64, 64, 512
gen = torch.nn.Sequential(torch.nn.Linear(Z + 10, H), torch.nn.SiLU(), torch.nn.Linear(H, H),
                          torch.nn.SiLU(), torch.nn.Linear(H, 784), torch.nn.Tanh())
opt = torch.optim.AdamW(gen.parameters(), lr=1e-3, betas=(0.9, 0.95), weight_decay=0.0)
onehot = F.one_hot(torch.arange(10).repeat_interleave(G), 10).float()
TAUS = (0.02, 0.05, 0.2)

def features(x):
    img = x.view(-1, 1, 28, 28)
    return [x, F.avg_pool2d(img, 2).flatten(1), F.avg_pool2d(img, 4).flatten(1)]

def field(X, Y):
    """driftlab's dl_field_compute: Laplacian, two-sided, masked, float64"""
    N = X.shape[0]
    O = torch.cat([Y, X])
    d = torch.cdist(X, O)
    mask = torch.zeros_like(d, dtype=torch.bool)
    mask[torch.arange(N), Y.shape[0] + torch.arange(N)] = True
    scale = d[~mask].mean()
    V = torch.zeros_like(X)
    for tau in TAUS:
        logit = (-d / scale / tau).masked_fill(mask, float("-inf"))
        a = torch.exp(0.5 * (logit.log_softmax(1) + logit.log_softmax(0))).clamp_min(1e-6).masked_fill(mask, 0)
        M = Y.shape[0]
        sp, sn = a[:, :M].sum(1, keepdim=True), a[:, M:].sum(1, keepdim=True)
        w = torch.cat([a[:, :M] * sn, -a[:, M:] * sp], 1)
        Fo = (w @ O - w.sum(1, keepdim=True) * X) / scale
        V += Fo / Fo.pow(2).mean().sqrt()
    return V, scale

t = dict(gen_fwd=0.0, features=0.0, field=0.0, gen_bwd=0.0)
start = time.perf_counter()
for step in range(steps):
    z = torch.randn(10 * G, Z)
    pos = images[torch.cat([by_class[c][torch.randint(len(by_class[c]), (P,))] for c in range(10)])]
    m = time.perf_counter()
    x = gen(torch.cat([z, onehot], 1))
    t["gen_fwd"] += time.perf_counter() - m
    m = time.perf_counter()
    fx, fy = features(x), features(pos)
    t["features"] += time.perf_counter() - m
    m = time.perf_counter()
    loss = 0.0
    for f in range(len(fx)):
        for c in range(10):
            X = fx[f][c * G:(c + 1) * G]
            with torch.no_grad():
                V, scale = field(X.double(), fy[f][c * P:(c + 1) * P].double())
                target = (X.double() / scale + V).float()
            loss = loss + ((X / scale.float() - target) ** 2).sum() / (G * X.shape[1])
    t["field"] += time.perf_counter() - m
    m = time.perf_counter()
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(gen.parameters(), 2.0)
    opt.step()
    t["gen_bwd"] += time.perf_counter() - m
total = time.perf_counter() - start
print(f"torch steps/s {steps / total:.3f}")
print("torch time: " + ", ".join(f"{k} {100 * v / total:.1f}%" for k, v in t.items()))
