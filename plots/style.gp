# Shared look for every driftlab figure; each script loads it from its own folder.
set terminal pngcairo size 1200,800 enhanced font 'DejaVu Sans,12' linewidth 1.5
set encoding utf8
set grid lc rgb '#dddddd'
set key box opaque
set border lw 1
# one colour per mode / curve, reused across panels
array C[8] = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2']
# curve i's colour and point; past the palette's end the colours start over with open points
colour(i) = C[(i - 1) % |C| + 1]
point(i) = (i - 1) / |C| % 2 ? 6 : 7
# Linear decay rates of docs/THEORY.md section 3 (s = sigma |k|), for theory curves.
gamma_gaussian(s) = s**2 * exp(-s**2 / 2)
gamma_laplacian1(s) = 2 * s**2 / (1 + s**2)**2
gamma_laplacian(s, d) = (d + 1) * s**2 / (1 + s**2)**((d + 3) / 2.0)
gamma_cauchy(s) = s * exp(-s)
# docs/THEORY.md section 4: log-amplitude under sigma(t) = sigma0 exp(-r t), Gaussian kernel.
anneal_gaussian(t, k, s0, r) = -(1.0 / r) * (exp(-(s0 * exp(-r * t))**2 * k**2 / 2) - exp(-s0**2 * k**2 / 2))
