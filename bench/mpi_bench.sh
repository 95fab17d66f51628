#!/usr/bin/env bash
# What the MPI parts buy on this machine, each beside its single-process peer:
#   bench/mpi_bench.sh BUILD_DIR [WORK_DIR]
# 1. The distributed mesh: a 1-D Landau run of 10^7 particles and targets,
#    5 Euler steps, at -np 1, 2, 4 and as one process (engine pm); the
#    median stepping rate, its ratio to one process, and the peak resident
#    memory per rank from the run log.
# 2. Data-parallel training: 200 steps (pixels,pool7:0.5, 64 + 64 per class),
#    as one process (1 and 2 OpenMP threads) and at -np 1, 2 (one thread
#    per rank); the median wall time and the ratio to one process on one
#    thread.
# Run it with nothing else on the machine.
set -euo pipefail
build=$1
work=${2:-$(mktemp -d)}
dl="$build/driftlab"
mpi=(mpiexec --oversubscribe --allow-run-as-root -x OMP_NUM_THREADS=1 -np)
mkdir -p "$work"
rm -f "$work"/*.rates "$work"/*.times
landau=(--domain torus --dim 1 --target uniform --m 10000000 --init modes --modes 1,2,3 --amp 0.01
        --n 10000000 --sigma 0.3 --dt 0.05 --t-end 0.25 --every 5 --engine pm)
# Every peer runs once per round, in turn, so that a slow spell of this
# shared machine falls on all of them alike; the median of 3 rounds is quoted.
median() { sort -g | sed -n 2p; }
rate_of() { grep '^sim: rate' "$1" | sed 's/.*: \([0-9.]*\) steps\/s.*/\1/'; }
echo "== distributed mesh, 10^7 particles, 1-D (median of 3 rounds) =="
mesh_peers=(serial np1 np2 np4)
for rep in 1 2 3; do
  for peer in "${mesh_peers[@]}"; do
    rm -rf "$work/pm-$peer"
    if [ "$peer" = serial ]; then
      OMP_NUM_THREADS=1 /usr/bin/time -f "%M" -o "$work/serial.rss" "$dl" sim "${landau[@]}" \
        --out "$work/pm-serial" 2> "$work/pm-serial.log"
    else
      "${mpi[@]}" "${peer#np}" "$dl" sim "${landau[@]}" --out "$work/pm-$peer" 2> "$work/pm-$peer.log"
    fi
    rate_of "$work/pm-$peer.log" >> "$work/$peer.rates"
  done
done
for peer in "${mesh_peers[@]}"; do median < "$work/$peer.rates" > "$work/$peer.rate"; done
printf "one process: %s steps/s; peak resident %.1f MiB\n" "$(cat "$work/serial.rate")" \
       "$(echo "$(cat "$work/serial.rss") / 1024" | bc -l)"
for peer in np1 np2 np4; do
  printf -- "-np %s: %s steps/s (%.2fx one process)\n" "${peer#np}" "$(cat "$work/$peer.rate")" \
         "$(echo "$(cat "$work/$peer.rate") / $(cat "$work/serial.rate")" | bc -l)"
  echo "        $(grep '^sim: memory' "$work/pm-$peer.log" | cut -d: -f3-)"
done

echo "== data-parallel training, 200 steps (median of 3 rounds) =="
train=(train --steps 200 --features pixels,pool7:0.5 --seed 1 --quiet)
time_of() { local s e; s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N); echo "$e - $s" | bc; }
train_peers=(plain1 plain2 np1 np2)
for rep in 1 2 3; do
  for peer in "${train_peers[@]}"; do
    rm -rf "$work/train"
    case $peer in
      plain1) time_of env OMP_NUM_THREADS=1 "$dl" "${train[@]}" --out "$work/train" ;;
      plain2) time_of env OMP_NUM_THREADS=2 "$dl" "${train[@]}" --out "$work/train" ;;
      np*) time_of "${mpi[@]}" "${peer#np}" "$dl" "${train[@]}" --out "$work/train" ;;
    esac >> "$work/$peer.times"
  done
done
declare -A med
for peer in "${train_peers[@]}"; do med[$peer]=$(median < "$work/$peer.times"); done
for peer in "${train_peers[@]}"; do
  printf "%-7s median %6.2f s  (%.2fx one process, one thread)\n" "$peer" "${med[$peer]}" \
         "$(echo "${med[plain1]} / ${med[$peer]}" | bc -l)"
done
