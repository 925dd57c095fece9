#!/bin/bash
# Builds metaboot's static musl C++ toolchain from Debian's signed archive only.
#
#   scripts/bootstrap-toolchain.sh DEPS_DIR [ARCH]
#
# ARCH is the target's CPU as GNU names it: x86_64 or aarch64 (default: this
# machine's). For another machine's CPU clang is the cross compiler (every
# clang is), and what the host's packages give a native build comes from the
# target architecture's Debian packages instead, downloaded through the
# private apt state and unpacked, never installed: musl-dev, linux-libc-dev
# and compiler-rt's builtins (libclang-rt-19-dev, at the pinned LLVM version).
#   METABOOT_SOURCES=DIR scripts/bootstrap-toolchain.sh DEPS_DIR
#   scripts/bootstrap-toolchain.sh --fetch-sources DIR
#
# Without METABOOT_SOURCES the pinned sources come through a private apt state
# (network). With it, nothing is fetched: DIR holds the three orig tarballs named
# in toolchain.pins and the .debs of HEADER_PACKAGES (as `apt-get source
# --download-only` and `apt-get download` leave them), all checked against
# the sha256 pins; the host packages must already be installed (in a package
# build they are Build-Depends). Offline builds are native only (a foreign
# ARCH's musl-dev, linux-libc-dev and compiler-rt come through apt).
# `bootstrap-toolchain.sh --fetch-sources DIR` fills such a DIR.
#
# Result, under DEPS_DIR:
#   bin/metaboot-cc, bin/metaboot-c++   wrappers that always make static musl binaries
#   sysroot/                            musl-dev + kernel headers + libc++/libc++abi/libunwind
#                                       + libnl-3/libnl-route-3 + picojson.h + doctest.h
#   *.cfg                               the clang config files the wrappers use
#
# Each step leaves a stamp in DEPS_DIR/stamps; a step whose stamp is missing is
# redone from scratch (its output folder removed first), so a failed or
# interrupted run is repaired by running it again.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=toolchain.pins
. "$here/toolchain.pins"

usage="usage: bootstrap-toolchain.sh DEPS_DIR [ARCH] | bootstrap-toolchain.sh --fetch-sources DIR"
fetch_to=
if [ "${1:-}" = --fetch-sources ]; then
    fetch_to=${2:?$usage}
    mkdir -p "$fetch_to"
    fetch_to=$(cd "$fetch_to" && pwd)
    unset METABOOT_SOURCES
    deps=$(mktemp -d)
    trap 'rm -rf "$deps"' EXIT
    arch=$(uname -m)
else
    deps=${1:?$usage}
    arch=${2:-$(uname -m)}
fi
case $arch in
x86_64) deb_arch=amd64 ;;
aarch64) deb_arch=arm64 ;;
*) printf 'deps: unsupported ARCH %s (x86_64 or aarch64)\n' "$arch" >&2; exit 2 ;;
esac
target=$arch-linux-musl
foreign=0
[ "$arch" = "$(uname -m)" ] || foreign=1
if [ $foreign = 1 ] && [ -n "${METABOOT_SOURCES:-}" ]; then
    printf 'deps: METABOOT_SOURCES (offline) builds for this machine only, not ARCH=%s\n' "$arch" >&2
    exit 2
fi
mkdir -p "$deps"
deps=$(cd "$deps" && pwd)
stamps=$deps/stamps
mkdir -p "$stamps"

log() { printf 'deps: %s\n' "$*" >&2; }

# Build-time variables of this machine must not leak into the toolchain's
# compiles or links (these machines set LIBRARY_PATH to a CUDA stubs folder).
unset LIBRARY_PATH CPATH C_INCLUDE_PATH CPLUS_INCLUDE_PATH OBJC_INCLUDE_PATH \
    LD_LIBRARY_PATH LD_RUN_PATH CFLAGS CXXFLAGS CPPFLAGS LDFLAGS PKG_CONFIG_PATH
export LC_ALL=C TZ=UTC SOURCE_DATE_EPOCH=1700000000
# The runtimes' CMake wants Python; a pyenv shim may come first on PATH.
python=/usr/bin/python3

