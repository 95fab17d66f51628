#!/usr/bin/env bash
# The 2-D toy gallery: every toy set under Gaussian, Laplacian and Sinkhorn
# drift, each at constant and at annealed bandwidth; a table of energy
# distances; an animation of one run; the stop-gradient ablation on the toys;
# the practical loss training a one-step MLP generator, beside the particles.
#   run.sh [--quick] [BUILD_DIR] [OUT_DIR]
# --quick: N = M = 200 and t <= 10 (about a minute); the README's numbers are
# for the full run (N = M = 400, t <= 20).
set -euo pipefail
quick=0
if [ "${1:-}" = "--quick" ]; then quick=1; shift; fi
build=${1:-build}
out=${2:-runs/deng2026-toys}
dl="$build/driftlab"
here=$(cd "$(dirname "$0")" && pwd)
plots="$here/../../plots"
[ -x "$dl" ] || { echo "run.sh: no driftlab binary at $dl (build first)" >&2; exit 1; }
mkdir -p "$out"
if [ $quick -eq 1 ]; then n=200; tend=10; else n=400; tend=20; fi
toys="8gaussians checkerboard swissroll moons rings"
common=(--init normal --n $n --m $n --dt 0.1 --t-end $tend --every 5 --seed 1 --self-mask --quiet)
constant=(--sigma 0.5 --schedule constant)
annealed=(--sigma 1.5 --schedule exp --rate 0.15 --sigma-min 0.2)
step() { echo "[$(date +%H:%M:%S)] $*"; }

for toy in $toys; do
  step "$toy: Gaussian, Laplacian, Sinkhorn; constant and annealed"
  for drift in gaussian laplacian sinkhorn; do
    case $drift in
      sinkhorn) eng=(--kernel gaussian --engine sinkhorn --sinkhorn-tol 1e-5) ;;
      *) eng=(--kernel $drift --engine simd) ;;
    esac
    "$dl" sim --target $toy "${common[@]}" "${eng[@]}" "${constant[@]}" --out "$out/$toy-$drift-constant"
    "$dl" sim --target $toy "${common[@]}" "${eng[@]}" "${annealed[@]}" --out "$out/$toy-$drift-annealed"
  done
done

step "table: final energy distance, and the step that first came within 10% of it"
{
  echo "# toy drift schedule final_energy_distance steps_to_within_10pct"
  for toy in $toys; do for drift in gaussian laplacian sinkhorn; do for sch in constant annealed; do
    awk -v t=$toy -v d=$drift -v s=$sch '!/^#/ {k++; step[k] = $1; ed[k] = $7}
      END {f = ed[k]; for (i = 1; i <= k; i++) if (ed[i] <= 1.1 * f) {print t, d, s, f, step[i]; exit}}' \
      "$out/$toy-$drift-$sch/diagnostics.dat"
  done; done; done
} > "$out/table.dat"
column -t "$out/table.dat"

step "stop-gradient ablation on 8 Gaussians and two moons (Gaussian kernel, constant sigma)"
for toy in 8gaussians moons; do
  for sg in true false; do
    "$dl" sim --target $toy "${common[@]}" --kernel gaussian "${constant[@]}" --stop-gradient $sg \
          --out "$out/ablation-$toy-sg-$sg"
  done
done

step "stop-gradient ablation on the 1-D torus (modes 1..3 seeded, amplitude 0.3, Gaussian sigma 0.5)"
for sg in true false; do
  "$dl" sim --domain torus --dim 1 --length 6.283185307179586 --target uniform --m $n --init modes \
        --modes 1,2,3 --amp 0.3 --quiet-start --n $n --kernel gaussian --sigma 0.5 --dt 0.1 --t-end $tend \
        --every 5 --seed 1 --self-mask --quiet --stop-gradient $sg --out "$out/ablation-torus-sg-$sg"
done

step "animation: 8 Gaussians, annealed Gaussian drift"
"$dl" sim --target 8gaussians "${common[@]}" --kernel gaussian --engine simd "${annealed[@]}" --every 2 \
      --frames --out "$out/animation-run"

step "the practical loss on the toys: a one-step MLP generator, as many steps as the simulation"
steps=$(awk -v t=$tend 'BEGIN {print int(t / 0.1 + 0.5)}')
for toy in $toys; do
  "$dl" toytrain --toy $toy --steps $steps --every 5 --seed 1 --quiet --out "$out/toytrain-$toy"
done

step "figures"
gnuplot -c "$plots/gallery.gp" "$out" "$out/gallery.png" "$toys"
gnuplot -c "$plots/ablation2d.gp" "$out" "$out/ablation.png"
gnuplot -c "$plots/ablation_torus.gp" "$out" "$out/ablation-torus.png"
gnuplot -c "$plots/animate.gp" "$out/animation-run" "$out/animation.gif"
gnuplot -c "$plots/toytrain.gp" "$out" "$out/generator.png" "$toys"
echo
echo "figures:"
for f in gallery.png generator.png ablation.png ablation-torus.png animation.gif table.dat; do echo "  $out/$f"; done
