#!/usr/bin/env bash
# Prints the recipe's numbers from the run outputs (spectrum.dat, rates.dat, tconv.dat).
#   claims.sh OUT_DIR [QUICK]
set -euo pipefail
out=$1
quick=${2:-0}
amp_at() {  # file k t -> |delta_hat| of mode k at time t
  awk -v k="$2" -v t="$3" '!/^#/ && NF >= 4 && ($3 - k)^2 < 1e-12 && ($1 - t)^2 < 1e-12 { print $4 }' "$1"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f", a / b }'; }

if [ "$quick" = 0 ]; then
  echo "canonical run, fitted over t in [0, 7] (need |rel| <= 3% wherever gamma >= 0.05):"
  for k in gaussian laplacian; do
    awk -v name=$k '!/^#/ && $9 == 1 && $4 >= 0.05 {
        printf "  %-9s k=%-2d gamma %.5f theory %.5f rel %+.2f%%\n", name, $1, $2, $4, 100 * ($2 - $4) / $4 }' \
        "$out/canonical-$k/rates.dat"
  done
fi
g0=$(amp_at "$out/k16-gaussian/spectrum.dat" 10 0); g40=$(amp_at "$out/k16-gaussian/spectrum.dat" 10 40)
l0=$(amp_at "$out/k16-laplacian/spectrum.dat" 10 0); l40=$(amp_at "$out/k16-laplacian/spectrum.dat" 10 40)
echo "mode k = 10 (sigma k = 5) over t = 40:"
echo "  constant Gaussian  a(40)/a(0) = $(ratio "$g40" "$g0")  (need > 0.99)"
echo "  constant Laplacian a(40)/a(0) = $(ratio "$l40" "$l0")  (need <= e^-1 = 0.3679)"
echo "annealed Gaussian, every mode k <= 16 at t = 30 (need <= e^-3 = 0.0498):"
worst=0
for k in $(seq 1 16); do
  a0=$(amp_at "$out/k16-annealed/spectrum.dat" $k 0); a30=$(amp_at "$out/k16-annealed/spectrum.dat" $k 30)
  worst=$(awk -v w="$worst" -v r="$(ratio "$a30" "$a0")" 'BEGIN { print (r > w ? r : w) }')
done
echo "  largest a_k(30)/a_k(0) over k = 1..16: $worst"
echo "T_eps(K), eps = e^-1, measured / theory (need within 20% wherever measured):"
for r in k16-gaussian k16-laplacian k16-annealed; do
  awk -v name=$r '!/^#/ && $2 !~ /nan/ && $2 > 0 { printf "  %-14s K=%-2d T %.4g theory %.4g ratio %.3f\n", name, $1, $2, $3, $2 / $3 }' \
      "$out/$r/tconv.dat" | awk '{ print } END { if (NR == 0) print "  (none measured)" }'
done
