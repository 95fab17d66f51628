#!/usr/bin/env bash
# What the MPI parts buy on this machine, each beside its single-process peer:
#   bench/mpi_bench.sh BUILD_DIR [WORK_DIR]
# 1. The distributed mesh: a 1-D Landau run of 10^7 particles and targets,
#    5 Euler steps, at -np 1, 2, 4 and as one process (engine pm); the
#    median stepping rate of 3 runs, its ratio to one process, and the peak
#    resident memory per rank from the run log.
# 2. Data-parallel training: 200 steps (pixels,pool7:0.5, 64 + 64 per class),
#    as one process (1 and 2 OpenMP threads) and at -np 1, 2 (one thread
#    per rank); the median of 3 wall times and the ratio to one process on
#    one thread.
# Run it with nothing else on the machine.
set -euo pipefail
build=$1
work=${2:-$(mktemp -d)}
dl="$build/driftlab"
mpi=(mpiexec --oversubscribe --allow-run-as-root -x OMP_NUM_THREADS=1 -np)
mkdir -p "$work"
landau=(--domain torus --dim 1 --target uniform --m 10000000 --init modes --modes 1,2,3 --amp 0.01
        --n 10000000 --sigma 0.3 --dt 0.05 --t-end 0.25 --every 5 --engine pm)
median() { sort -g | sed -n 2p; }
rate_of() { grep '^sim: rate' "$1" | sed 's/.*: \([0-9.]*\) steps\/s.*/\1/'; }
echo "== distributed mesh, 10^7 particles, 1-D (median of 3 runs) =="
for rep in 1 2 3; do
  rm -rf "$work/pm-serial"
  OMP_NUM_THREADS=1 /usr/bin/time -f "%M" -o "$work/serial.rss" "$dl" sim "${landau[@]}" \
    --out "$work/pm-serial" 2> "$work/pm-serial.log"
  rate_of "$work/pm-serial.log"
done | median > "$work/serial.rate"
printf "one process: %s steps/s; peak resident %.1f MiB\n" "$(cat "$work/serial.rate")" \
       "$(echo "$(cat "$work/serial.rss") / 1024" | bc -l)"
for np in 1 2 4; do
  for rep in 1 2 3; do
    rm -rf "$work/pm-np$np"
    "${mpi[@]}" "$np" "$dl" sim "${landau[@]}" --out "$work/pm-np$np" 2> "$work/pm-np$np.log"
    rate_of "$work/pm-np$np.log"
  done | median > "$work/np$np.rate"
  printf -- "-np %d: %s steps/s (%.2fx one process)\n" "$np" "$(cat "$work/np$np.rate")" \
         "$(echo "$(cat "$work/np$np.rate") / $(cat "$work/serial.rate")" | bc -l)"
  echo "        $(grep '^sim: memory' "$work/pm-np$np.log" | cut -d: -f3-)"
done

echo "== data-parallel training, 200 steps =="
train=(train --steps 200 --features pixels,pool7:0.5 --seed 1 --quiet)
time_of() { local s e; s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N); echo "$e - $s" | bc; }
declare -A med
for peer in plain1 plain2 np1 np2; do
  for rep in 1 2 3; do
    rm -rf "$work/train"
    case $peer in
      plain1) time_of env OMP_NUM_THREADS=1 "$dl" "${train[@]}" --out "$work/train" ;;
      plain2) time_of env OMP_NUM_THREADS=2 "$dl" "${train[@]}" --out "$work/train" ;;
      np1) time_of "${mpi[@]}" 1 "$dl" "${train[@]}" --out "$work/train" ;;
      np2) time_of "${mpi[@]}" 2 "$dl" "${train[@]}" --out "$work/train" ;;
    esac
  done | median > "$work/$peer.t"
  med[$peer]=$(cat "$work/$peer.t")
done
for peer in plain1 plain2 np1 np2; do
  printf "%-7s median %6.2f s  (%.2fx one process, one thread)\n" "$peer" "${med[$peer]}" \
         "$(echo "${med[plain1]} / ${med[$peer]}" | bc -l)"
done
