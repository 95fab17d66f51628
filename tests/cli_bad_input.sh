#!/usr/bin/env bash
# One bad-input case of `driftlab sim`: it must exit non-zero, print exactly one
# line on stderr, and leave no output behind.
#   cli_bad_input.sh DRIFTLAB CASE
set -u
driftlab=$1
case_name=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out="$work/out"
torus=(--domain torus --dim 1 --target uniform --m 64 --init modes --modes 1,2 --amp 0.01 --n 64 --t-end 0.2 --quiet)
rd=(--target 8gaussians --init normal --n 64 --m 64 --t-end 0.2 --quiet)

# A valid snapshot to damage.
make_snapshot() {
  "$driftlab" sim "${rd[@]}" --out "$work/src" >/dev/null 2>&1 || { echo "setup run failed"; exit 1; }
  ls "$work"/src/snapshots/*.dlsnap | head -n 1
}

case "$case_name" in
  sigma_negative)   args=("${rd[@]}" --sigma -0.5) ;;
  sigma_zero)       args=("${rd[@]}" --sigma 0) ;;
  sigma_nan)        args=("${rd[@]}" --sigma nan) ;;
  dt_zero)          args=("${rd[@]}" --dt 0) ;;
  dt_negative)      args=("${rd[@]}" --dt -0.05) ;;
  kernel_unknown)   args=("${rd[@]}" --kernel epanechnikov) ;;
  target_unknown)   args=("${rd[@]}" --target spiral) ;;
  option_unknown)   args=("${rd[@]}" --frobnicate 3) ;;
  option_no_value)  args=("${rd[@]}" --sigma) ;;
  modes_junk)       args=("${torus[@]}" --modes 1,x,3) ;;
  modes_empty_item) args=("${torus[@]}" --modes 1,,3) ;;
  n_zero)           args=("${rd[@]}" --n 0) ;;
  dim_out_of_range) args=("${rd[@]}" --dim 0) ;;
  samples_missing)  args=("${rd[@]}" --target "file:$work/nope.dlsnap") ;;
  samples_empty)    : > "$work/empty.dlsnap"; args=("${rd[@]}" --target "file:$work/empty.dlsnap") ;;
  samples_truncated)
    snap=$(make_snapshot); size=$(stat -c %s "$snap")
    head -c $((size - 5)) "$snap" > "$work/trunc.dlsnap"
    args=("${rd[@]}" --target "file:$work/trunc.dlsnap") ;;
  samples_wrong_magic)
    snap=$(make_snapshot); { printf 'NOTSNAP!'; tail -c +9 "$snap"; } > "$work/magic.dlsnap"
    args=("${rd[@]}" --target "file:$work/magic.dlsnap") ;;
  samples_nan)      printf '0 0\n1 nan\n' > "$work/nan.dat"; args=("${rd[@]}" --init "file:$work/nan.dat" --n 2) ;;
  config_unknown_key) printf '[sim]\nsigma = 0.5\nbandwidth = 2\n' > "$work/c.ini"; args=(--config "$work/c.ini" "${rd[@]}") ;;
  config_missing)   args=(--config "$work/none.ini" "${rd[@]}") ;;
  out_unwritable)   : > "$work/file"; args=("${rd[@]}" --out "$work/file/sub") ;;
  *) echo "unknown case $case_name"; exit 2 ;;
esac
[ "$case_name" = out_unwritable ] || args+=(--out "$out")

"$driftlab" sim "${args[@]}" >"$work/stdout" 2>"$work/stderr"
rc=$?
lines=$(wc -l < "$work/stderr")
fail=0
[ "$rc" -ne 0 ] || { echo "FAIL: exit status 0"; fail=1; }
[ "$lines" -eq 1 ] || { echo "FAIL: $lines lines on stderr (want 1)"; fail=1; }
grep -q 'error: ' "$work/stderr" || { echo "FAIL: no 'error:' on stderr"; fail=1; }
[ ! -e "$out" ] || { echo "FAIL: output directory was created"; fail=1; }
[ ! -e "$work/file/sub" ] || { echo "FAIL: output under a file"; fail=1; }
echo "stderr: $(cat "$work/stderr")"
if [ $fail -eq 0 ]; then echo "1 passed, 0 failed"; else echo "0 passed, 1 failed"; fi
exit $fail
