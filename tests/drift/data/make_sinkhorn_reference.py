"""Reference entropic plans and barycentric projections from the Python Optimal
Transport library (Debian python3-pot), for tests/test_sinkhorn.c.  Regenerate:
    /usr/bin/python3 tests/drift/data/make_sinkhorn_reference.py > tests/drift/data/sinkhorn_reference.txt
Cost |x - y|^2 / 2 on R^d, uniform weights, ot.sinkhorn (method sinkhorn_log)
iterated until both marginals are within 1e-9 (L1; POT stalls near 1e-10 on the eps = 0.05 case).  Format per case:
    case DIM N M EPS
    N lines of x, M lines of y, N lines of the plan (M values), N lines of T(x_i) - x_i
"""
import numpy as np
import ot

rng = np.random.default_rng(20261122)
print("# POT", ot.__version__, "ot.sinkhorn(method='sinkhorn_log'), cost |x-y|^2/2, uniform weights")
cases = [(1, 7, 9, 0.5), (1, 7, 9, 0.05), (2, 6, 8, 0.3), (2, 10, 5, 0.1), (3, 5, 6, 1.0)]
for dim, n, m, eps in cases:
    x = rng.standard_normal((n, dim))
    y = rng.standard_normal((m, dim)) * 1.3 + 0.4
    M = 0.5 * ((x[:, None, :] - y[None, :, :]) ** 2).sum(-1)
    a, b = np.full(n, 1.0 / n), np.full(m, 1.0 / m)
    plan = ot.sinkhorn(a, b, M, eps, method="sinkhorn_log", numItermax=200000, stopThr=1e-13)
    err = abs(plan.sum(1) - a).sum() + abs(plan.sum(0) - b).sum()
    assert err < 1e-9, f"POT did not converge: marginal error {err}"
    proj = plan @ y / plan.sum(1, keepdims=True) - x
    print(f"case {dim} {n} {m} {eps!r}")
    for block in (x, y, plan, proj):
        for row in block:
            print(" ".join(f"{v:.17g}" for v in row))
