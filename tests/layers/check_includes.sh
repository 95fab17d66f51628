#!/usr/bin/env bash
# The include rule of src/: a file of layer L includes only headers of L and of
# the layers L is allowed (src/CMakeLists.txt, DRIFTLAB_LAYERS), always as
# "layer/header.h".  Every folder of src/ must be a declared layer.
#   check_includes.sh SRC_DIR LAYER:ALLOWED,... ...
# Prints each violation as FILE:LINE: what, and exits 1 if there is any.
set -u
src=${1:?usage: check_includes.sh SRC_DIR LAYER:ALLOWED,...}
shift
declare -A allowed=()
for spec in "$@"; do allowed[${spec%%:*}]=",${spec#*:},"; done
bad=0
for dir in "$src"/*/; do
  layer=$(basename "$dir")
  if [ -z "${allowed[$layer]+x}" ]; then
    echo "$dir: folder is not a declared layer (DRIFTLAB_LAYERS in src/CMakeLists.txt)"
    bad=1
    continue
  fi
  for f in "$dir"*.c "$dir"*.h; do
    [ -e "$f" ] || continue
    while IFS=: read -r line text; do
      inc=$(sed -E 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"([^"]*)".*/\1/' <<<"$text")
      case "$inc" in
        */*) to=${inc%%/*}
             if [ "$to" != "$layer" ] && [[ "${allowed[$layer]}" != *",$to,"* ]]; then
               echo "$f:$line: layer '$layer' includes \"$inc\" (allowed: $layer${allowed[$layer]%,})"
               bad=1
             fi
             [ -e "$src/$inc" ] || { echo "$f:$line: \"$inc\" is not a header of src/"; bad=1; } ;;
        dl_version.h) ;; # generated at build time into the build tree (base/io.c)
        *) echo "$f:$line: \"$inc\" names no layer (write \"layer/$inc\")"; bad=1 ;;
      esac
    done < <(grep -n -E '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f")
  done
done
[ $bad -eq 0 ] && echo "check_includes: every include of $src follows the layers"
exit $bad
