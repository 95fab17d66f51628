#!/usr/bin/env bash
# run.ini replays values inih would otherwise misread: an --out holding a
# newline, a ';' after a blank and a trailing blank, and a mixture with ';'.
# The replay must write into the very same directory (so --out read back
# unchanged) and reproduce the numbers; the "# command:" header stays one line.
#   replay_odd_values.sh DRIFTLAB
set -u
dl=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out="$work/odd ;dir"$'\n'"x "
fail=0
"$dl" sim --target gmm --target-mixture '0.5@0,0/1;0.5@2,2/1' --init normal --n 32 --m 32 \
          --t-end 0.2 --quiet --out "$out" > /dev/null || { echo "FAIL: first run"; exit 1; }
cmd_lines=$(grep -c '^# command:' "$out/diagnostics.dat")
[ "$cmd_lines" -eq 1 ] || { echo "FAIL: $cmd_lines command lines"; fail=1; }
grep -v '^#' "$out/diagnostics.dat" | grep -q '[a-z]' && { echo "FAIL: header spilled into the table"; fail=1; }
grep -v '^#' "$out/diagnostics.dat" > "$work/first.dat"
rm "$out/diagnostics.dat"
"$dl" sim --config "$out/run.ini" --quiet > /dev/null || { echo "FAIL: replay"; exit 1; }
entries=$(find "$work" -mindepth 1 -maxdepth 1 -printf x | wc -c)
[ "$entries" -eq 2 ] || { echo "FAIL: the replay wrote elsewhere: $(ls -A "$work" | tr '\n' '|')"; fail=1; }
[ -f "$out/diagnostics.dat" ] && grep -v '^#' "$out/diagnostics.dat" | cmp -s - "$work/first.dat" ||
  { echo "FAIL: the replay's numbers differ"; fail=1; }
if [ $fail -eq 0 ]; then echo "1 passed, 0 failed"; else echo "0 passed, 1 failed"; fi
exit $fail
