#!/usr/bin/env bash
# Regenerates fuzz/corpus/: small valid inputs made by driftlab's own commands,
# each prefixed with the harness's mode byte (fuzz_*.c say what it selects).
#   fuzz/make_corpus.sh [BUILD_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dl=${1:-build}/driftlab
[ -x "$dl" ] || { echo "make_corpus.sh: no driftlab at $dl" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
c=$here/corpus
rm -rf "$c"
mkdir -p "$c"/{snapshot,idx,checkpoint,config,points,parse,request}
# mode-byte PREFIX, then the file
put() { { printf "$2"; cat "$3"; } > "$c/$1"; }

"$dl" sim --target 8gaussians --init normal --n 6 --m 6 --t-end 0.1 --every 1 --quiet --out "$work/rd" >/dev/null
"$dl" sim --domain torus --dim 1 --target uniform --m 8 --init modes --modes 1 --amp 0.01 \
          --quiet-start --n 8 --t-end 0.1 --every 1 --quiet --out "$work/torus" >/dev/null
put snapshot/rd '\x00' "$work/rd/target.dlsnap"
put snapshot/rd-fixcrc '\x01' "$work/rd/target.dlsnap"
put snapshot/torus '\x01' "$work/torus/target.dlsnap"
put points/final-2d '\x01' "$work/rd/final.dat"
printf '# x\n0.5\n-1e-3\t2\n' > "$work/p1.dat"; put points/rows-1d '\x00' "$work/p1.dat"
put config/run-rd '' "$work/rd/run.ini"
put config/run-torus '' "$work/torus/run.ini"
printf '[sim]\nsigma = 0.5 ; inline\nout = "a \\x3b b "\ntarget-mixture = 0.5@0,0/1;0.5@1,1/1\n' > "$work/q.ini"
put config/quoted '' "$work/q.ini"

# images: a sim run over 3 Fashion-MNIST test images writes IDX snapshots
data=/usr/share/datasets/fashion-mnist
"$dl" sim --target "idx:$data/t10k-images-idx3-ubyte.gz" --m 3 --init normal --n 2 --t-end 0.1 \
          --every 1 --quiet --out "$work/img" >/dev/null
snap=$(ls "$work"/img/snapshots/*-images.idx.gz | head -n 1)
put idx/images-gz '\x00' "$snap"
gzip -dc "$snap" > "$work/plain.idx"
put idx/images-plain '\x00' "$work/plain.idx"
put idx/images-regzip '\x02' "$work/plain.idx"
printf '\x00\x00\x08\x01\x00\x00\x00\x01\x07' > "$work/labels.idx"
put idx/labels '\x01' "$work/labels.idx"

# checkpoints: a tiny classifier and a tiny resumable generator
"$dl" classify train --width 2,2,2,4 --limit 128 --epochs 1 --quiet --out "$work/clf" >/dev/null
put checkpoint/classifier '\x02' "$work/clf"
"$dl" train --generator mlp --zdim 4 --hidden 8 --features pixels --steps 1 --eval-every 1 \
            --gen-per-class 2 --pos-per-class 2 --quiet --out "$work/gen" >/dev/null
put checkpoint/generator '\x00' "$work/gen/generator.ckpt"

# parsers: one valid input per mode
p() { printf '%s' "$3" > "$work/t"; put "parse/$1" "$2" "$work/t"; }
p double '\x00' '-1.5e3'
p long '\x01' '-999'
p list '\x02' '1,2,16'
p modes '\x03' '1,2,3'
p gmm '\x04' '0.5@0/1;0.5@1/2'
p genarch '\x05' 'mlpgen-v1 z=4 h=8 classes=10'
p convarch '\x05' 'convgen-v1 zc=2 ch=16 classes=10 guided'
p clfarch '\x06' 'classifier-v1 c1=2 c2=2 c3=2 fc=4'
printf '\x07--sigma\x000.5\x00--target\x00gmm\x00--target-mixture\x001@0,0/1\x00--out\x00x' > "$c/parse/simargs"
echo "make_corpus.sh: $(find "$c" -type f | wc -l) inputs in $c"

# request: the lab's form bodies (driftlab serve), valid and refused
r=$c/request
printf 'domain=torus&dim=1&target=uniform&m=2000&init=modes&modes=1,2,3&amp=0.005&quiet-start=true&n=2000&kernel=gaussian&field=meanshift&schedule=constant&sigma=0.5&dt=0.05&t-end=30&engine=auto&seed=1' > "$r/canonical"
printf 'kernel=matern%%3A1.5&sigma=0.25&schedule=exp&rate=0.25&sigma-min=0.01' > "$r/escaped"
printf 'sigma=-1' > "$r/negative"
printf 'sigma=nan' > "$r/nan"
printf 'target=file%%3A%%2Fetc%%2Fpasswd' > "$r/traversal"
printf 'schedule=file:/etc/passwd' > "$r/schedfile"
printf 'a=%%00' > "$r/nul"
printf 'sigma=0.5&sigma=0.6' > "$r/twice"
printf '=x&&' > "$r/empty_key"
printf 'sigma=%%zz' > "$r/badescape"
printf 'domain=rd&dim=2&target=file:target.dat&m=0&init=normal&n=1000' > "$r/drawn"
printf 'action=step&count=10' > "$r/control"
