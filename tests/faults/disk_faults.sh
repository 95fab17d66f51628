#!/usr/bin/env bash
# Writes that fail: a full disk (a 64 KiB tmpfs) and a read-only directory
# (the tmpfs remounted read-only).  The command must exit non-zero with one
# "error:" line on stderr; every file it leaves must be complete (byte-equal to
# an unhindered run's), and no temporary may remain.  Where this machine
# cannot mount, a file-size limit (ulimit -f) stands in for the full disk, and
# the read-only case runs only for a non-root user (root ignores modes);
# otherwise the test reports itself skipped (exit 77).
#   disk_faults.sh DRIFTLAB full|readonly sim|train|classify
set -u
dl=$1 fault=$2 command=$3
work=$(mktemp -d)
mnt=$work/mnt
mkdir -p "$mnt"
mounted=0
cleanup() { [ $mounted -eq 1 ] && umount "$mnt" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
export OMP_NUM_THREADS=1
out=$mnt/out
case $command in
  sim)      args=(sim --target 8gaussians --init normal --n 3000 --m 3000 --t-end 0.2 --every 1 --quiet --out "$out") ;;
  train)    args=(train --gen-per-class 16 --pos-per-class 16 --hidden 128 --zdim 32 --features pixels
                  --steps 4 --quiet --out "$out") ;;
  classify) args=(classify train --width 16,16,16,64 --limit 640 --epochs 1 --batch 64 --quiet
                  --out "$out/classifier.ckpt") ;;
esac

if mount -t tmpfs -o size=16m tmpfs "$mnt" 2>/dev/null; then
  mounted=1
  mkdir -p "$out"
  "$dl" "${args[@]}" > /dev/null || { echo "FAIL: the unhindered run"; exit 1; }
  mv "$out" "$work/ref"
  mkdir -p "$out"
  if [ "$fault" = full ]; then
    mount -o remount,size=64k "$mnt"
  else
    mount -o remount,ro "$mnt"
  fi
  run() { "$dl" "${args[@]}"; }
elif [ "$fault" = full ]; then
  mkdir -p "$out"
  "$dl" "${args[@]}" > /dev/null || { echo "FAIL: the unhindered run"; exit 1; }
  mv "$out" "$work/ref"
  mkdir -p "$out"
  run() { (trap '' XFSZ; ulimit -f 64; "$dl" "${args[@]}"); }
elif [ "$(id -u)" -ne 0 ]; then
  mkdir -p "$out" "$work/ref"
  chmod 555 "$out"
  run() { "$dl" "${args[@]}"; }
else
  echo "skipped: cannot mount here, and root ignores a read-only mode"
  exit 77
fi

run > "$work/stdout" 2> "$work/stderr"
rc=$?
fail=0
[ $rc -ne 0 ] || { echo "FAIL: exit status 0"; fail=1; }
[ "$(wc -l < "$work/stderr")" -eq 1 ] || { echo "FAIL: stderr is not one line:"; cat "$work/stderr"; fail=1; }
grep -q 'error: ' "$work/stderr" || { echo "FAIL: no 'error:' on stderr"; fail=1; }
tmp=$(find "$out" -name '*.tmp-*' 2>/dev/null | head -n 3)
[ -z "$tmp" ] || { echo "FAIL: temporaries left: $tmp"; fail=1; }
while IFS= read -r -d '' f; do
  rel=${f#"$out"/}
  cmp -s "$f" "$work/ref/$rel" || { echo "FAIL: $rel is half-written (differs from the unhindered run's)"; fail=1; }
done < <(find "$out" -type f -print0 2>/dev/null)
echo "stderr: $(cat "$work/stderr")"
if [ $fail -eq 0 ]; then echo "1 passed, 0 failed"; else echo "0 passed, 1 failed"; fi
exit $fail
