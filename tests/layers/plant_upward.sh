#!/usr/bin/env bash
# The include check must fail on an upward include: copy src/, plant
# base/io.c including "nn/optim.h", and expect check_includes.sh to refuse it.
set -u
src=$1; shift
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$src" "$work/src"
printf '#include "nn/optim.h"\n' >> "$work/src/base/io.c"
out=$(bash "$(dirname "$0")/check_includes.sh" "$work/src" "$@")
rc=$?
grep -q "base/io.c:.*layer 'base' includes \"nn/optim.h\"" <<<"$out" || { echo "planted include not reported: $out"; exit 1; }
[ $rc -ne 0 ] || { echo "check_includes.sh exited 0 on an upward include"; exit 1; }
echo "plant_upward: the planted upward include was refused"
