#!/usr/bin/env bash
# The kernel atlas (docs/THEORY.md, the atlas section): every kernel and drift
# operator beside its closed-form theory, with pinned seeds.
#   run.sh [--quick] [BUILD_DIR] [OUT_DIR]
# --quick runs 1000 particles per run instead of 2000 (about 1 minute on 2 cores).
set -euo pipefail
quick=0
if [ "${1:-}" = "--quick" ]; then quick=1; shift; fi
build=${1:-build}
out=${2:-runs/kernel-atlas}
dl="$build/driftlab"
here=$(cd "$(dirname "$0")" && pwd)
plots="$here/../../plots"
[ -x "$dl" ] || { echo "run.sh: no driftlab binary at $dl (build first)" >&2; exit 1; }
mkdir -p "$out"
if [ $quick -eq 1 ]; then n=1000; else n=2000; fi
L=6.283185307179586
kernels="gaussian laplacian cauchy matern:1.5 matern:2.5 matern:1.2 student:2 sech"
one_d=(--domain torus --dim 1 --length $L --target uniform --m $n --init modes --quiet-start
       --n $n --modes 1,2,3,4,5,6 --amp 0.002 --dt 0.05 --every 10 --seed 1 --quiet --engine pm)
theory=(--domain torus --dim 1 --length $L --t-end 40)
step() { echo "[$(date +%H:%M:%S)] $*"; }
tag() { echo "${1//:/_}"; }

# eps = 0.05 lies above the annealing cap exp(-1/r) = exp(-4) = 0.018 that every
# kernel shares, so the annealed schedule reaches it before its floor.
step "theory: gamma(sigma k) for sigma k in [0.25, 50]; T_0.05(K) at constant sigma = 1 and annealed 2 exp(-t/4)"
for k in $kernels; do
  "$dl" theory "${theory[@]}" --kernel $k --sigma 0.25 --kmax 200 --write "$out/theory-$(tag $k)" > /dev/null
  "$dl" theory "${theory[@]}" --kernel $k --sigma 1 --kmax 64 --eps 0.05 --write "$out/const-$(tag $k)" > /dev/null
  "$dl" theory "${theory[@]}" --kernel $k --sigma 2 --schedule exp --rate 0.25 --sigma-min 0.005 \
        --t-end 60 --kmax 64 --eps 0.05 --write "$out/anneal-$(tag $k)" > /dev/null
done
step "theory: the MMD flow of the Gaussian and Laplacian (sigma = 0.5), and Coulomb"
for k in gaussian laplacian; do
  "$dl" theory "${theory[@]}" --kernel $k --field mmd --sigma 0.5 --kmax 60 --write "$out/mmd-$k" > /dev/null
  "$dl" theory "${theory[@]}" --kernel $k --sigma 0.5 --kmax 60 --write "$out/ms-$k" > /dev/null
done
"$dl" theory "${theory[@]}" --kernel coulomb --field mmd --kmax 60 --write "$out/mmd-coulomb" > /dev/null
step "companions k(r) and Phi(r)"
for k in gaussian laplacian matern:1.5 student:2 sech; do
  "$dl" theory --dim 1 --kernel $k --sigma 1 --companion --write "$out/companion-$(tag $k)" > /dev/null
done

step "particles: the canonical 1-D run (modes 1..6, sigma = 0.5) for every kernel and both operators"
for k in $kernels; do
  "$dl" sim "${one_d[@]}" --kernel $k --sigma 0.5 --t-end 7 --out "$out/run-$(tag $k)"
  "$dl" spectrum "$out/run-$(tag $k)" --fit-window 0:7 --quiet
done
for k in gaussian laplacian; do
  "$dl" sim "${one_d[@]}" --kernel $k --field mmd --sigma 0.5 --t-end 7 --out "$out/run-mmd-$k"
  "$dl" spectrum "$out/run-mmd-$k" --fit-window 0:7 --quiet
done
"$dl" sim "${one_d[@]}" --n $((10 * n)) --m $((10 * n)) --engine auto --kernel coulomb --field mmd \
      --sigma 0.5 --t-end 7 --out "$out/run-mmd-coulomb"
"$dl" spectrum "$out/run-mmd-coulomb" --fit-window 0:7 --quiet

step "the fastest exp schedule for modes 1..6 (Gaussian, eps = 0.05) against the best constant sigma"
"$dl" theory "${theory[@]}" --kernel gaussian --optimize-schedule --kmax 6 --eps 0.05 | tee "$out/optimum.txt"
read -r s0 r smin t_opt < <(awk '/^exp schedule/ {print $6, $8, $10, $13}' "$out/optimum.txt")
read -r sc t_const < <(awk '/^constant sigma/ {print $6, $9}' "$out/optimum.txt")
t_run=$(awk -v a="$t_opt" -v b="$t_const" 'BEGIN {m = a > b ? a : b; print 1.3 * m}')
"$dl" sim "${one_d[@]}" --kernel gaussian --sigma "$s0" --schedule exp --rate "$r" --sigma-min "$smin" \
      --t-end "$t_run" --out "$out/run-optimum"
"$dl" sim "${one_d[@]}" --kernel gaussian --sigma "$sc" --t-end "$t_run" --out "$out/run-constant"
for run in run-optimum run-constant; do "$dl" spectrum "$out/$run" --eps 0.05 --quiet; done

step "figures"
gnuplot -c "$plots/atlas.gp" rates "$out" "${kernels//:/_}" "$out/fig1-rates.png"
gnuplot -c "$plots/atlas.gp" tconv "$out" "${kernels//:/_}" "$out/fig2-tconv.png"
gnuplot -c "$plots/atlas.gp" operators "$out" "" "$out/fig3-operators.png"
gnuplot -c "$plots/atlas.gp" companions "$out" "gaussian laplacian matern_1.5 student_2 sech" "$out/fig4-companions.png"
gnuplot -c "$plots/atlas.gp" optimum "$out" "" "$out/fig5-optimum.png"
echo "figures: $out/fig1-rates.png $out/fig2-tconv.png $out/fig3-operators.png $out/fig4-companions.png $out/fig5-optimum.png"
