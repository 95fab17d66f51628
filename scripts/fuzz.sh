#!/usr/bin/env bash
# Runs every libFuzzer harness of fuzz/ for SECONDS each (clang, ASan + UBSan),
# starting from fuzz/corpus/NAME and growing a working corpus in build-fuzz/.
# A finding is written to build-fuzz/findings/NAME/; once fixed, copy it to
# fuzz/crashes/NAME/, where CTest replays it for good.
#   scripts/fuzz.sh SECONDS [NAME ...]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:?usage: scripts/fuzz.sh SECONDS [NAME ...]}
shift
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(snapshot idx checkpoint config points parse request)
command -v clang >/dev/null || { echo "fuzz.sh: needs clang (apt-get install clang libomp-dev)" >&2; exit 1; }
cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DDRIFTLAB_FUZZ=ON >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target $(printf 'fuzz_%s ' "${names[@]}") >/dev/null
printf '%-11s %12s %8s %8s %9s\n' harness executions "cov" "ft" findings
status=0
for h in "${names[@]}"; do
  work=build-fuzz/corpus/$h findings=build-fuzz/findings/$h
  mkdir -p "$work" "$findings"
  log=build-fuzz/fuzz-$h.log
  # one thread: libFuzzer's own time budget; OpenMP would only add noise
  OMP_NUM_THREADS=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    ./build-fuzz/fuzz/fuzz_$h "$work" "fuzz/corpus/$h" -max_total_time="$secs" -rss_limit_mb=2048 \
      -timeout=20 -print_final_stats=1 -artifact_prefix="$findings/" > "$log" 2>&1 || status=1
  execs=$(awk '/stat::number_of_executed_units/ {print $NF}' "$log")
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -n 1 | cut -d' ' -f2)
  ft=$(grep -oE 'ft: [0-9]+' "$log" | tail -n 1 | cut -d' ' -f2)
  printf '%-11s %12s %8s %8s %9s\n' "$h" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$(ls "$findings" | wc -l)"
done
[ $status -eq 0 ] || echo "fuzz.sh: a harness stopped on a finding; see build-fuzz/fuzz-NAME.log" >&2
exit $status
