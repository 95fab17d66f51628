#!/usr/bin/env bash
# One `driftlab train` step (the peer's configuration: MLP, pixel maps, no encoder, no
# guidance, lr 1e-3; no evaluation) against the
# PyTorch peer bench/peers/train_torch.py: the same generator, drift loss and
# batch, 2 threads, REPS interleaved repetitions of STEPS steps; prints both
# medians in steps/s, their ratio, and where each one's step time goes.
#   bench/train_bench.sh [BUILD_DIR] [STEPS] [REPS]
set -euo pipefail
build=${1:-build}
steps=${2:-100}
reps=${3:-3}
data=${DRIFTLAB_DATA:-/usr/share/datasets/fashion-mnist}
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$py" -c 'import torch' 2>/dev/null || { echo "python3-torch is not installed (apt-get install python3-torch)"; exit 1; }
# driftlab names OpenBLAS's kernels itself where OpenBLAS's CPU detection falls
# back to SSE3 (sim/main.c); the peers load the same OpenBLAS, so they get the
# same kernels, or the comparison would be of kernels, not of code.
core=$("$build/driftlab" version | sed -n 's/^ *OpenBLAS kernels: \([A-Za-z0-9]*\).*/\1/p')
[ -n "$core" ] && export OPENBLAS_CORETYPE=$core && echo "OpenBLAS kernels for driftlab and the peers: $core"
echo "peer: torch $("$py" -c 'import torch; print(torch.__version__)')"
d=() t=()
for r in $(seq 1 "$reps"); do
  OMP_NUM_THREADS=2 "$build/driftlab" train --data "$data" --steps "$steps" --out "$tmp/run" --features pixels,pool14,pool7 --cfg-alpha-max 1 --lr 1e-3 --lr-decay 0 "${@:4}" >"$tmp/d.txt" 2>/dev/null
  d+=("$(awk '/^trained/ {printf "%.3f", $2 / $5}' "$tmp/d.txt")")
  "$py" "$here/peers/train_torch.py" "$data" "$steps" 2 >"$tmp/t.txt"
  t+=("$(awk '/steps\/s/ {print $3}' "$tmp/t.txt")")
  echo "  rep $r: driftlab ${d[-1]}, torch ${t[-1]} steps/s"
done
echo "driftlab $(sed -n 's/^time: //p' "$tmp/d.txt")"
sed -n 's/^torch time: /torch    /p' "$tmp/t.txt"
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
md=$(median "${d[@]}"); mt=$(median "${t[@]}")
echo "median steps/s: driftlab $md, torch $mt, ratio driftlab/torch $(awk -v a="$md" -v b="$mt" 'BEGIN {printf "%.2f", a / b}')"
