#!/usr/bin/env bash
# An adaptive run records its sigma(t): particles drawn from N(0, 1) flow to the
# target N(0, 4) in 1-D, with sigma = c x the particles' median pairwise distance.
#  - t = 0: sigma against the closed form c x 0.9539 x std (|X - X'| is
#    half-normal with scale std sqrt 2, its median sqrt 2 x 0.67449 std), within
#    4% (the run measures a sample of 1000 points);
#  - at the last output: sigma against c x the median recomputed here, by sort
#    and awk, from the particles the run wrote (--frames), to 1e-9;
#  - sigma must have grown by more than 1.6x (the spread doubles).
#   adaptive_check.sh DRIFTLAB WORKDIR
set -euo pipefail
dl=$1
work=$2
rm -rf "$work"
"$dl" sim --domain rd --dim 1 --target normal --target-std 2 --m 1000 --init normal --n 1000 \
      --kernel gaussian --schedule adaptive --sigma-scale 0.5 --adapt-every 10 --dt 0.1 --t-end 40 \
      --every 50 --frames --seed 3 --quiet --out "$work"
last=$(ls "$work"/frames/frame-*.dat | tail -1)
# every pairwise distance of the 1000 particles, sorted numerically; the median of 499500
median=$(grep -v '^#' "$last" |
  awk '{x[n++] = $1} END {for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) {d = x[i] - x[j]; printf "%.17g\n", d < 0 ? -d : d}}' |
  sort -g | awk '{v[n++] = $1} END {printf "%.17g\n", n % 2 ? v[(n - 1) / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2])}')
awk -v median="$median" '$1 !~ /^#/ {t[n] = $2; s[n++] = $3}
  END {want0 = 0.5 * 0.953873; want1 = 0.5 * median
       r0 = s[0] / want0 - 1; r1 = s[n - 1] / want1 - 1
       printf "sigma(0) = %.6f (closed form %.6f, %+.2f%%); sigma(%g) = %.10f (0.5 x recomputed median %.10f, %+.2e)\n", s[0], want0, 100 * r0, t[n - 1], s[n - 1], want1, r1
       ok = n > 2 && r0 < 0.04 && r0 > -0.04 && r1 < 1e-9 && r1 > -1e-9 && s[n - 1] > 1.6 * s[0]
       print ok ? "1 passed, 0 failed" : "0 passed, 1 failed"; exit !ok}' "$work/diagnostics.dat"
