#!/usr/bin/env bash
# One command from a fresh Debian machine to a result:
#   scripts/bootstrap.sh demo   install what is missing, build, run the demo, print the figures
#   scripts/bootstrap.sh test   install what is missing, build, run the CTest suite
set -euo pipefail
mode=${1:-demo}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

# Each package is here on purpose (README.md, "Dependencies").
packages=(build-essential cmake pkg-config libfftw3-dev libgsl-dev libinih-dev zlib1g-dev gnuplot-nox
          libopenblas-openmp-dev libpng-dev dataset-fashion-mnist libopenmpi-dev openmpi-bin
          libfftw3-mpi-dev libmicrohttpd-dev)
# The test mode also runs the lab's tests: curl against the server, and
# Debian's chromium driven by playwright-core (npm, pinned in tests/browser).
if [ "$mode" = test ]; then
  packages+=(curl chromium)
  command -v node >/dev/null || packages+=(nodejs npm)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing ${missing[*]}"
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    sudo apt-get update -qq
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "bootstrap: missing packages: ${missing[*]}" >&2
    echo "bootstrap: run as root, or: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DDRIFTLAB_WERROR=ON >/dev/null
cmake --build build -j"$jobs"

if [ "$mode" = test ] && [ ! -d tests/browser/node_modules/playwright-core ]; then
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
fi

case "$mode" in
  test) cd build && ctest --output-on-failure -j"$jobs" ;;
  demo) bash papers/turan2026-drifting-score-matching/run.sh --quick build runs/demo ;;
  *) echo "bootstrap: unknown mode '$mode' (demo or test)" >&2; exit 2 ;;
esac
