#!/usr/bin/env bash
# `driftlab bench` and its peers side by side: the NumPy and PyTorch CPU
# versions of the same drift evaluation (bench/peers/drift_peer.py), at the
# issue's headline sizes, with the ratios.  Renders bench.png from bench.dat.
#   bench/engines_bench.sh [BUILD_DIR] [OUT_DIR] [REPS] [--quick]
set -euo pipefail
build=${1:-build}
out=${2:-runs/bench}
reps=${3:-3}
quick=${4:-}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
py=/usr/bin/python3   # Debian's python3-numpy and python3-torch
"$py" -c 'import numpy, torch' 2>/dev/null || { echo "needs python3-numpy and python3-torch (apt-get install python3-numpy python3-torch)"; exit 1; }
# driftlab names OpenBLAS's kernels itself where OpenBLAS's CPU detection falls
# back to SSE3 (sim/main.c); the peers load the same OpenBLAS, so they get the
# same kernels, or the comparison would be of kernels, not of code.
core=$("$build/driftlab" version | sed -n 's/^ *OpenBLAS kernels: \([A-Za-z0-9]*\).*/\1/p')
[ -n "$core" ] && export OPENBLAS_CORETYPE=$core && echo "OpenBLAS kernels for driftlab and the peers: $core"
echo "== peers' BLAS"
"$py" -c 'import numpy; numpy.show_config()' 2>/dev/null | grep -iE "openblas|blas_opt|name" | head -4 | sed 's/^/  numpy: /'
"$py" -c 'import torch; c = torch.__config__.show(); print("  torch " + torch.__version__ + ": " + "; ".join(l.strip() for l in c.splitlines() if "BLAS" in l or "CPU capability" in l)[:300])'
echo "  torch's BLAS_INFO=generic means libblas.so.3, which here resolves to: $(readlink -f /usr/lib/$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)/libblas.so.3)"
echo "== driftlab bench"
OMP_NUM_THREADS=2 "$build/driftlab" bench --reps "$reps" --out "$out" $quick
if [ -n "$quick" ]; then sizes="simd:1:2000:0.5 simd:2:2000:0.5 gemm:784:512:20"; else sizes="simd:1:20000:0.5 simd:2:20000:0.5 gemm:784:4096:20"; fi
echo "== peers (2 threads), median of $reps"
for s in $sizes; do
  IFS=: read -r engine d n sigma <<<"$s"
  ours=$(awk -v e="$engine" -v d="$d" -v n="$n" '$1 == e && $2 == d && $3 == n {print $4}' "$out/bench.dat")
  np_t=$(OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 "$py" "$here/peers/drift_peer.py" numpy "$n" "$d" "$sigma" "$reps" 2 | awk '{print $4}')
  th_t=$(OMP_NUM_THREADS=2 "$py" "$here/peers/drift_peer.py" torch "$n" "$d" "$sigma" "$reps" 2 | awk '{print $4}')
  awk -v e="$engine" -v d="$d" -v n="$n" -v a="$ours" -v b="$np_t" -v c="$th_t" 'BEGIN {
    printf "d=%-4s N=M=%-6s driftlab %-5s %9.4g s   numpy %9.4g s (%.1fx)   torch %9.4g s (%.1fx)\n",
           d, n, e, a, b, b / a, c, c / a }'
done
if command -v gnuplot >/dev/null; then
  gnuplot -c "$root/plots/bench.gp" "$out/bench.dat" "$out/bench.png" && echo "figure: $out/bench.png"
fi
