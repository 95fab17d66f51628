#!/usr/bin/env bash
# Build with AddressSanitizer + UBSan in build-asan/ and run the unit tests there.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DDRIFTLAB_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$(nproc)"
cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest -L unit --output-on-failure -j"$(nproc)"
