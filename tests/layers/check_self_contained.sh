#!/usr/bin/env bash
# Nothing in the project may point outside it at the notes it was built from:
# every text file under ROOT (build trees, runs and .git left out) is searched
# for a path into the parent's shared folder.  Exit 1, listing the places, if
# any is found.
#   check_self_contained.sh ROOT
set -u
root=$1
pattern='\.\./shared'  # the pattern in this form does not match itself
hits=$(grep -rInE "$pattern" "$root" --exclude-dir=.git --exclude-dir='build*' --exclude-dir=runs \
         --exclude-dir=node_modules 2>/dev/null)
if [ -n "$hits" ]; then
  echo "references outside the project (docs/THEORY.md is the project's own theory):"
  echo "$hits"
  echo "0 passed, 1 failed"
  exit 1
fi
echo "no references outside the project under $root"
echo "1 passed, 0 failed"
