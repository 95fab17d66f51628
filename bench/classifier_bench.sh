#!/usr/bin/env bash
# driftlab's classifier training against the PyTorch peer, side by side:
# the same CNN, batch 128, AdamW, STEPS steps, 2 threads, REPS interleaved
# repetitions; prints both medians in images/s and their ratio.
#   bench/classifier_bench.sh [BUILD_DIR] [STEPS] [REPS]
# CORETYPE=SkylakeX (or Haswell, ...) adds a driftlab column with OpenBLAS told
# its CPU kernel, for machines whose masked CPUID makes OpenBLAS fall back to
# its generic SSE3 ("Prescott") kernels; it applies to that command alone.
set -euo pipefail
build=${1:-build}
steps=${2:-100}
reps=${3:-3}
data=${DRIFTLAB_DATA:-/usr/share/datasets/fashion-mnist}
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3   # Debian's python3-torch lives with the system interpreter
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$py" -c 'import torch' 2>/dev/null || { echo "python3-torch is not installed (apt-get install python3-torch)"; exit 1; }
echo "peer: torch $("$py" -c 'import torch; print(torch.__version__)'), BLAS/conv backends:"
"$py" -c 'import torch; c = torch.__config__.show(); print("  " + "; ".join(l.strip() for l in c.splitlines() if "BLAS" in l or "MKL-DNN" in l or "CPU capability" in l)[:300])'
echo "OpenBLAS kernel picked here: $(OPENBLAS_VERBOSE=2 "$build/driftlab" version 2>&1 | sed -n 's/^Core: //p')"
run_driftlab() {
  OMP_NUM_THREADS=2 "$@" "$build/driftlab" classify train --data "$data" --epochs 1 \
    --limit $((steps * 128)) --out "$tmp/c.ckpt" --quiet | sed -n 's/.* \([0-9.]*\) images\/s.*/\1/p'
}
d=() t=() k=()
for r in $(seq 1 "$reps"); do
  d+=("$(run_driftlab env)")
  [ -z "${CORETYPE:-}" ] || k+=("$(run_driftlab env OPENBLAS_CORETYPE="$CORETYPE")")
  t+=("$("$py" "$here/peers/classifier_torch.py" "$data" "$steps" 2 | awk '{print $3}')")
  echo "  rep $r: driftlab ${d[-1]}${CORETYPE:+, driftlab with $CORETYPE kernels ${k[-1]}}, torch ${t[-1]} images/s"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
md=$(median "${d[@]}"); mt=$(median "${t[@]}")
echo "median images/s: driftlab $md, torch $mt, ratio driftlab/torch $(awk -v a="$md" -v b="$mt" 'BEGIN {printf "%.2f", a / b}')"
if [ -n "${CORETYPE:-}" ]; then
  mk=$(median "${k[@]}")
  echo "median images/s with OPENBLAS_CORETYPE=$CORETYPE: driftlab $mk, ratio driftlab/torch $(awk -v a="$mk" -v b="$mt" 'BEGIN {printf "%.2f", a / b}')"
fi
