#!/usr/bin/env bash
# kill -9 at spread-out moments of a run, TRIALS times.  After every kill, no
# temporary and no partial output may exist: each file left is byte-identical
# to the uninterrupted run's, or (a mid-run checkpoint) resumable.  train and
# classify are then resumed from what the kill left, and must finish with the
# uninterrupted run's result bit for bit.
#   kill_loop.sh DRIFTLAB sim|train|classify TRIALS
set -u
dl=$1 command=$2 trials=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out=$work/out
# one thread: tiny runs under a parallel ctest would only spin against each other
export OMP_NUM_THREADS=1
case $command in
  sim)      args=(sim --target 8gaussians --init normal --n 800 --m 800 --t-end 2 --every 5 --quiet --out "$out") ;;
  train)    args=(train --gen-per-class 16 --pos-per-class 16 --hidden 128 --zdim 32 --seed 2 --quiet
                  --features pixels,pool14,pool7 --steps 40 --checkpoint-every 4 --out "$out") ;;
  classify) args=(classify train --data "$work/data" --width 4,4,4,8 --epochs 2 --batch 64
                  --checkpoint-every 8 --quiet --out "$out/classifier.ckpt") ;;
  *) echo "kill_loop.sh: unknown command $command"; exit 2 ;;
esac
# A small copy of Fashion-MNIST (the first COUNT images and labels of a split),
# so that a classifier run takes seconds.
subset() {
  local split=$1 count=$2 src=/usr/share/datasets/fashion-mnist
  be32() { printf '\\x%02x\\x%02x\\x%02x\\x%02x' $(($1 >> 24 & 255)) $(($1 >> 16 & 255)) $(($1 >> 8 & 255)) $(($1 & 255)); }
  { printf '\x00\x00\x08\x03'; printf "$(be32 "$count")"; gzip -dc "$src/$split-images-idx3-ubyte.gz" | tail -c +9 | head -c $((8 + count * 784)); } \
    > "$work/data/$split-images-idx3-ubyte"
  { printf '\x00\x00\x08\x01'; printf "$(be32 "$count")"; gzip -dc "$src/$split-labels-idx1-ubyte.gz" | tail -c +9 | head -c "$count"; } \
    > "$work/data/$split-labels-idx1-ubyte"
}
if [ "$command" = classify ]; then
  mkdir -p "$work/data"
  subset train 2560
  subset t10k 256
fi
ckpt=$out/generator.ckpt
[ "$command" = classify ] && ckpt=$out/classifier.ckpt

# The bytes of a checkpoint after its provenance text, CRC excluded: the
# state itself (step, counts, parameters, optimizer, RNG), read from the
# layout nn/checkpoint.h documents rather than through the library.
u32() { od -An -tu4 -j "$2" -N4 "$1" | tr -d ' '; }
state() { local a t; a=$(u32 "$1" 12); t=$(u32 "$1" $((16 + a))); tail -c +$((21 + a + t)) "$1" | head -c -4; }
# What a finished run is judged by: the generator's samples, the classifier's state.
result() {
  if [ "$command" = train ]; then
    "$dl" sample "$1/generator.ckpt" --n 20 --seed 5 --out "$1/s" > /dev/null && cat "$1/s-images.idx.gz"
  else
    state "$1/classifier.ckpt"
  fi
}

mkdir -p "$out"
t0=$(date +%s%N)
"$dl" "${args[@]}" > /dev/null || { echo "FAIL: the uninterrupted run"; exit 1; }
ms=$((($(date +%s%N) - t0) / 1000000))
mv "$out" "$work/ref"
[ "$command" = sim ] || result "$work/ref" > "$work/ref.result"
echo "uninterrupted run: $ms ms"

fail=0 resumed=0
for ((trial = 1; trial <= trials; trial++)); do
  rm -rf "$out" "$work/res"
  mkdir -p "$out"
  delay=$((ms * ((trial * 37) % 100) / 100))   # spread over the whole run
  "$dl" "${args[@]}" > /dev/null 2>&1 &
  pid=$!
  sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
  kill -9 $pid 2>/dev/null
  wait $pid 2>/dev/null
  tmp=$(find "$out" -name '*.tmp-*' | head -n 3)
  [ -z "$tmp" ] || { echo "FAIL trial $trial: temporaries left: $tmp"; fail=1; }
  while IFS= read -r -d '' f; do
    rel=${f#"$out"/}
    [ "$f" = "$ckpt" ] && continue       # mid-run state: judged by the resume below
    cmp -s "$f" "$work/ref/$rel" || { echo "FAIL trial $trial: $rel differs from the uninterrupted run's"; fail=1; }
  done < <(find "$out" -type f -print0)
  [ "$command" = sim ] && continue
  if [ -f "$ckpt" ]; then
    resumed=$((resumed + 1))
    mkdir -p "$work/res"
    if [ "$command" = train ]; then
      "$dl" "${args[@]/#$out/$work/res}" --resume "$ckpt" > /dev/null
    else
      "$dl" "${args[@]/#$out\/classifier.ckpt/$work/res/classifier.ckpt}" --resume "$ckpt" > /dev/null
    fi || { echo "FAIL trial $trial: --resume from what the kill left"; fail=1; continue; }
    # a kill after the last checkpoint leaves the finished state: a resume has nothing to do
    [ -f "$work/res/$(basename "$ckpt")" ] || cp "$ckpt" "$work/res/"
    result "$work/res" | cmp -s - "$work/ref.result" ||
      { echo "FAIL trial $trial: resumed result differs from the uninterrupted run's"; fail=1; }
  fi
done
echo "$trials kills of $command, $resumed resumed from a mid-run checkpoint"
if [ $fail -eq 0 ]; then echo "1 passed, 0 failed"; else echo "0 passed, 1 failed"; fi
exit $fail
