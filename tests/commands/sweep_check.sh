#!/usr/bin/env bash
# driftlab sweep: a 2 x 2 sweep equals its four runs made one by one with
# `driftlab sim`, and a sweep interrupted (two points' markers removed) and run
# again redoes only those two, leaving sweep.dat's numbers as they were.
# LAUNCHER (for example "mpiexec -np 3") runs both sweeps across MPI ranks.
# SWEEP_ARGS (for example "--jobs 2") go to both sweeps.
#   sweep_check.sh DRIFTLAB CHECK_RUN [LAUNCHER] [SWEEP_ARGS]
set -u
dl=$1 check=$2
read -r -a launch <<< "${3:-}"
read -r -a extra <<< "${4:-}"
export OMP_NUM_THREADS=1 # ranks or not, the points' numbers do not depend on it
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
common=(--domain torus --dim 1 --target uniform --m 400 --init modes --modes 1,2,3 --amp 0.005
        --quiet-start --n 400 --t-end 2 --every 5)
{ printf '[sweep]\nout = %s/out\n[sim]\n' "$work"
  for ((i = 0; i < ${#common[@]}; i++)); do
    key=${common[i]#--}
    if [ "$key" = quiet-start ]; then echo "quiet-start = true"; else i=$((i + 1)); echo "$key = ${common[i]}"; fi
  done
  printf '[grid]\nkernel = gaussian | laplacian\nsigma = range(0.3, 0.5, 0.2)\n'; } > "$work/spec.ini"
fail=0
${launch[@]+"${launch[@]}"} "$dl" sweep "$work/spec.ini" ${extra[@]+"${extra[@]}"} --quiet || { echo "FAIL: the sweep"; exit 1; }
p=0
for kernel in gaussian laplacian; do
  for sigma in 0.3 0.5; do
    "$dl" sim "${common[@]}" --kernel $kernel --sigma $sigma --quiet --out "$work/single-$p" > /dev/null
    "$check" same "$work/out/point-000$p/modes.dat" "$work/single-$p/modes.dat" > /dev/null ||
      { echo "FAIL: point $p ($kernel, sigma $sigma) differs from its single run"; fail=1; }
    p=$((p + 1))
  done
done
rows=$(grep -vc '^#' "$work/out/sweep.dat")
[ "$rows" -eq 4 ] || { echo "FAIL: sweep.dat has $rows rows"; fail=1; }
# every column but wall_s (5)
numbers() { grep -v '^#' "$1" | awk '{$5 = ""; print}'; }
numbers "$work/out/sweep.dat" > "$work/first"
cp "$work/out/point-0000/done.dat" "$work/done0"
touch -d '2000-01-01' "$work/out/point-0000/done.dat" "$work/out/point-0002/done.dat"
rm "$work/out/point-0001/done.dat" "$work/out/point-0003/done.dat"
${launch[@]+"${launch[@]}"} "$dl" sweep "$work/spec.ini" ${extra[@]+"${extra[@]}"} --quiet || { echo "FAIL: the resumed sweep"; exit 1; }
for q in 0 2; do
  [ "$(stat -c %Y "$work/out/point-000$q/done.dat")" -lt 1000000000 ] || { echo "FAIL: point $q was redone"; fail=1; }
done
for q in 1 3; do
  [ -f "$work/out/point-000$q/done.dat" ] || { echo "FAIL: point $q was not redone"; fail=1; }
done
numbers "$work/out/sweep.dat" | cmp -s - "$work/first" || { echo "FAIL: the resumed sweep.dat differs"; fail=1; }
if [ $fail -eq 0 ]; then echo "1 passed, 0 failed"; else echo "0 passed, 1 failed"; fi
exit $fail
