#!/usr/bin/env bash
# The command folders (sim, analysis, train, serve) include the library
# ("layer/header.h"), the CLI's shared part (cli.h, commands.h) and their own
# headers, never another command folder's: what two commands share belongs
# in the library.
#   check_commands.sh ROOT
# Prints each violation as FILE:LINE: what, and exits 1 if there is any.
set -u
root=${1:?usage: check_commands.sh ROOT}
folders=(sim analysis train serve)
bad=0
for folder in "${folders[@]}"; do
  for f in "$root/$folder"/*.c "$root/$folder"/*.h; do
    [ -e "$f" ] || continue
    while IFS=: read -r line text; do
      inc=$(sed -E 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"([^"]*)".*/\1/' <<<"$text")
      case "$inc" in
        */*) [ -e "$root/src/$inc" ] || { echo "$f:$line: \"$inc\" is not a library header"; bad=1; } ;;
        cli.h|commands.h) ;;
        *) if [ ! -e "$root/$folder/$inc" ]; then
             owner=$(for o in "${folders[@]}"; do [ -e "$root/$o/$inc" ] && echo "$o"; done)
             echo "$f:$line: the $folder folder includes \"$inc\"${owner:+ of the $owner folder}"
             bad=1
           fi ;;
      esac
    done < <(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f")
  done
done
[ $bad -eq 0 ] && echo "check_commands: no command folder includes another's"
exit $bad
