#!/usr/bin/env bash
# A NaN mid-run stops the run with one clear line and keeps the last good
# state: sim (a dt far beyond stability) keeps its snapshots up to the
# failure, readable; train (a learning rate of 1e30 after a resume) leaves the
# checkpoint it resumed from untouched.
#   nan_midrun.sh DRIFTLAB sim|train
set -u
dl=$1 command=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMP_NUM_THREADS=1
fail=0
if [ "$command" = sim ]; then
  "$dl" sim --target 8gaussians --init normal --n 200 --m 200 --dt 1e3 --t-end 1e5 --every 5 --quiet \
            --out "$work/r" > /dev/null 2> "$work/stderr"
  rc=$?
  grep -v ': warning: ' "$work/stderr" > "$work/errors"
  last=$(grep -o 'snapshots/snap-[0-9]*\.dlsnap' "$work/errors")
  [ -n "$last" ] && [ -f "$work/r/$last" ] || { echo "FAIL: the error names no snapshot that exists"; fail=1; }
  # the kept snapshot is whole: a run starts from it
  [ -z "$last" ] || "$dl" sim --target 8gaussians --init "file:$work/r/$last" --n 200 --m 200 --t-end 0.1 \
       --quiet --out "$work/from-last" > /dev/null 2>&1 || { echo "FAIL: the last snapshot does not read"; fail=1; }
else
  a=(--gen-per-class 16 --pos-per-class 16 --hidden 128 --zdim 32 --features pixels --quiet)
  "$dl" train "${a[@]}" --steps 8 --out "$work/r" > /dev/null || { echo "FAIL: the first 8 steps"; exit 1; }
  cp "$work/r/generator.ckpt" "$work/g8"
  "$dl" train "${a[@]}" --steps 40 --checkpoint-every 4 --lr 1e30 --resume "$work/r/generator.ckpt" \
              --out "$work/r" > /dev/null 2> "$work/errors"
  rc=$?
  cmp -s "$work/g8" "$work/r/generator.ckpt" || { echo "FAIL: the good checkpoint was overwritten"; fail=1; }
  grep -q 'untouched' "$work/errors" || { echo "FAIL: the error does not say what was kept"; fail=1; }
fi
[ $rc -ne 0 ] || { echo "FAIL: exit status 0"; fail=1; }
[ "$(wc -l < "$work/errors")" -eq 1 ] || { echo "FAIL: not one error line"; fail=1; }
echo "stderr: $(cat "$work/errors")"
if [ $fail -eq 0 ]; then echo "1 passed, 0 failed"; else echo "0 passed, 1 failed"; fi
exit $fail
