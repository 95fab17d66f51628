#!/usr/bin/env bash
# One bad-input case of `driftlab spectrum`: non-zero exit, one line on stderr,
# and no analysis file written.
#   spectrum_bad_input.sh DRIFTLAB CASE
set -u
driftlab=$1
case_name=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
torus=(--domain torus --dim 1 --target uniform --m 64 --init modes --modes 1,2 --amp 0.01
       --quiet-start --n 64 --t-end 0.5 --every 2 --quiet)
case "$case_name" in
  missing_run)     run="$work/none" ;;
  no_snapshots)    "$driftlab" sim "${torus[@]}" --out "$work/r" >/dev/null 2>&1; rm -rf "$work/r/snapshots"; run="$work/r" ;;
  not_torus)       "$driftlab" sim --target 8gaussians --init normal --n 32 --m 32 --t-end 0.2 --quiet --out "$work/r" >/dev/null 2>&1; run="$work/r" ;;
  single_output)   "$driftlab" sim "${torus[@]}" --out "$work/r" >/dev/null 2>&1
                   ls "$work"/r/snapshots/*.dlsnap | tail -n +2 | xargs rm -f; run="$work/r" ;;
  corrupt_snapshot) "$driftlab" sim "${torus[@]}" --out "$work/r" >/dev/null 2>&1
                   f=$(ls "$work"/r/snapshots/*.dlsnap | tail -n 1); head -c 100 "$f" > "$f.x"; mv "$f.x" "$f"; run="$work/r" ;;
  bad_option)      "$driftlab" sim "${torus[@]}" --out "$work/r" >/dev/null 2>&1; run="$work/r"; extra=(--grid 7) ;;
  *) echo "unknown case $case_name"; exit 2 ;;
esac
"$driftlab" spectrum "$run" ${extra[@]+"${extra[@]}"} >"$work/stdout" 2>"$work/stderr"
rc=$?
lines=$(wc -l < "$work/stderr")
fail=0
[ "$rc" -ne 0 ] || { echo "FAIL: exit status 0"; fail=1; }
[ "$lines" -eq 1 ] || { echo "FAIL: $lines lines on stderr (want 1)"; fail=1; }
grep -q 'error: ' "$work/stderr" || { echo "FAIL: no 'error:' on stderr"; fail=1; }
for f in spectrum.dat rates.dat heatmap.mat tconv.dat; do
  [ ! -e "$run/$f" ] || { echo "FAIL: $f was written"; fail=1; }
done
echo "stderr: $(cat "$work/stderr")"
if [ $fail -eq 0 ]; then echo "1 passed, 0 failed"; else echo "0 passed, 1 failed"; fi
exit $fail
