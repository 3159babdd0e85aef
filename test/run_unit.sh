#!/usr/bin/env bash
# Builds the PostgreSQL-free core with CMake and runs its GoogleTest suite.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

build_dir=${MQ_CMAKE_BUILD_DIR:-$MQ_ROOT/build/cmake}
cmake -S "$MQ_ROOT" -B "$build_dir" -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$build_dir" -j"$(nproc)" >/dev/null
ctest --test-dir "$build_dir" --output-on-failure
