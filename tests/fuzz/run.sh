#!/bin/bash
# Builds every libFuzzer target (tests/fuzz/fuzz_*.cpp) with clang-19's
# compiler-rt on glibc (fuzzing builds are never shipped), then runs each for
# SECONDS against a copy of its seed corpus (tests/fuzz/corpus/<name>/).
#
#   tests/fuzz/run.sh [SECONDS] [TARGET...]     build only: SECONDS=0
#   FUZZ_MERGE=1 tests/fuzz/run.sh 1800        a campaign: the tree's corpora minimized afterwards
# Each target uses tests/fuzz/dict/<name>.dict, the format's tokens, when there is one.
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
sources=$(ls src/common/*.cpp src/dhcp/*.cpp src/ipv4ll/*.cpp src/http/*.cpp src/model/*.cpp src/clouds/*.cpp src/clouds/*/*.cpp src/render/*.cpp 2>/dev/null)

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    for f in tests/fuzz/fuzz_*.cpp; do
        [ -e "$f" ] || continue
        n=$(basename "$f" .cpp)
        targets+=("${n#fuzz_}")
    done
fi

# The shared sources are compiled once (two at a time) and linked into each
# target; a header change rebuilds everything, which is rare enough.
objdir=$out/obj
mkdir -p "$objdir"
newest_header=$(find src -name '*.h' -newer "$objdir/.stamp" 2>/dev/null | head -1 || true)
[ -e "$objdir/.stamp" ] || newest_header=new
if [ -n "$newest_header" ]; then rm -f "$objdir"/*.o; fi
compile_one() {
    local src=$1 obj=$2
    [ "$obj" -nt "$src" ] && return 0
    $cxx $flags -c "$src" -o "$obj"
}
export -f compile_one
export cxx flags
for f in $sources; do echo "$f $objdir/$(echo "$f" | tr / _).o"; done | xargs -P 2 -n 2 bash -c 'compile_one "$0" "$1"'
touch "$objdir/.stamp"
objects=$(for f in $sources; do echo "$objdir/$(echo "$f" | tr / _).o"; done)

failed=0
for name in "${targets[@]}"; do
    bin=$out/fuzz_$name
    if [ ! -x "$bin" ] || [ -n "$(find tests/fuzz/fuzz_$name.cpp $objects -newer "$bin" 2>/dev/null | head -1)" ]; then
        $cxx $flags "tests/fuzz/fuzz_$name.cpp" $objects -o "$bin"
    fi
    [ "$seconds" = 0 ] && continue
    work=$out/corpus_$name
    mkdir -p "$work"
    if [ -d "tests/fuzz/corpus/$name" ]; then
        cp -n tests/fuzz/corpus/$name/* "$work/" 2>/dev/null || true
    fi
    dict=()
    [ -f "tests/fuzz/dict/$name.dict" ] && dict=(-dict="tests/fuzz/dict/$name.dict")
    if "$bin" -max_total_time="$seconds" -rss_limit_mb=2048 -artifact_prefix="$out/crash_${name}_" -print_final_stats=1 "${dict[@]}" "$work" >"$out/$name.log" 2>&1; then
        execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$out/$name.log" | grep -o '[0-9]*$' || echo '?')
        cov=$(grep -o 'cov: [0-9]*' "$out/$name.log" | tail -1 | grep -o '[0-9]*' || echo '?')
        echo "fuzz $name: ok, $execs executions in $seconds s, $cov coverage points"
        # FUZZ_MERGE=1 (make fuzz-campaign): the tree's corpus becomes the
        # minimal set of inputs that keeps everything this run reached.
        if [ "${FUZZ_MERGE:-0}" = 1 ]; then
            merged=$out/merged_$name
            rm -rf "$merged" && mkdir -p "$merged"
            "$bin" -merge=1 "${dict[@]}" "$merged" "$work" >"$out/$name.merge.log" 2>&1
            rm -rf "tests/fuzz/corpus/$name" && mkdir -p "tests/fuzz/corpus/$name"
            cp "$merged"/* "tests/fuzz/corpus/$name/" 2>/dev/null || true
            echo "fuzz $name: corpus minimized to $(ls "tests/fuzz/corpus/$name" | wc -l) inputs"
        fi
    else
        echo "fuzz $name: CRASH (see $out/$name.log)"
        tail -30 "$out/$name.log"
        failed=1
    fi
done
exit $failed
