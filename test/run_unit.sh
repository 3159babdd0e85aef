#!/usr/bin/env bash
# Builds the PostgreSQL-free core with CMake and runs its GoogleTest suite.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

# The Makefile's OBJS and CMakeLists.txt name their files one by one: every
# source file under src/ is in OBJS, and CMake builds the same src/core/ files.
sources=$(cd "$MQ_ROOT" && ls src/*.cpp src/*/*.cpp | sed 's/\.cpp$//' | sort)
objs=$(sed -n 's|^\t\(src/[a-z_/]*\)\.o.*|\1|p' "$MQ_ROOT/Makefile" | sort)
[ "$sources" = "$objs" ] ||
    mq_die "the Makefile's OBJS and the files under src/ differ: $(diff <(echo "$sources") <(echo "$objs") | grep '^[<>]' | tr '\n' ' ')"
cmake_core=$(sed -n 's|^  \(src/core/[a-z_]*\)\.cpp$|\1|p' "$MQ_ROOT/CMakeLists.txt" | sort)
[ "$cmake_core" = "$(echo "$sources" | grep '^src/core/')" ] ||
    mq_die "CMakeLists.txt's mq_core and the files under src/core/ differ"

build_dir=${MQ_CMAKE_BUILD_DIR:-$MQ_ROOT/build/cmake}
cmake -S "$MQ_ROOT" -B "$build_dir" -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$build_dir" -j"$(nproc)" >/dev/null
ctest --test-dir "$build_dir" --output-on-failure
