#!/usr/bin/env bash
# The self-containment check must fail on a planted reference: a copy of one
# file with a pointer into the parent's shared folder, in a scratch tree.
#   plant_shared_reference.sh CHECK_SCRIPT
set -u
check=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src"
printf '/* see ../%s/THEORY.md */\n' shared > "$work/src/planted.c"
if bash "$check" "$work" > "$work/out"; then
  echo "FAIL: the planted reference passed the check"; exit 1
fi
grep -q planted.c "$work/out" || { echo "FAIL: the check did not name the file"; exit 1; }
echo "1 passed, 0 failed"
