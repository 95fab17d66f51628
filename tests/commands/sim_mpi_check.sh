#!/usr/bin/env bash
# `driftlab sim --engine pm` under mpirun against the same run as one process:
#   sim_mpi_check.sh DRIFTLAB CHECK_RUN "MPIEXEC ARGS" RANKS... -- SIM_ARGS...
# For each rank count: diagnostics.dat, modes.dat and final.dat agree with the
# single-process run's to 1e-12 of each column's scale (the runs differ only
# in the order of floating-point sums; columns of rounding noise, like V+
# against a lattice target, are measured against a floor: 1e-6 for fields
# and rates, 1e-4 for mode amplitudes, 1 for positions), and `driftlab
# spectrum` reads the distributed run's snapshots unchanged and gives the
# same spectrum.
set -euo pipefail
dl=$1 check=$2 launcher=$3
shift 3
ranks=()
while [ "$1" != "--" ]; do ranks+=("$1"); shift; done
shift
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMP_NUM_THREADS=1
"$dl" sim "$@" --engine pm --quiet --out "$work/serial"
"$dl" spectrum "$work/serial" --quiet >/dev/null
for r in "${ranks[@]}"; do
  out="$work/np$r"
  # shellcheck disable=SC2086
  $launcher "$r" "$dl" sim "$@" --engine pm --quiet --out "$out"
  for f in diagnostics.dat:1e-6 modes.dat:1e-4 final.dat:1 target.dat:1; do
    "$check" close "$work/serial/${f%%:*}" "$out/${f%%:*}" 1e-12 "${f#*:}"
  done
  cmp <(ls "$work/serial/snapshots") <(ls "$out/snapshots")
  "$dl" spectrum "$out" --quiet >/dev/null
  "$check" close "$work/serial/spectrum.dat" "$out/spectrum.dat" 1e-12 1e-6
done
echo "sim_mpi_check: ${ranks[*]} ranks agree with one process"
