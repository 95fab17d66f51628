#!/usr/bin/env bash
# FD-FMNIST of generated samples over the test subsets that `eval --seed` draws,
# each beside the real-data floor of the same subset, and the ratio of the means.
# A single 5000-image evaluation moves by about +-0.15 with the subset alone, so a
# setting is judged on the grid, not on one figure.
#   scripts/fd_ratio.sh BUILD CLASSIFIER "1 2 3 4 5" RUN/final3 RUN/final4 ...
# (each PREFIX names PREFIX-images.idx.gz and PREFIX-labels.idx.gz from `driftlab sample`)
set -euo pipefail
if [ $# -lt 4 ]; then
  echo "usage: scripts/fd_ratio.sh BUILD CLASSIFIER \"SEEDS\" PREFIX..." >&2
  exit 2
fi
build=$1; model=$2; seeds=$3; shift 3
[ -x "$build/driftlab" ] || { echo "fd_ratio.sh: no driftlab binary in '$build'" >&2; exit 2; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for prefix in "$@"; do
  for s in $seeds; do
    "$build/driftlab" eval --model "$model" --images "$prefix-images.idx.gz" \
      --labels "$prefix-labels.idx.gz" --n 5000 --seed "$s" --out "$tmp/eval" |
      awk -v p="$prefix" -v s="$s" '/^fd_fmnist/ {print p, s, $2, $3}'
  done
done | tee "$tmp/grid"
awk '{g += $3; f += $4; n++} END {printf "%d evaluations: FD %.3f, floor %.3f, ratio %.2f\n", n, g / n, f / n, g / f}' "$tmp/grid"
