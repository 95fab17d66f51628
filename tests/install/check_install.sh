#!/usr/bin/env bash
# cmake --install into a fresh prefix, then build examples/ against it through
# pkg-config alone and run both programs (each checks its own result).
#   check_install.sh BUILD_DIR SOURCE_DIR [EXTRA_CFLAGS]
set -euo pipefail
build=$1
src=$2
flags=${3:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
export PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig"
pkg-config --cflags --libs driftlab >/dev/null
for f in bin/driftlab lib/libdriftlab.a lib/libdriftlab.so include/driftlab/driftlab.h \
         share/man/man1/driftlab.1 share/driftlab/plots/style.gp; do
  [ -e "$work/prefix/$f" ] || { echo "install: $f is missing"; exit 1; }
done
cp -r "$src/examples" "$work/examples"
CFLAGS="$flags" LDFLAGS="$flags" make -s -C "$work/examples" >/dev/null
export LD_LIBRARY_PATH="$work/prefix/lib"
"$work/examples/drift_field" simd 500
"$work/examples/annealed_torus" | tail -n 1
"$work/prefix/bin/driftlab" version | head -n 1
echo "check_install: installed, and both examples built through pkg-config and ran"
