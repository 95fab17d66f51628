#!/usr/bin/env bash
# Regenerates every figure of the recipe from scratch, with pinned seeds.
#   run.sh [--quick] [BUILD_DIR] [OUT_DIR]
# --quick uses N = M = 1000 particles in 1-D and 32^2 in 2-D and skips the
# canonical 6-mode runs (about 2 minutes on 2 cores instead of about 11); the
# claims in README.md are for the full run.
set -euo pipefail
quick=0
if [ "${1:-}" = "--quick" ]; then quick=1; shift; fi
build=${1:-build}
out=${2:-runs/turan2026}
dl="$build/driftlab"
here=$(cd "$(dirname "$0")" && pwd)
plots="$here/../../plots"
[ -x "$dl" ] || { echo "run.sh: no driftlab binary at $dl (build first)" >&2; exit 1; }
mkdir -p "$out"

if [ $quick -eq 1 ]; then n1=1000; n2=1024; else n1=2000; n2=2304; fi
L=6.283185307179586
one_d=(--domain torus --dim 1 --length $L --target uniform --m $n1 --init modes --quiet-start
       --n $n1 --amp 0.005 --dt 0.05 --every 10 --seed 1 --quiet)
modes16=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16
step() { echo "[$(date +%H:%M:%S)] $*"; }

if [ $quick -eq 0 ]; then
  step "canonical run (docs/THEORY.md 3), Gaussian and Laplacian, modes 1..6"
  for k in gaussian laplacian; do
    "$dl" sim "${one_d[@]}" --modes 1,2,3,4,5,6 --kernel $k --sigma 0.5 --t-end 40 --out "$out/canonical-$k"
    "$dl" spectrum "$out/canonical-$k" --fit-window 0:7 --quiet
  done
fi
step "linear regime: modes 1..16 at amplitude 1e-4, constant Gaussian and Laplacian (t <= 40)"
for k in gaussian laplacian; do
  "$dl" sim "${one_d[@]}" --modes $modes16 --amp 0.0001 --kernel $k --sigma 0.5 --t-end 40 --out "$out/linear-$k"
  "$dl" spectrum "$out/linear-$k" --quiet
done
step "modes 1..16 at amplitude 0.005: constant Gaussian, constant Laplacian (sigma 0.5, t <= 40)"
for k in gaussian laplacian; do
  "$dl" sim "${one_d[@]}" --modes $modes16 --kernel $k --sigma 0.5 --t-end 40 --out "$out/k16-$k"
  "$dl" spectrum "$out/k16-$k" --quiet
done
step "modes 1..16: annealed Gaussian sigma(t) = 2 exp(-t/4), floor 0.005 (t <= 30)"
"$dl" sim "${one_d[@]}" --modes $modes16 --kernel gaussian --sigma 2 --schedule exp --rate 0.25 \
      --sigma-min 0.005 --t-end 30 --out "$out/k16-annealed"
"$dl" spectrum "$out/k16-annealed" --quiet

step "2-D torus: constant against annealed Gaussian"
two_d=(--domain torus --dim 2 --length $L --target uniform --m $n2 --init modes --quiet-start
       --n $n2 --modes 2:0,5:3,6:6 --amp 0.15 --kernel gaussian --dt 0.1 --t-end 20 --every 10
       --seed 1 --quiet)
"$dl" sim "${two_d[@]}" --sigma 0.5 --out "$out/2d-constant"
"$dl" sim "${two_d[@]}" --sigma 1 --schedule exp --rate 0.25 --sigma-min 0.1 --out "$out/2d-annealed"
for r in 2d-constant 2d-annealed; do "$dl" spectrum "$out/$r" --kmax 12 --quiet; done

step "figures"
gnuplot -c "$plots/rates.gp" "$out/linear-gaussian/rates.dat" "$out/linear-laplacian/rates.dat" 0.5 "$out/fig1-rates.png"
gnuplot -c "$plots/decay.gp" "$out/k16-gaussian/spectrum.dat" "$out/k16-annealed/spectrum.dat" \
        "$out/fig2-decay.png" "1 4 8 10 16" "constant {/Symbol s} = 0.5" "annealed {/Symbol s} = 2 e^{-t/4}"
gnuplot -c "$plots/heatmap.gp" "$out/k16-gaussian/heatmap.mat" "$out/k16-annealed/heatmap.mat" \
        "$out/fig3-heatmap.png" "constant {/Symbol s} = 0.5" "annealed {/Symbol s} = 2 e^{-t/4}"
gnuplot -c "$plots/tconv.gp" "$out/k16-gaussian/tconv.dat" "$out/k16-laplacian/tconv.dat" \
        "$out/k16-annealed/tconv.dat" "$out/fig4-tconv.png"
gnuplot -c "$plots/density2d.gp" "$out/2d-constant" "$out/2d-annealed" "$out/fig5-density2d.png"

step "the numbers (README.md says what they must be)"
bash "$here/claims.sh" "$out" $quick
echo
echo "figures:"
for f in fig1-rates fig2-decay fig3-heatmap fig4-tconv fig5-density2d; do echo "  $out/$f.png"; done