# Once one step runs, every later one runs again too: they build on its output.
redo_rest=0
step() {
    local name=$1
    shift
    if [ $redo_rest = 0 ] && [ -e "$stamps/$name" ]; then
        return 0
    fi
    redo_rest=1
    rm -f "$stamps/$name"
    log "step $name"
    local started=$SECONDS
    "$@"
    touch "$stamps/$name"
    log "step $name done in $((SECONDS - started)) s"
}

# --- 1. host packages ------------------------------------------------------
host_packages() {
    local missing=()
    for p in $HOST_PACKAGES; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" != 0 ]; then
        log "missing packages: ${missing[*]} (run as root, or apt-get install them)"
        return 1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# --- 2. sources through a private apt state ---------------------------------
# A copy of this machine's own Debian sources with deb-src added; nothing under
# /etc changes and no mirror is named here.
# For a foreign target the lists cover its architecture too (APT::Architectures
# adds it to this machine's), so `apt-get download pkg:arm64` finds it.
apt_private() {
    local foreign_arch=()
    [ $foreign = 0 ] || foreign_arch=(-o "APT::Architectures::=$deb_arch")
    apt-get -o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$deps/apt/sources" \
        -o Dir::State::Lists="$deps/apt/lists" -o Dir::Cache="$deps/apt/cache" \
        -o APT::Sandbox::User=root "${foreign_arch[@]}" "$@"
}

private_sources() {
    rm -rf "$deps/apt"
    if [ -n "${METABOOT_SOURCES:-}" ]; then
        log "sources from $METABOOT_SOURCES; no apt state"
        return 0
    fi
    mkdir -p "$deps/apt/sources" "$deps/apt/lists/partial" "$deps/apt/cache/archives/partial"
    local found=0
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -e "$f" ] || continue
        grep -q '^URIs:.*debian' "$f" || continue
        sed -E 's/^Types:.*/Types: deb deb-src/' "$f" >"$deps/apt/sources/$(basename "$f")"
        found=1
    done
    if [ -f /etc/apt/sources.list ]; then
        grep -E '^deb ' /etc/apt/sources.list | grep debian | sed -E 's/^deb /deb-src /' >"$deps/apt/sources/src.list" || true
        grep -E '^deb ' /etc/apt/sources.list | grep debian >>"$deps/apt/sources/src.list" || true
        [ -s "$deps/apt/sources/src.list" ] && found=1
    fi
    [ $found = 1 ] || { log "no Debian apt source found on this machine"; return 1; }
    apt_private update -qq
}

download_sources() {
    rm -rf "$deps/src"
    mkdir -p "$deps/src"
    if [ -n "${METABOOT_SOURCES:-}" ]; then
        cp "$METABOOT_SOURCES/$LLVM_ORIG" "$METABOOT_SOURCES/$LIBNL_ORIG" "$METABOOT_SOURCES/$MUSL_ORIG" "$deps/src/"
    else
        [ -d "$deps/apt/lists" ] || private_sources
        (cd "$deps/src" && apt_private source --download-only -qq \
            "$LLVM_SOURCE=$LLVM_VERSION" "$LIBNL_SOURCE=$LIBNL_VERSION" "$MUSL_SOURCE=$MUSL_VERSION")
    fi
    check_sha "$deps/src/$LLVM_ORIG" "$LLVM_ORIG_SHA256"
    check_sha "$deps/src/$LIBNL_ORIG" "$LIBNL_ORIG_SHA256"
    check_sha "$deps/src/$MUSL_ORIG" "$MUSL_ORIG_SHA256"
}

# HEADER_DEBS_SHA256 in toolchain.pins: "package=sha256 ...".
header_deb_sha256() {
    local pair
    for pair in $HEADER_DEBS_SHA256; do
        [ "${pair%%=*}" = "$1" ] && { echo "${pair#*=}"; return 0; }
    done
    log "no sha256 pinned for $1"
    return 1
}

check_sha() {
    local got
    got=$(sha256sum "$1" | cut -d' ' -f1)
    if [ "$got" != "$2" ]; then
        log "sha256 mismatch for $1: got $got, pinned $2"
        return 1
    fi
}

