#!/bin/bash
# Builds every libFuzzer target (tests/fuzz/fuzz_*.cpp) with clang-19's
# compiler-rt on glibc (fuzzing builds are never shipped), then runs each for
# SECONDS against a copy of its seed corpus (tests/fuzz/corpus/<name>/).
#
#   tests/fuzz/run.sh [SECONDS] [TARGET...]     build only: SECONDS=0
# Writes build/fuzz/<name>.log; exits non-zero if any target crashed.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-10}
shift || true
out=build/fuzz
mkdir -p "$out"
cxx=${FUZZ_CXX:-clang++-19}
flags="-std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -Isrc -I/usr/include/libnl3"
# The pure cores only: fuzzers never need sockets or netlink.
sources=$(ls src/common/*.cpp src/dhcp/*.cpp src/http/*.cpp src/metadata/*.cpp src/render/*.cpp 2>/dev/null)

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    for f in tests/fuzz/fuzz_*.cpp; do
        [ -e "$f" ] || continue
        n=$(basename "$f" .cpp)
        targets+=("${n#fuzz_}")
    done
fi

failed=0
for name in "${targets[@]}"; do
    bin=$out/fuzz_$name
    # Rebuild when a source is newer than the binary.
    if [ ! -x "$bin" ] || [ -n "$(find tests/fuzz/fuzz_$name.cpp src -newer "$bin" -name '*.[ch]*' 2>/dev/null | head -1)" ]; then
        $cxx $flags "tests/fuzz/fuzz_$name.cpp" $sources -o "$bin"
    fi
    [ "$seconds" = 0 ] && continue
    work=$out/corpus_$name
    mkdir -p "$work"
    if [ -d "tests/fuzz/corpus/$name" ]; then
        cp -n tests/fuzz/corpus/$name/* "$work/" 2>/dev/null || true
    fi
    if "$bin" -max_total_time="$seconds" -rss_limit_mb=2048 -artifact_prefix="$out/crash_${name}_" -print_final_stats=1 "$work" >"$out/$name.log" 2>&1; then
        execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$out/$name.log" | grep -o '[0-9]*$' || echo '?')
        echo "fuzz $name: ok, $execs executions in $seconds s"
    else
        echo "fuzz $name: CRASH (see $out/$name.log)"
        tail -30 "$out/$name.log"
        failed=1
    fi
done
exit $failed
