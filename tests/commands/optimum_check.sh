#!/usr/bin/env bash
# The optimised schedule, run: `driftlab theory --optimize-schedule` picks the exp
# schedule for modes 1..6 of the canonical 1-D run (Gaussian, eps = 0.05); the
# particles, run along it, must damp all six modes by eps within 10% of the
# predicted time (spectrum's tconv.dat, last row: T_measured against T_theory).
#   optimum_check.sh DRIFTLAB WORKDIR
set -euo pipefail
dl=$1
work=$2
rm -rf "$work" && mkdir -p "$work"
L=6.283185307179586
"$dl" theory --domain torus --dim 1 --length $L --kernel gaussian --optimize-schedule --kmax 6 \
      --eps 0.05 > "$work/optimum.txt"
read -r s0 r smin predicted < <(awk '/^exp schedule/ {print $6, $8, $10, $13}' "$work/optimum.txt")
t_end=$(awk -v t="$predicted" 'BEGIN {print 1.3 * t}')
"$dl" sim --domain torus --dim 1 --length $L --target uniform --m 2000 --init modes --quiet-start \
      --n 2000 --modes 1,2,3,4,5,6 --amp 0.002 --dt 0.05 --every 10 --seed 1 --quiet --engine pm \
      --kernel gaussian --sigma "$s0" --schedule exp --rate "$r" --sigma-min "$smin" --t-end "$t_end" \
      --out "$work/run"
"$dl" spectrum "$work/run" --eps 0.05 --quiet
awk -v want="$predicted" '$1 !~ /^#/ {k = $1; meas = $2; theory = $3}
  END {rel = (meas - want) / want
       printf "T_0.05(6 modes): measured %.4f, predicted %.4f (spectrum %.4f), rel %+.2f%%\n", meas, want, theory, 100 * rel
       ok = k == 6 && rel < 0.10 && rel > -0.10 && (theory - want) / want < 1e-3 && (want - theory) / want < 1e-3
       print ok ? "1 passed, 0 failed" : "0 passed, 1 failed"; exit !ok}' "$work/run/tconv.dat"
