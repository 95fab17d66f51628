#!/usr/bin/env bash
# Data-parallel training: `driftlab train` under mpirun at each rank count
# writes the same generator.ckpt, byte for byte (the runs share one --out in
# turn, so even the provenance matches), and the same train.dat but for its
# clock (the seconds and images/s columns, the minute of the lr-decay
# comment), and the plain run's
# distance from them is printed (it differs in rounding: one batch through
# the generator instead of one class at a time).
#   train_mpi_check.sh DRIFTLAB CKPT_DISTANCE "MPIEXEC ARGS" RANKS... -- TRAIN_ARGS...
set -euo pipefail
dl=$1 distance=$2 launcher=$3
shift 3
ranks=()
while [ "$1" != "--" ]; do ranks+=("$1"); shift; done
shift
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMP_NUM_THREADS=1
cd "$work"
"$dl" train "$@" --quiet --out run >/dev/null
mv run plain
for r in "${ranks[@]}"; do
  # shellcheck disable=SC2086
  $launcher "$r" "$dl" train "$@" --quiet --out run >/dev/null
  mv run "np$r"
done
first=np${ranks[0]}
unclocked() { grep -v '^# lr decay' "$1" | awk '/^#/ { print; next } { $2 = ""; $3 = ""; print }'; }
fail=0
for r in "${ranks[@]:1}"; do
  cmp "$first/generator.ckpt" "np$r/generator.ckpt" ||
    { echo "FAIL: generator.ckpt at -np $r differs from -np ${ranks[0]}"; fail=1; }
  cmp <(unclocked "$first/train.dat") <(unclocked "np$r/train.dat") ||
    { echo "FAIL: train.dat at -np $r differs from -np ${ranks[0]}"; fail=1; }
done
echo "plain build against -np ${ranks[0]}: $("$distance" plain/generator.ckpt "$first/generator.ckpt")"
[ $fail -eq 0 ] && echo "train_mpi_check: -np ${ranks[*]} give the same checkpoint, bit for bit"
exit $fail
