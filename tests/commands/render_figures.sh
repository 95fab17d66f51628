#!/usr/bin/env bash
# Renders every gnuplot figure script on small real runs and checks a PNG came out.
# Exits 77 (CTest: skipped) when gnuplot is not installed.
#   render_figures.sh DRIFTLAB PLOTS_DIR
set -u
driftlab=$1
plots=$2
command -v gnuplot >/dev/null || { echo "gnuplot not installed: skipping the figure tests"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
one=(--domain torus --dim 1 --target uniform --m 256 --init modes --modes 1,2,3,4 --amp 0.005
     --quiet-start --n 256 --dt 0.05 --t-end 4 --every 10 --seed 1 --quiet)
two=(--domain torus --dim 2 --target uniform --m 256 --init modes --modes 2:0,3:3 --amp 0.1
     --quiet-start --n 256 --dt 0.1 --t-end 2 --every 5 --kernel gaussian --seed 1 --quiet)
set -e
"$driftlab" sim "${one[@]}" --kernel gaussian --sigma 0.5 --out "$work/g"
"$driftlab" sim "${one[@]}" --kernel laplacian --sigma 0.5 --out "$work/l"
"$driftlab" sim "${one[@]}" --kernel gaussian --sigma 2 --schedule exp --rate 0.25 --sigma-min 0.01 --out "$work/a"
"$driftlab" sim "${two[@]}" --sigma 0.5 --out "$work/c2"
"$driftlab" sim "${two[@]}" --sigma 1 --schedule exp --rate 0.25 --sigma-min 0.1 --out "$work/a2"
"$driftlab" sim --target 8gaussians --init normal --n 128 --m 128 --t-end 1 --quiet --out "$work/toy"
for r in g l a c2 a2; do "$driftlab" spectrum "$work/$r" --quiet; done
set +e
fail=0
render() {
  local png=$1; shift
  if gnuplot -c "$@" 2>"$work/err" && [ -s "$png" ] && [ "$(head -c 4 "$png" | tail -c 3)" = "PNG" ]; then
    echo "ok   $(basename "$png")"
  else
    echo "FAIL $(basename "$png"): $(cat "$work/err")"; fail=$((fail + 1))
  fi
}
render "$work/1.png" "$plots/rates.gp" "$work/g/rates.dat" "$work/l/rates.dat" 0.5 "$work/1.png"
render "$work/2.png" "$plots/decay.gp" "$work/g/spectrum.dat" "$work/a/spectrum.dat" "$work/2.png" "1 2 4"
render "$work/3.png" "$plots/heatmap.gp" "$work/g/heatmap.mat" "$work/a/heatmap.mat" "$work/3.png"
render "$work/4.png" "$plots/tconv.gp" "$work/g/tconv.dat" "$work/l/tconv.dat" "$work/a/tconv.dat" "$work/4.png"
render "$work/5.png" "$plots/density2d.gp" "$work/c2" "$work/a2" "$work/5.png"
render "$work/6.png" "$plots/particles2d.gp" "$work/toy" "$work/6.png"
# two training logs, as `driftlab train` writes them (header, then one row per evaluation)
for r in t1 t2; do
  printf '# driftlab test\n# step seconds images_per_s drift_rms fd_fmnist kid precision recall label_accuracy\n' > "$work/$r.dat"
done
printf '0 1 0 0 300 20 0.8 0 0.1\n2500 140 11000 2.5 6.1 0.18 0.91 0.53 0.91\n' >> "$work/t1.dat"
printf '0 1 0 0 300 20 0.8 0 0.1\n2500 150 10000 2.4 7.4 0.30 0.88 0.60 0.86\n' >> "$work/t2.dat"
render "$work/7.png" "$plots/precision_recall.gp" "$work/7.png" "$work/t1.dat $work/t2.dat" "a|b" 0.86 0.85
render "$work/8.png" "$plots/train_curves.gp" "$work/8.png" "$work/t1.dat $work/t2.dat" "a|b" 0.81
echo "$((8 - fail)) passed, $fail failed"
exit $((fail > 0))
