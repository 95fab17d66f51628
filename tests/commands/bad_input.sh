#!/usr/bin/env bash
# One bad-input case: the command must exit non-zero, print exactly one line on
# stderr, and leave no output behind.
#   bad_input.sh DRIFTLAB sim|sim_mpi|train_mpi|spectrum|classify|eval|train|sample|toytrain|bench CASE
set -u
driftlab=$1
command=$2
case_name=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out="$work/out"
torus=(--domain torus --dim 1 --target uniform --m 64 --init modes --modes 1,2 --amp 0.01
       --quiet-start --n 64 --t-end 0.5 --every 2 --quiet)
rd=(--target 8gaussians --init normal --n 64 --m 64 --t-end 0.2 --quiet)
must_not_exist=("$out")
expect="" # where set, the error line must contain it

# An IDX image file: PATH COUNT ROWS COLS, then BYTES pixel bytes (0x80).
idx() {
  be32() { printf '\\x%02x\\x%02x\\x%02x\\x%02x' $(($1 >> 24 & 255)) $(($1 >> 16 & 255)) $(($1 >> 8 & 255)) $(($1 & 255)); }
  { printf '\x00\x00\x08\x03'; printf "$(be32 "$2")$(be32 "$3")$(be32 "$4")"; head -c "$5" /dev/zero | tr '\0' '\200'; } > "$1"
}
images=0

# A gzip-compressed IDX image file of COUNT 28x28 images: PATH COUNT.
idx_gz() { idx "$work/plain.idx" "$2" 28 28 $(($2 * 784)); gzip -c "$work/plain.idx" > "$1"; }
# A checkpoint with a valid CRC: PATH ARCH, then the rest of its body (raw
# bytes); gzip's trailer carries the same CRC-32 the reader checks.
ckpt() {
  local path=$1 arch=$2 body="$work/body"
  { printf '\x01\x00\x00\x00'; printf "$(le32 ${#arch})"; printf '%s' "$arch"; cat; } > "$body"
  { printf 'DLCKPT\r\n'; cat "$body"; gzip -c "$body" | tail -c 8 | head -c 4; } > "$path"
}
le32() { printf '\\x%02x\\x%02x\\x%02x\\x%02x' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255)); }
img=(--n 4 --t-end 0.1 --quiet)
# An address-space limit that the old, unbounded readers broke (one thread:
# OpenBLAS's per-thread buffers need more).  ASan reserves terabytes of
# address space, so a sanitizer build checks the messages without the limit.
limit_memory() {
  export OMP_NUM_THREADS=1
  ldd "$driftlab" 2>/dev/null | grep -q libasan || ulimit -v 400000
}