# --- 3. the private sysroot -------------------------------------------------
# Native: musl-dev and linux-libc-dev as installed on this machine. Foreign:
# the same packages of the target's architecture, unpacked into $tmp/target,
# plus compiler-rt's builtins and crt objects, which clang finds only under its
# resource directory: a private one beside the sysroot, whose include/ is
# clang's own.
sysroot() {
    local s=$deps/sysroot from=
    rm -rf "$s" "$deps/resource"
    mkdir -p "$s/usr/include" "$s/usr/lib"
    [ -d "$deps/apt/lists" ] || private_sources
    local tmp
    tmp=$(mktemp -d)
    if [ $foreign = 1 ]; then
        from=$tmp/target
        mkdir -p "$tmp/debs"
        (cd "$tmp/debs" && apt_private download -qq "musl-dev:$deb_arch" "linux-libc-dev:$deb_arch" \
            "libclang-rt-19-dev:$deb_arch=$LLVM_VERSION")
        for deb in "$tmp"/debs/*.deb; do
            log "unpacking $(basename "$deb")"
            dpkg-deb -x "$deb" "$from"
        done
        local rt=/usr/lib/llvm-19/lib/clang/19
        mkdir -p "$deps/resource/lib/linux"
        ln -s "$rt/include" "$deps/resource/include"
        for f in libclang_rt.builtins-$arch.a clang_rt.crtbegin-$arch.o clang_rt.crtend-$arch.o; do
            cp "$from$rt/lib/linux/$f" "$deps/resource/lib/linux/"
        done
    fi
    cp -a "$from/usr/include/$arch-linux-musl/." "$s/usr/include/"
    cp -a "$from/usr/lib/$arch-linux-musl/." "$s/usr/lib/"
    # linux-libc-dev's kernel headers: the generic ones plus the arch's asm/.
    for d in linux asm-generic mtd rdma sound video xen misc drm; do
        [ -d "$from/usr/include/$d" ] && cp -a "$from/usr/include/$d" "$s/usr/include/"
    done
    cp -a "$from/usr/include/$arch-linux-gnu/asm" "$s/usr/include/asm"
    # Header-only libraries, from their .debs, never installed on the machine.
    rm -rf "$tmp"
    tmp=$(mktemp -d)
    if [ -n "${METABOOT_SOURCES:-}" ]; then
        # apt checked the archive's signature when it fetched them; offline
        # the pins stand in for it.
        local pkg deb sum
        for pkg in $HEADER_PACKAGES; do
            deb=$(ls "$METABOOT_SOURCES/${pkg}_"*.deb)
            sum=$(header_deb_sha256 "$pkg")
            check_sha "$deb" "$sum"
            cp "$deb" "$tmp/"
        done
    else
        (cd "$tmp" && apt_private download -qq $HEADER_PACKAGES)
    fi
    for deb in "$tmp"/*.deb; do dpkg-deb -x "$deb" "$tmp/x"; done
    cp "$tmp/x/usr/include/picojson.h" "$s/usr/include/"
    cp -a "$tmp/x/usr/include/doctest" "$s/usr/include/"
    rm -rf "$tmp"
}

# --- 3b. musl's libc.a, at -Oz ----------------------------------------------
# Debian builds musl with gcc at -O2; the same source with clang at -Oz and
# one section per function is 15.3 KB smaller in metaboot (measured on the
# binary of 2026-12-05, 410,768 -> 395,504 bytes). Only libc.a is replaced:
# headers and crt files stay the host's musl-dev, of the same version.
musl_libc() {
    local src=$deps/build/musl have
    have=$(dpkg-query -W -f='${Version}' musl-dev 2>/dev/null || true)
    [ $foreign = 1 ] || [ "$have" = "$MUSL_VERSION" ] || log "note: the host's musl-dev is $have, libc.a is built from $MUSL_VERSION"
    rm -rf "$src"
    mkdir -p "$src"
    [ -f "$deps/src/$MUSL_ORIG" ] || download_sources
    tar -xzf "$deps/src/$MUSL_ORIG" -C "$src" --strip-components=1
    (
        cd "$src"
        CC="clang-19 --target=$target" AR=/usr/lib/llvm-19/bin/llvm-ar RANLIB=/usr/lib/llvm-19/bin/llvm-ranlib \
            CFLAGS="-Oz -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables -ffile-prefix-map=$src=/musl" \
            ./configure --target="$target" --prefix=/usr --disable-shared --disable-optimize \
            >"$deps/build/musl-configure.log"
        make -j"$(nproc)" lib/libc.a >"$deps/build/musl-make.log" 2>&1
        cp lib/libc.a "$deps/sysroot/usr/lib/libc.a"
    )
    rm -rf "$src"
}

# --- 4. compiler wrappers + clang config files ------------------------------
write_config() {
    local file=$1 cxx=$2 unwind=$3
    {
        echo "--target=$target"
        echo "--sysroot=$deps/sysroot"
        [ $foreign = 0 ] || echo "-resource-dir=$deps/resource"
        echo "-fuse-ld=lld"
        echo "--rtlib=compiler-rt"
        echo "--unwindlib=$unwind"
        echo "-static"
        echo "-ffile-prefix-map=$deps=/metaboot-deps"
        case $cxx in
        # libc++ and libc++abi are built without exceptions: there is no
        # exception runtime to link against, so C++ code is built without.
        1) echo "-stdlib=libc++"; echo "-fno-exceptions" ;;
        # The runtimes bring their own headers; a second copy from the
        # sysroot would break libc++'s #include_next chain.
        bootstrap) echo "-nostdinc++"; echo "-nostdlib++" ;;
        esac
    } >"$file"
}

write_wrapper() {
    local file=$1 driver=$2 cfg=$3
    cat >"$file" <<EOF
#!/bin/sh
# metaboot's static musl toolchain (generated by scripts/bootstrap-toolchain.sh)
unset LIBRARY_PATH CPATH C_INCLUDE_PATH CPLUS_INCLUDE_PATH LD_LIBRARY_PATH LD_RUN_PATH
exec /usr/lib/llvm-19/bin/$driver --no-default-config --config=$cfg "\$@"
EOF
    chmod +x "$file"
}

wrappers() {
    mkdir -p "$deps/bin"
    # Bootstrap: no C++ library yet and no unwinder; used to build the runtimes.
    write_config "$deps/bootstrap.cfg" bootstrap none
    write_wrapper "$deps/bin/bootstrap-cc" clang "$deps/bootstrap.cfg"
    write_wrapper "$deps/bin/bootstrap-c++" clang++ "$deps/bootstrap.cfg"
    # Final: libc++ and LLVM's unwinder from the sysroot.
    write_config "$deps/musl-c.cfg" 0 libunwind
    write_config "$deps/musl-c++.cfg" 1 libunwind
    write_wrapper "$deps/bin/metaboot-cc" clang "$deps/musl-c.cfg"
    write_wrapper "$deps/bin/metaboot-c++" clang++ "$deps/musl-c++.cfg"
    for tool in ar ranlib strip nm objcopy size; do
        ln -sf "/usr/lib/llvm-19/bin/llvm-$tool" "$deps/bin/metaboot-$tool"
    done
}

# --- 5. libc++, libc++abi, libunwind ----------------------------------------
runtimes() {
    local src=$deps/build/llvm build=$deps/build/runtimes
    rm -rf "$src" "$build"
    mkdir -p "$src" "$build"
    [ -f "$deps/src/$LLVM_ORIG" ] || download_sources
    local top=llvm-toolchain-19_19.1.7
    tar -xJf "$deps/src/$LLVM_ORIG" -C "$src" --strip-components=1 \
        "$top/runtimes" "$top/libcxx" "$top/libcxxabi" "$top/libunwind" \
        "$top/cmake" "$top/llvm/cmake" "$top/llvm/utils/llvm-lit" "$top/third-party"
    # CMake cross-compiles (and runs none of its test programs) only when
    # told the target system.
    local cross=()
    [ $foreign = 0 ] || cross=(-DCMAKE_SYSTEM_NAME=Linux -DCMAKE_SYSTEM_PROCESSOR="$arch")
    cmake -G Ninja -S "$src/runtimes" -B "$build" "${cross[@]}" \
        -DCMAKE_BUILD_TYPE=MinSizeRel \
        -DCMAKE_C_COMPILER="$deps/bin/bootstrap-cc" \
        -DCMAKE_CXX_COMPILER="$deps/bin/bootstrap-c++" \
        -DCMAKE_AR=/usr/lib/llvm-19/bin/llvm-ar \
        -DCMAKE_RANLIB=/usr/lib/llvm-19/bin/llvm-ranlib \
        -DCMAKE_C_COMPILER_TARGET="$target" \
        -DCMAKE_CXX_COMPILER_TARGET="$target" \
        -DCMAKE_INSTALL_PREFIX="$deps/sysroot/usr" \
        -DCMAKE_C_FLAGS="-ffile-prefix-map=$src=/llvm" \
        -DCMAKE_CXX_FLAGS="-ffile-prefix-map=$src=/llvm" \
        -DCMAKE_C_FLAGS_MINSIZEREL="-Oz -DNDEBUG" \
        -DCMAKE_CXX_FLAGS_MINSIZEREL="-Oz -DNDEBUG" \
        -DPython3_EXECUTABLE=$python \
        -DLLVM_ENABLE_RUNTIMES="libcxx;libcxxabi;libunwind" \
        -DLLVM_INCLUDE_TESTS=OFF -DLLVM_INCLUDE_DOCS=OFF \
        -DLIBCXX_INCLUDE_TESTS=OFF -DLIBCXX_INCLUDE_BENCHMARKS=OFF -DLIBCXX_INCLUDE_DOCS=OFF \
        -DLIBCXXABI_INCLUDE_TESTS=OFF -DLIBUNWIND_INCLUDE_TESTS=OFF -DLIBUNWIND_INCLUDE_DOCS=OFF \
        -DLIBCXX_HAS_MUSL_LIBC=ON \
        -DLIBCXX_ENABLE_SHARED=OFF -DLIBCXX_ENABLE_STATIC=ON \
        -DLIBCXXABI_ENABLE_SHARED=OFF -DLIBCXXABI_ENABLE_STATIC=ON \
        -DLIBUNWIND_ENABLE_SHARED=OFF -DLIBUNWIND_ENABLE_STATIC=ON \
        -DLIBCXX_ENABLE_STATIC_ABI_LIBRARY=ON \
        -DLIBCXXABI_USE_LLVM_UNWINDER=ON -DLIBCXXABI_ENABLE_STATIC_UNWINDER=ON \
        -DLIBCXX_USE_COMPILER_RT=ON -DLIBCXXABI_USE_COMPILER_RT=ON -DLIBUNWIND_USE_COMPILER_RT=ON \
        -DLIBCXXABI_HAS_CXA_THREAD_ATEXIT_IMPL=OFF \
        -DLIBCXXABI_SILENT_TERMINATE=ON \
        -DLIBCXX_ENABLE_EXCEPTIONS=OFF -DLIBCXXABI_ENABLE_EXCEPTIONS=OFF \
        -DLIBCXX_ENABLE_RTTI=ON \
        -DLIBCXX_ENABLE_LOCALIZATION=ON \
        -DLIBCXX_HARDENING_MODE=none \
        >"$deps/build/runtimes-cmake.log"
    ninja -C "$build" -j"$(nproc)" install-cxx install-cxxabi install-unwind >"$deps/build/runtimes-ninja.log"
    rm -rf "$src" "$build"
}

# --- 6. libnl-3 + libnl-route-3 ---------------------------------------------
# From the upstream tarball: Debian's patches make the build demand automake.
# As LLVM bitcode (-flto, llvm-ar): libnl then joins metaboot's link-time
# optimisation and machine outliner, 8.1 KB smaller (measured on the binary
# of 2026-12-05, 408,784 -> 400,656 bytes).
libnl() {
    local src=$deps/build/libnl
    rm -rf "$src"
    mkdir -p "$src"
    [ -f "$deps/src/$LIBNL_ORIG" ] || download_sources
    tar -xzf "$deps/src/$LIBNL_ORIG" -C "$src" --strip-components=1
    (
        cd "$src"
        # One line out of upstream's source: the route object's statistics
        # dump, whose cache times need HZ from /proc/net/psched, read with
        # fscanf and strtod. An ops table holds the function, so the linker
        # keeps it, and with it musl's whole scanf and float-parsing code
        # (9.5 KB). metaboot never dumps a libnl object.
        sed -i '/^[[:space:]]*\[NL_DUMP_STATS\][[:space:]]*= route_dump_stats,$/d' lib/route/route_obj.c
        if grep -q 'NL_DUMP_STATS.*route_dump_stats' lib/route/route_obj.c; then
            printf 'deps: libnl: the route stats dump line was not found where expected\n' >&2
            exit 1
        fi
        # And the verbose and debug callback kinds (NLCB=verbose|debug in
        # the environment, or nl_cb_alloc(NL_CB_DEBUG)): a table holds their
        # handlers, so the linker keeps them and the message dumper they call
        # (2.9 KB). metaboot allocates NL_CB_DEFAULT callbacks only; with the
        # rows gone those kinds behave as the default one.
        sed -i -E '/^[[:space:]]*\[NL_CB_(VERBOSE|DEBUG)\][[:space:]]*=/d' lib/handlers.c
        if grep -q -E '\[NL_CB_(VERBOSE|DEBUG)\][[:space:]]*=' lib/handlers.c; then
            printf 'deps: libnl: the debug callback rows were not found where expected\n' >&2
            exit 1
        fi
        CC="$deps/bin/metaboot-cc" AR=/usr/lib/llvm-19/bin/llvm-ar RANLIB=/usr/lib/llvm-19/bin/llvm-ranlib \
            CFLAGS="-Oz -flto -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables -ffile-prefix-map=$src=/libnl" \
            ./configure --host="$target" --prefix=/usr --sysconfdir=/etc \
            --enable-static --disable-shared --disable-cli --disable-debug --disable-pthreads \
            >"$deps/build/libnl-configure.log"
        make -j"$(nproc)" lib/libnl-3.la lib/libnl-route-3.la >"$deps/build/libnl-make.log" 2>&1
        mkdir -p "$deps/sysroot/usr/include/libnl3" "$deps/sysroot/usr/lib" "$deps/sysroot/etc/libnl"
        cp lib/.libs/libnl-3.a lib/.libs/libnl-route-3.a "$deps/sysroot/usr/lib/"
        cp -a include/netlink "$deps/sysroot/usr/include/libnl3/"
        cp etc/* "$deps/sysroot/etc/libnl/" 2>/dev/null || true
    )
    rm -rf "$src"
}

# --- 7. a smoke test: a C++ program with exceptions and thread_local --------
smoke() {
    local tmp
    tmp=$(mktemp -d)
    cat >"$tmp/t.cpp" <<'EOF'
#include <string>
#include <vector>
#include <cstdio>
thread_local int counter = 1;
int main() {
    std::vector<std::string> v{"static", "musl"};
    counter += static_cast<int>(v.size()) * 3 + 1;
    std::printf("%s %s %d\n", v[0].c_str(), v[1].c_str(), counter);
    return counter == 8 ? 0 : 1;
}
EOF
    "$deps/bin/metaboot-c++" -std=c++20 -Os "$tmp/t.cpp" -o "$tmp/t"
    if [ $foreign = 0 ]; then
        "$tmp/t" >/dev/null
    elif command -v "qemu-$arch-static" >/dev/null; then
        "qemu-$arch-static" "$tmp/t" >/dev/null
    else
        log "smoke test built, not run: no qemu-$arch-static (Debian's qemu-user-static)"
    fi
    local machine
    machine=$(readelf -h "$tmp/t" | sed -n 's/^ *Machine: *//p')
    case $arch:$machine in
    x86_64:*X86-64* | aarch64:AArch64) ;;
    *)
        log "smoke test binary is for $machine, not $arch"
        return 1
        ;;
    esac
    if readelf -l "$tmp/t" | grep -q INTERP; then
        log "smoke test binary is dynamic"
        return 1
    fi
    rm -rf "$tmp"
}

# --fetch-sources: what an offline build's METABOOT_SOURCES needs, checked.
fetch_sources() {
    private_sources
    download_sources
    (cd "$deps/src" && apt_private download -qq $HEADER_PACKAGES)
    local pkg
    for pkg in $HEADER_PACKAGES; do
        check_sha "$(ls "$deps/src/${pkg}_"*.deb)" "$(header_deb_sha256 "$pkg")"
    done
    cp "$deps/src/$LLVM_ORIG" "$deps/src/$LIBNL_ORIG" "$deps/src/$MUSL_ORIG" "$deps/src/"*.deb "$fetch_to/"
    log "sources for METABOOT_SOURCES in $fetch_to"
}
if [ -n "$fetch_to" ]; then
    fetch_sources
    exit 0
fi

step host-packages host_packages
step private-sources private_sources
step download-sources download_sources
step sysroot sysroot
step musl musl_libc
step wrappers wrappers
step runtimes runtimes
step libnl libnl
step smoke smoke
# Sources and package lists are kept only as long as a step may need them;
# a step redone later fetches them again.
rm -rf "$deps/src" "$deps/build" "$deps/apt"
log "$arch toolchain ready in $deps ($(du -sh "$deps" | cut -f1))"
