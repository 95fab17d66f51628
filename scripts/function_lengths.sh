#!/usr/bin/env bash
# Lists the C functions longer than a limit (default 120 lines), longest first.
#   scripts/function_lengths.sh [LIMIT] [DIR...]   exit 1 if any is longer
# A function runs from its opening "{" in column 0 to the matching "}" in
# column 0 (the project's clang-format style puts both there).
limit=${1:-120}
shift || true
dirs=("$@")
[ ${#dirs[@]} -gt 0 ] || dirs=(src cli sim train analysis tests examples fuzz)
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
files=$(find "${dirs[@]}" -name '*.c' 2>/dev/null | sort)
[ -n "$files" ] || { echo "function_lengths.sh: no C files under ${dirs[*]}" >&2; exit 2; }
awk -v limit="$limit" '
  FNR == 1 { prev = ""; start = 0 }
  /^\{/ { start = FNR; name = prev }
  /^\}/ && start { n = FNR - start + 1; if (n > limit) printf "%5d  %s:%d  %s\n", n, FILENAME, start, name; start = 0 }
  { prev = $0 }
' $files | sort -rn > /tmp/function_lengths.$$
if [ -s /tmp/function_lengths.$$ ]; then
  echo "functions longer than $limit lines:"; cat /tmp/function_lengths.$$; rm -f /tmp/function_lengths.$$; exit 1
fi
rm -f /tmp/function_lengths.$$
echo "function_lengths: no function longer than $limit lines"