# A valid run to damage.
make_run() {
  "$driftlab" sim "$@" --out "$work/r" >/dev/null 2>&1 || { echo "setup run failed"; exit 1; }
}
first_snapshot() { make_run "${rd[@]}"; ls "$work"/r/snapshots/*.dlsnap | head -n 1; }

case "$command:$case_name" in
  sim:matern_low)       args=("${torus[@]}" --kernel matern:0.3); expect="nu out of range" ;;
  sim:matern_nan)       args=("${torus[@]}" --kernel matern:nan); expect="finite number" ;;
  sim:matern_empty)     args=("${torus[@]}" --kernel matern:); expect="finite number" ;;
  sim:matern_spelling)  args=("${torus[@]}" --kernel matern:1.50); expect="write it as 'matern:1.5'" ;;
  sim:matern_no_param)  args=("${torus[@]}" --kernel matern); expect="needs its parameter nu" ;;
  sim:student_1d)       args=("${torus[@]}" --kernel student:0.5); expect="beta > d/2" ;;
  sim:sech_param)       args=("${torus[@]}" --kernel sech:2); expect="takes no parameter" ;;
  sim:coulomb_meanshift) args=("${torus[@]}" --kernel coulomb); expect="--field mmd" ;;
  sim:coulomb_rd)       args=("${rd[@]}" --kernel coulomb --field mmd); expect="needs the torus" ;;
  sim:field_unknown)    args=("${torus[@]}" --field wasserstein); expect="unknown field" ;;
  sim:mmd_simd)         args=("${torus[@]}" --field mmd --engine simd); expect="direct and pm" ;;
  sim:schedule_empty)   : > "$work/s.txt"; args=("${torus[@]}" --schedule "file:$work/s.txt"); expect="no (t, sigma) rows" ;;
  sim:schedule_order)   printf '0 1\n1 0.5\n0.5 0.2\n' > "$work/s.txt"
                        args=("${torus[@]}" --schedule "file:$work/s.txt"); expect="increase strictly" ;;
  sim:schedule_negative) printf '0 1\n1 -0.5\n' > "$work/s.txt"
                        args=("${torus[@]}" --schedule "file:$work/s.txt"); expect="positive and finite" ;;
  sim:schedule_nan)     printf '0 1\n1 nan\n' > "$work/s.txt"
                        args=("${torus[@]}" --schedule "file:$work/s.txt"); expect="'nan' is not a number" ;;
  sim:schedule_column)  printf '0 1\n1\n' > "$work/s.txt"
                        args=("${torus[@]}" --schedule "file:$work/s.txt"); expect="two columns" ;;
  sim:schedule_missing) args=("${torus[@]}" --schedule "file:$work/none.txt"); expect="cannot open" ;;
  sim:adaptive_scale_zero) args=("${torus[@]}" --schedule adaptive); expect="--sigma-scale c > 0" ;;
  sim:adaptive_scale_negative) args=("${torus[@]}" --schedule adaptive --sigma-scale -1); expect="--sigma-scale c > 0" ;;
  sim:sigma_scale_unused_negative) args=("${torus[@]}" --sigma-scale -1); expect="--sigma-scale must be >= 0" ;;
  sim:adapt_every_unused_zero) args=("${torus[@]}" --adapt-every 0); expect="--adapt-every >= 1" ;;
  sim:adaptive_every_zero) args=("${torus[@]}" --schedule adaptive --sigma-scale 0.3 --adapt-every 0); expect="--adapt-every >= 1" ;;
  theory:kmax_zero)     args=(--kernel gaussian --optimize-schedule --kmax 0); expect="K >= 1" ;;
  theory:sech_2d)       args=(--kernel sech --dim 2); expect="1-D only" ;;
  theory:student_2d)    args=(--kernel student:1 --dim 2); expect="beta > d/2" ;;
  sim:sigma_negative)   args=("${rd[@]}" --sigma -0.5) ;;
  sim:sigma_zero)       args=("${rd[@]}" --sigma 0) ;;
  sim:sigma_nan)        args=("${rd[@]}" --sigma nan) ;;
  sim:dt_zero)          args=("${rd[@]}" --dt 0) ;;
  sim:dt_negative)      args=("${rd[@]}" --dt -0.05) ;;
  sim:kernel_unknown)   args=("${rd[@]}" --kernel epanechnikov) ;;
  sim:target_unknown)   args=("${rd[@]}" --target spiral) ;;
  sim:option_unknown)   args=("${rd[@]}" --frobnicate 3) ;;
  sim:option_no_value)  args=("${rd[@]}" --sigma) ;;
  sim:modes_junk)       args=("${torus[@]}" --modes 1,x,3) ;;
  sim:modes_empty_item) args=("${torus[@]}" --modes 1,,3) ;;
  sim:n_zero)           args=("${rd[@]}" --n 0) ;;
  sim:dim_out_of_range) args=("${rd[@]}" --dim 0) ;;
  sim:samples_missing)  args=("${rd[@]}" --target "file:$work/nope.dlsnap") ;;
  sim:samples_empty)    : > "$work/empty.dlsnap"; args=("${rd[@]}" --target "file:$work/empty.dlsnap") ;;
  sim:samples_truncated)
    snap=$(first_snapshot); size=$(stat -c %s "$snap")
    head -c $((size - 5)) "$snap" > "$work/trunc.dlsnap"
    args=("${rd[@]}" --target "file:$work/trunc.dlsnap") ;;
  sim:samples_wrong_magic)
    snap=$(first_snapshot); { printf 'NOTSNAP!'; tail -c +9 "$snap"; } > "$work/magic.dlsnap"
    args=("${rd[@]}" --target "file:$work/magic.dlsnap") ;;
  sim:samples_nan)      printf '0 0\n1 nan\n' > "$work/nan.dat"; args=("${rd[@]}" --init "file:$work/nan.dat" --n 2) ;;
  sim:config_unknown_key) printf '[sim]\nsigma = 0.5\nbandwidth = 2\n' > "$work/c.ini"; args=(--config "$work/c.ini" "${rd[@]}") ;;
  sim:config_missing)   args=(--config "$work/none.ini" "${rd[@]}") ;;
  sim:engine_unknown)   args=("${rd[@]}" --engine fmm) ;;
  sim:sinkhorn_kernel)  args=("${rd[@]}" --engine sinkhorn --kernel laplacian) ;;
  sim:sinkhorn_tol_negative) args=("${rd[@]}" --engine sinkhorn --sinkhorn-tol -1) ;;
  sim:sinkhorn_iters_zero) args=("${rd[@]}" --engine sinkhorn --sinkhorn-iters 0) ;;
  sim:pm_grid_small)    args=("${torus[@]}" --engine pm --pm-grid 4) ;;
  sim:pm_assign_unknown) args=("${torus[@]}" --engine pm --pm-assign ngp) ;;
  sim:simd_dim)         args=(--target normal --init normal --dim 4 --n 64 --m 64 --t-end 0.2 --quiet --engine simd); expect="d <= 3" ;;
  sim:gemm_torus)       args=("${torus[@]}" --engine gemm) ;;
  sim:pm_cells_negative) args=("${torus[@]}" --engine pm --pm-cells-per-sigma -4) ;;
  sim:pm_max_cells_small) args=("${torus[@]}" --engine pm --pm-max-cells 10) ;;
  sim:frames_junk)      args=("${rd[@]}" --frames often) ;;
  sim:no_stop_gradient_unmasked) args=("${rd[@]}" --stop-gradient false) ;;
  sim:stop_gradient_junk) args=("${rd[@]}" --stop-gradient maybe) ;;
  sim:out_unwritable)   : > "$work/file"; out="$work/file/sub"; must_not_exist=("$out"); args=("${rd[@]}") ;;
  spectrum:missing_run) run="$work/none" ;;
  spectrum:no_snapshots) make_run "${torus[@]}"; rm -rf "$work/r/snapshots"; run="$work/r" ;;
  spectrum:not_torus)   make_run "${rd[@]}"; run="$work/r" ;;
  spectrum:option_unknown_last) make_run "${torus[@]}"; run="$work/r"; args=(--frobnicate); expect="unknown option '--frobnicate'" ;;
  spectrum:single_output)
    make_run "${torus[@]}"; ls "$work"/r/snapshots/*.dlsnap | tail -n +2 | xargs rm -f; run="$work/r" ;;
  spectrum:corrupt_snapshot)
    make_run "${torus[@]}"; f=$(ls "$work"/r/snapshots/*.dlsnap | tail -n 1)
    head -c 100 "$f" > "$f.x"; mv "$f.x" "$f"; run="$work/r" ;;
  spectrum:bad_option)  make_run "${torus[@]}"; run="$work/r"; args=(--grid 7) ;;
  classify:data_missing)  args=(train --data "$work/nodata" --out "$out") ;;
  classify:bad_width)     args=(train --width 32,64 --out "$out") ;;
  classify:bad_epochs)    args=(train --epochs 0 --out "$out") ;;
  classify:option_unknown_last) args=(train --out "$out" --frobnicate); expect="unknown option '--frobnicate'" ;;
  classify:unknown_action) args=(fit --out "$out") ;;
  classify:model_corrupt) printf 'DLCKPT\r\ngarbage' > "$work/m.ckpt"; args=(test --model "$work/m.ckpt") ;;
  eval:model_missing)
    printf '\x00\x00\x08\x03\x00\x00\x00\x01\x00\x00\x00\x1c\x00\x00\x00\x1c' > "$work/i.idx"
    head -c 784 /dev/zero >> "$work/i.idx"
    args=(--model "$work/none.ckpt" --images "$work/i.idx" --out "$out") ;;
  eval:images_truncated)
    printf '\x00\x00\x08\x03\x00\x00\x00\x02\x00\x00\x00\x1c\x00\x00\x00\x1c' > "$work/t.idx"
    head -c 100 /dev/zero >> "$work/t.idx"
    args=(--model "$work/none.ckpt" --images "$work/t.idx" --out "$out") ;;
  eval:images_wrong_magic) printf 'not an idx file at all' > "$work/w.idx"; args=(--model "$work/none.ckpt" --images "$work/w.idx" --out "$out") ;;
  eval:unknown_option)    args=(--model m --images i --frobnicate 1 --out "$out") ;;
  eval:make_unknown)      args=(--make blur --images "$out/x.idx") ;;
  eval:option_unknown_last) args=(--model m --images i --out "$out" --frobnicate); expect="unknown option '--frobnicate'" ;;
  eval:reference_unknown) args=(--model m --images i --reference validation --out "$out") ;;
  train:data_missing)     args=(--data "$work/nodata" --steps 1 --out "$out") ;;
  train:resume_corrupt)   printf 'DLCKPT\r\nnot a checkpoint' > "$work/g.ckpt"; args=(--resume "$work/g.ckpt" --steps 1 --out "$out") ;;
  train:feature_unknown)  args=(--features pixels,wavelets --out "$out") ;;
  train:kernel_unknown)   args=(--kernel cosine --out "$out") ;;
  train:norm_unknown)     args=(--norm columns --out "$out") ;;
  train:batch_zero)       args=(--gen-per-class 0 --out "$out") ;;
  train:generator_unknown) args=(--generator unet --out "$out") ;;
  train:width_not_multiple) args=(--generator conv --width 12 --out "$out") ;;
  train:encoder_needed)   args=(--features pixels,enc2 --encoder "" --out "$out") ;;
  train:encoder_missing)  args=(--features enc2 --encoder "$work/none.ckpt" --steps 1 --out "$out") ;;
  train:feature_twice)    args=(--features pixels,pixels --out "$out") ;;
  train:feature_weight_zero) args=(--features pixels,pool7:0 --out "$out") ;;
  train:feature_weight_nan) args=(--features pixels:nan,pool7 --out "$out") ;;
  train:feature_twice_weighted) args=(--features pixels,pixels:2 --out "$out") ;;
  train:field_unknown)    args=(--field wasserstein --out "$out") ;;
  train:no_stop_gradient_practical) args=(--no-stop-gradient --out "$out") ;;
  train:cfg_alpha_below_one) args=(--cfg-alpha-max 0.5 --out "$out") ;;
  train:cfg_alpha_nan)    args=(--cfg-alpha-max nan --out "$out") ;;
  train:cfg_unconditional) args=(--cfg-alpha-max 2 --unconditional --out "$out") ;;
  train:alpha_untrained)  args=(--alpha 2 --cfg-alpha-max 1 --out "$out") ;;
  train:cfg_uncond_zero)  args=(--cfg-alpha-max 2 --cfg-uncond 0 --out "$out") ;;
  train:eval_n_beyond_test) args=(--classifier "$work/none.ckpt" --eval-n 20000 --out "$out") ;;
  train:output_unknown)   args=(--output sigmoid --out "$out") ;;
  train:ema_one)          args=(--ema 1 --out "$out") ;;
  train:weight_decay_negative) args=(--weight-decay -0.1 --out "$out") ;;
  train:weight_decay_nan) args=(--weight-decay nan --out "$out") ;;
  train:lr_decay_above_one) args=(--lr-decay 1.5 --out "$out") ;;
  train:lr_decay_nan)     args=(--lr-decay nan --out "$out") ;;
  train:tau_negative)     args=(--tau 0.05,-0.2 --out "$out") ;;
  train:tau_nan)          args=(--tau 0.05,nan --out "$out"); expect="--tau" ;;
  train:tau_empty_item)   args=(--tau 0.05,,0.2 --out "$out") ;;
  train:tau_too_many)     args=(--tau 1,2,3,4,5,6,7,8,9 --out "$out") ;;
  train:tau_meanshift)    args=(--field meanshift --tau 0.1 --out "$out") ;;
  train:loc_fixed_map)    args=(--features pixels,pool7-loc --out "$out") ;;
  train:loc_twice)        args=(--features pixels,enc1-loc,enc1-loc:2 --out "$out") ;;
  train:option_unknown_last) args=(--out "$out" --frobnicate); expect="unknown option '--frobnicate'" ;;
  train:tau_schedule_unknown) args=(--tau-schedule linear --out "$out"); expect="--tau-schedule" ;;
  train:tau_min_zero)     args=(--tau-schedule exp --tau-rate 1 --tau-min 0 --out "$out"); expect="--tau-min" ;;
  train:tau_min_above_start) args=(--tau-schedule exp --tau-rate 1 --tau-min 2 --out "$out"); expect="--tau-min" ;;
  train:tau_rate_negative) args=(--tau-schedule exp --tau-rate -1 --tau-min 0.1 --out "$out"); expect="--tau-rate" ;;
  train:tau_rate_nan)     args=(--tau-schedule exp --tau-rate nan --tau-min 0.1 --out "$out"); expect="--tau-rate" ;;
  train:tau_min_nan)      args=(--tau-schedule cosine --tau-min nan --out "$out"); expect="--tau-min" ;;
  train:tau_start_nan)    args=(--tau-start nan --out "$out"); expect="--tau-start" ;;
  train:tau_end_above_start) args=(--tau-schedule exp --tau-end 2 --tau-min 0.1 --out "$out"); expect="--tau-end" ;;
  train:tau_unused)       args=(--tau-rate 1 --out "$out"); expect="--tau-schedule" ;;
  train:tau_exp_no_rate)  args=(--tau-schedule exp --tau-min 0.1 --out "$out"); expect="--tau-rate" ;;
  train:tau_sinkhorn)     args=(--field sinkhorn --tau-schedule exp --tau-rate 1 --tau-min 0.1 --out "$out"); expect="--tau-schedule" ;;
  sim:idx_missing)       args=(--target "idx:$work/none.idx" --n 4 --t-end 0.1 --quiet) ;;
  sim:idx_truncated)     idx "$work/a.idx" 3 28 28 1000; args=(--target "idx:$work/a.idx" --n 4 --t-end 0.1 --quiet); expect="truncated" ;;
  sim:idx_wrong_magic)   printf 'not an idx file at all' > "$work/w.idx"; args=(--target "idx:$work/w.idx" --n 4 --t-end 0.1 --quiet) ;;
  sim:idx_class_range)   idx "$work/a-images-idx3-ubyte" 2 28 28 1568; args=(--target "idx:$work/a-images-idx3-ubyte:10" --n 4 --t-end 0.1 --quiet); expect="class 10" ;;
  sim:idx_class_junk)    idx "$work/a-images-idx3-ubyte" 2 28 28 1568; args=(--target "idx:$work/a-images-idx3-ubyte:3" --n 4 --t-end 0.1 --quiet); expect="labels" ;;
  sim:idx_m_beyond)      idx "$work/a.idx" 2 28 28 1568; args=(--target "idx:$work/a.idx" --m 3 --n 4 --t-end 0.1 --quiet); expect="3 images were asked for" ;;
  sim:idx_torus)         idx "$work/a.idx" 2 28 28 1568; args=(--domain torus --target "idx:$work/a.idx" --n 4 --t-end 0.1 --quiet); expect="R^d" ;;
  sim:classifier_not_images) args=("${rd[@]}" --classifier "$work/c.ckpt"); expect="--classifier" ;;
  sim:sigma_units_unknown) args=("${rd[@]}" --sigma-units pixels); expect="--sigma-units" ;;
  spectrum:images_missing) images=1; args=(--images "$work/none.idx" --out "$out") ;;
  spectrum:images_truncated)
    images=1; idx "$work/a.idx" 2 28 28 784; args=(--images "$work/a.idx" --reference "$work/a.idx" --out "$out") ;;
  spectrum:images_size_mismatch)
    images=1; idx "$work/a.idx" 1 28 28 784; idx "$work/b.idx" 1 14 14 196
    args=(--images "$work/a.idx" --reference "$work/b.idx" --out "$out"); expect="14x14" ;;
  spectrum:images_option_unknown_last) images=1; args=(--images "$work/a.idx" --out "$out" --frobnicate); expect="unknown option '--frobnicate'" ;;
  train:loc_meanshift)    args=(--features pixels,enc1-loc --field meanshift --out "$out") ;;
  toytrain:toy_unknown)   args=(--toy spiral --out "$out") ;;
  toytrain:batch_one)     args=(--batch 1 --out "$out") ;;
  toytrain:lr_negative)   args=(--lr -1 --out "$out") ;;
  toytrain:field_unknown) args=(--field wasserstein --out "$out"); expect="unknown field" ;;
  toytrain:kernel_unknown) args=(--kernel cosine --out "$out") ;;
  toytrain:steps_zero)    args=(--steps 0 --out "$out") ;;
  toytrain:option_unknown_last) args=(--out "$out" --frobnicate); expect="unknown option '--frobnicate'" ;;
  bench:option_unknown)   args=(--frobnicate --out "$out") ;;
  bench:reps_zero)        args=(--reps 0 --out "$out") ;;
  sample:checkpoint_missing) args=("$work/none.ckpt" --out "$out/s") ;;
  sample:alpha_below_one) args=("$work/none.ckpt" --alpha 0.9 --out "$out/s") ;;
  sample:noise_scale_zero) args=("$work/none.ckpt" --noise-scale 0 --out "$out/s"); expect="--noise-scale" ;;
  sample:noise_scale_above_range) args=("$work/none.ckpt" --noise-scale 11 --out "$out/s"); expect="--noise-scale" ;;
  sample:noise_scale_nan) args=("$work/none.ckpt" --noise-scale nan --out "$out/s"); expect="--noise-scale" ;;
  sample:option_unknown_last) args=("$work/none.ckpt" --out "$out/s" --frobnicate); expect="unknown option '--frobnicate'" ;;
  sample:checkpoint_wrong_kind) printf 'DLCKPT\r\n\x01\x00\x00\x00\x05\x00\x00\x00hello' > "$work/k.ckpt"; args=("$work/k.ckpt" --out "$out/s") ;;
  # ---- issue 22: files that were once accepted, or read without bound ----
  sim:idx_gz_trailer_cut1) idx_gz "$work/a.gz" 2; head -c -1 "$work/a.gz" > "$work/c.gz"; args=(--target "idx:$work/c.gz" "${img[@]}"); expect="truncated" ;;
  sim:idx_gz_trailer_cut5) idx_gz "$work/a.gz" 2; head -c -5 "$work/a.gz" > "$work/c.gz"; args=(--target "idx:$work/c.gz" "${img[@]}"); expect="truncated" ;;
  sim:idx_gz_trailer_cut9) idx_gz "$work/a.gz" 2; head -c -9 "$work/a.gz" > "$work/c.gz"; args=(--target "idx:$work/c.gz" "${img[@]}"); expect="truncated" ;;
  sim:idx_gz_crc_wrong)  idx_gz "$work/a.gz" 2; size=$(stat -c %s "$work/a.gz")
    { head -c $((size - 8)) "$work/a.gz"; printf '\x00\x00\x00\x00'; tail -c 4 "$work/a.gz"; } > "$work/c.gz"
    args=(--target "idx:$work/c.gz" "${img[@]}"); expect="corrupt" ;;
  sim:idx_gz_junk_after) idx_gz "$work/a.gz" 2; { cat "$work/a.gz"; printf 'junk'; } > "$work/c.gz"; args=(--target "idx:$work/c.gz" "${img[@]}"); expect="after the end" ;;
  sim:idx_gz_bomb)       # a 1-image header, then 400 MB of zeros in a 400 kB file, under a 400 MB address-space limit
    idx "$work/h.idx" 1 28 28 784; { cat "$work/h.idx"; head -c 400M /dev/zero; } | gzip -1 > "$work/bomb.gz"
    limit_memory
    args=(--target "idx:$work/bomb.gz" "${img[@]}"); expect="longer than its header" ;;
  sim:idx_dev_zero)      args=(--target "idx:/dev/zero" "${img[@]}"); expect="not an IDX" ;;
  spectrum:images_dev_zero) images=1; limit_memory
    args=(--images /dev/zero --reference /dev/zero --out "$out"); expect="not an IDX" ;;
  sim:idx_header_huge)   idx "$work/h.idx" 4294967295 4096 4096 0; args=(--target "idx:$work/h.idx" "${img[@]}"); expect="limit" ;;
  sim:config_long_comment) # inih splits long lines: the tail of this comment would set the seed
    { printf '[sim]\n# '; head -c 300 /dev/zero | tr '\0' x; printf ' seed = 7\n'; } > "$work/c.ini"
    args=(--config "$work/c.ini" "${rd[@]}"); expect="line 2: longer than" ;;
  sim:config_long_value) { printf '[sim]\nout = '; head -c 300 /dev/zero | tr '\0' y; printf '\n'; } > "$work/c.ini"
    args=(--config "$work/c.ini" "${rd[@]}"); expect="line 2: longer than" ;;
  sim:config_dev_zero)   args=(--config /dev/zero "${rd[@]}"); expect="/dev/zero" ;;
  sim:config_bad_quote)  printf '[sim]\nout = "abc\\q"\n' > "$work/c.ini"; args=(--config "$work/c.ini" "${rd[@]}"); expect="quoted" ;;
  sim:points_glued)      printf '0 0\n1-2\n' > "$work/p.dat"; args=("${rd[@]}" --init "file:$work/p.dat" --n 2); expect="line 2" ;;
  sim:points_two_dots)   printf '0 0\n3.5.5\n' > "$work/p.dat"; args=("${rd[@]}" --init "file:$work/p.dat" --n 2); expect="line 2" ;;
  sim:points_underflow)  printf '0 0\n1e-400 1\n' > "$work/p.dat"; args=("${rd[@]}" --init "file:$work/p.dat" --n 2); expect="line 2" ;;
  sim:points_vtab)       printf '0 0\n1\v2\n' > "$work/p.dat"; args=("${rd[@]}" --init "file:$work/p.dat" --n 2); expect="line 2" ;;
  sim:points_nul)        printf '0 0\n1 2\0003\n' > "$work/p.dat"; args=("${rd[@]}" --init "file:$work/p.dat" --n 2); expect="NUL" ;;
  sim:target_amp_unused_nan) args=("${rd[@]}" --target-amp nan); expect="--target-amp" ;;
  sim:amp_unused_nan)    args=("${rd[@]}" --amp nan); expect="--amp" ;;
  sim:std_unused_nan)    args=("${rd[@]}" --init-std nan --init gmm --init-mixture '1@0,0/1'); expect="--init-std" ;;
  sim:mixture_unused_junk) args=("${rd[@]}" --target-mixture 'x@y'); expect="--target-mixture" ;;
  sim:mixture_overflow)  args=("${rd[@]}" --init gmm --init-mixture '1e308@0,0/1;1e308@1,1/1'); expect="largest double" ;;
  sim:snapshot_magic_only) printf 'DLSNAP\r\n' > "$work/m.dlsnap"; args=("${rd[@]}" --target "file:$work/m.dlsnap"); expect="after its magic" ;;
  classify:width_wraps)  args=(train --width 4294967297,16,16,32 --out "$out"); expect="--width" ;;
  classify:model_sparse_huge) truncate -s 3G "$work/big.ckpt"; printf 'DLCKPT\r\n' | dd of="$work/big.ckpt" conv=notrunc 2>/dev/null
    args=(test --model "$work/big.ckpt"); expect="larger than" ;;
  sample:arch_unverified) # a 100M-parameter architecture behind a wrong CRC, under a 400 MB limit:
    # refused by its checksum before anything is sized from it
    head -c 64 /dev/zero | ckpt "$work/k.ckpt" "mlpgen-v1 z=4096 h=8192 classes=10 guided"
    printf 'XXXX' | dd of="$work/k.ckpt" bs=1 seek=$(($(stat -c %s "$work/k.ckpt") - 4)) conv=notrunc 2>/dev/null
    limit_memory
    args=("$work/k.ckpt" --out "$out/s"); expect="checksum" ;;
  sample:arch_int_max)   head -c 0 /dev/null | ckpt "$work/k.ckpt" "convgen-v1 zc=2 ch=2147483640 classes=10"
    args=("$work/k.ckpt" --out "$out/s"); expect="generator architecture" ;;
  sample:arch_wraps)     head -c 0 /dev/null | ckpt "$work/k.ckpt" "mlpgen-v1 z=4294967297 h=16 classes=10"
    args=("$work/k.ckpt" --out "$out/s"); expect="generator architecture" ;;
  sweep:grid_empty)      printf '[sweep]\nout = %s\n[sim]\nsigma = 0.5\n' "$out" > "$work/s.ini"; args=("$work/s.ini"); expect="[grid] is empty" ;;
  sweep:key_unknown)     printf '[sweep]\nout = %s\n[grid]\nbandwidth = 1 | 2\n' "$out" > "$work/s.ini"; args=("$work/s.ini"); expect="bandwidth" ;;
  sweep:range_malformed) printf '[sweep]\nout = %s\n[grid]\nsigma = range(0.1, 0.5)\n' "$out" > "$work/s.ini"; args=("$work/s.ini"); expect="malformed range" ;;
  sweep:range_step_zero) printf '[sweep]\nout = %s\n[grid]\nsigma = range(0.1, 0.5, 0)\n' "$out" > "$work/s.ini"; args=("$work/s.ini"); expect="STEP > 0" ;;
  sweep:point_invalid)   printf '[sweep]\nout = %s\n[sim]\nt-end = 0.2\n[grid]\nsigma = 0.5 | -1\n' "$out" > "$work/s.ini"; args=("$work/s.ini"); expect="point 1" ;;
  sweep:jobs_zero)       printf '[sweep]\nout = %s\n[grid]\nsigma = 0.5\n' "$out" > "$work/s.ini"; args=("$work/s.ini" --jobs 0); expect="--jobs" ;;
  sim_mpi:rd_domain)     args=("${rd[@]}" --engine pm); expect="torus" ;;
  sim_mpi:other_engine)  args=("${torus[@]}" --engine direct); expect="--engine pm" ;;
  sim_mpi:too_few_points) args=("${torus[@]}" --engine pm --n 1); expect="one particle and one target per rank" ;;
  toytrain:diverges)     args=(--lr 1e30 --steps 50 --out "$out"); expect="diverged" ;;
  train:resume_dev_zero) args=(--resume /dev/zero --steps 1 --out "$out"); expect="checkpoint" ;;
  train_mpi:time_budget) args=(--steps 5 --time-budget 1 --out "$out"); expect="fixed --steps" ;;
  train_mpi:lr_nan)      args=(--lr nan --steps 5 --out "$out"); expect="rank 0: --lr" ;;
  *) echo "unknown case $command:$case_name"; exit 2 ;;
esac
launcher=()
if [ "$command" = sim_mpi ] || [ "$command" = train_mpi ]; then # two ranks (mpiexec's own notices off)
  launcher=(mpiexec --quiet --oversubscribe --allow-run-as-root -np 2)
  command=${command%_mpi}
fi
if [ "$command" = sim ]; then
  args+=(--out "$out")
elif [ "$command" != spectrum ] || [ "$images" -eq 1 ]; then
  : # classify, eval and image-spectrum cases name their outputs inside $out themselves
else
  args=("$run" ${args[@]+"${args[@]}"})
  must_not_exist=("$run/spectrum.dat" "$run/rates.dat" "$run/heatmap.mat" "$run/tconv.dat")
fi

${launcher[@]+"${launcher[@]}"} "$driftlab" "$command" "${args[@]}" >"$work/stdout" 2>"$work/stderr"
rc=$?
lines=$(wc -l < "$work/stderr")
fail=0
[ "$rc" -ne 0 ] || { echo "FAIL: exit status 0"; fail=1; }
[ "$lines" -eq 1 ] || { echo "FAIL: $lines lines on stderr (want 1)"; fail=1; }
grep -q 'error: ' "$work/stderr" || { echo "FAIL: no 'error:' on stderr"; fail=1; }
[ -z "$expect" ] || grep -qF -- "$expect" "$work/stderr" || { echo "FAIL: the error does not say \"$expect\""; fail=1; }
! grep -qE 'rank [0-9]+: rank ' "$work/stderr" || { echo "FAIL: the failing rank is named twice"; fail=1; }
for p in "${must_not_exist[@]}"; do
  [ ! -e "$p" ] || { echo "FAIL: $p was written"; fail=1; }
done
echo "stderr: $(cat "$work/stderr")"
if [ $fail -eq 0 ]; then echo "1 passed, 0 failed"; else echo "0 passed, 1 failed"; fi
exit $fail
