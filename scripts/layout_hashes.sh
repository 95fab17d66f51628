#!/usr/bin/env bash
# Hashes of three runs whose numbers must not change when the code only moves
# (issue 20): the canonical Landau run's modes.dat, its spectrum's rates.dat,
# and a 200-step `driftlab train` run's train.dat and generator.ckpt.
#   scripts/layout_hashes.sh BUILD_DIR [OUT_DIR]     prints "hash  name" lines
#   scripts/layout_hashes.sh BUILD_DIR OUT_DIR --check FILE   compares with FILE
# Provenance is set aside: '#' header lines of the tables, the timing columns
# of train.dat (2: seconds, 3: images/s), and the checkpoint's provenance text.
# The numbers depend on the machine's BLAS kernels and vector width, so a hash
# file holds for the machine that wrote it (its first line names the kernels).
set -euo pipefail
build=${1:?usage: layout_hashes.sh BUILD_DIR [OUT_DIR] [--check FILE]}
out=${2:-runs/layout-hashes}
check=${4:-}
dl="$build/driftlab"
[ -x "$dl" ] || { echo "layout_hashes.sh: no driftlab binary at $dl" >&2; exit 2; }
mkdir -p "$out"
L=6.283185307179586
"$dl" sim --domain torus --dim 1 --length $L --target uniform --m 2000 --init modes \
    --modes 1,2,3,4,5,6 --amp 0.005 --quiet-start --n 2000 --dt 0.05 --every 10 --seed 1 \
    --kernel gaussian --sigma 0.5 --t-end 40 --quiet --out "$out/canonical"
"$dl" spectrum "$out/canonical" --fit-window 0:7 --quiet
"$dl" classify train --width 8,16,16,32 --limit 6400 --epochs 1 --batch 64 \
    --out "$out/classifier.ckpt" --quiet
"$dl" train --steps 200 --eval-every 100 --eval-n 500 --seed 1 --quiet \
    --classifier "$out/classifier.ckpt" --out "$out/train" >/dev/null
# the checkpoint without its provenance text and the CRC that covers it
ckpt_body() {
  perl -e 'local $/; open(my $f, "<:raw", $ARGV[0]) or die "$ARGV[0]: $!\n"; my $b = <$f>;
    my $o = 12 + unpack("V", substr($b, 8, 4)); my $p = unpack("V", substr($b, $o, 4));
    print substr($b, 0, $o), substr($b, $o + 4 + $p, length($b) - $o - 8 - $p);' "$1"
}
{
  echo "# blas: $(grep -m1 '^# blas:' "$out/canonical/modes.dat" | cut -d' ' -f3-)"
  echo "$(grep -v '^#' "$out/canonical/modes.dat" | sha256sum | cut -c1-64)  modes.dat"
  echo "$(grep -v '^#' "$out/canonical/rates.dat" | sha256sum | cut -c1-64)  rates.dat"
  echo "$(grep -v '^#' "$out/train/train.dat" | awk '{$2 = ""; $3 = ""; print}' | sha256sum | cut -c1-64)  train.dat"
  echo "$(ckpt_body "$out/train/generator.ckpt" | sha256sum | cut -c1-64)  generator.ckpt"
} > "$out/hashes.txt"
if [ "$check" ]; then
  if diff "$check" "$out/hashes.txt"; then echo "layout_hashes: all four match $check"
  else echo "layout_hashes: differs from $check" >&2; exit 1; fi
else
  cat "$out/hashes.txt"
fi
