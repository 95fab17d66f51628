#!/usr/bin/env bash
# The main job on its built-in default: the Landau-damping bottleneck of the
# Gaussian kernel at constant bandwidth, its cure by exponential annealing,
# the Laplacian for comparison, and a 2-D toy; then the figures.
#   scripts/demo.sh [BUILD_DIR] [OUT_DIR]
set -euo pipefail
build=${1:-build}
out=${2:-runs/demo}
dl="$build/driftlab"
here=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"

# THEORY.md's canonical 1-D setup, at N = M = 1000 so the demo takes about a minute.
canon=(--domain torus --dim 1 --length 6.283185307179586 --target uniform --m 1000
       --init modes --modes 1,2,3,4,5,6 --amp 0.005 --quiet-start --n 1000 --dt 0.05
       --every 10 --seed 1)
echo "[1/4] Gaussian kernel, constant sigma = 0.5"
"$dl" sim "${canon[@]}" --kernel gaussian --sigma 0.5 --t-end 12 --out "$out/landau-gaussian"
echo "[2/4] Laplacian kernel, constant sigma = 0.5"
"$dl" sim "${canon[@]}" --kernel laplacian --sigma 0.5 --t-end 12 --out "$out/landau-laplacian"
echo "[3/4] Gaussian kernel, sigma(t) = 2 exp(-0.25 t)"
"$dl" sim "${canon[@]}" --kernel gaussian --sigma 2 --schedule exp --rate 0.25 --sigma-min 0.005 \
      --t-end 24 --out "$out/anneal-gaussian"
echo "[4/4] 8 Gaussians in 2-D, Laplacian kernel"
"$dl" sim --target 8gaussians --init normal --n 1000 --m 1000 --kernel laplacian --sigma 0.5 \
      --dt 0.1 --t-end 30 --every 20 --seed 1 --out "$out/8gaussians"

echo
echo "Fitted rates over t in [0, 7] (theory: THEORY.md section 3):"
for k in gaussian laplacian; do
  echo "  $k"
  "$dl" rates "$out/landau-$k" --fit-window 0:7
done

gnuplot -c "$here/plots/modes.gp" "$out/landau-gaussian/modes.dat" 0.5 \
        "$out/anneal-gaussian/modes.dat" 2 0.25 "$out/modes-constant-vs-annealed.png"
gnuplot -c "$here/plots/rates.gp" "$out/landau-gaussian/rates.dat" \
        "$out/landau-laplacian/rates.dat" 0.5 "$out/rates.png"
gnuplot -c "$here/plots/particles2d.gp" "$out/8gaussians" "$out/8gaussians.png"
echo
echo "figures:"
for f in modes-constant-vs-annealed rates 8gaussians; do echo "  $out/$f.png"; done
