# metaboot: a static musl binary for the initramfs.
#
#   make deps            bootstrap the musl C++ toolchain into $(DEPS)
#   make                 build/metaboot (static, stripped)
#   make ARCH=aarch64    build-aarch64/metaboot with a cross toolchain of its own;
#                        `make ARCH=aarch64 unit` runs the unit tests under qemu-aarch64-static
#   make test            unit + integration (namespaces) + boot (QEMU) tests
#   make boot            the QEMU boot tests alone
#   make powercut        20 power cuts during the write phase under QEMU (boot suite)
#   make test SANITIZE=1 the same tests built with ASan+UBSan (glibc clang)
#   make fuzz            libFuzzer targets, FUZZ_SECONDS each
#   make bench           benchmarks against peers (root, namespaces)
#   make size            binary size by folder and library, against the budget
#   make install         DESTDIR= PREFIX=
#   make uninstall       what make install installed (same DESTDIR= PREFIX=)
#   make relink LIBNL_LIBDIR=DIR   relink against another libnl (LGPL-2.1 s. 6)
#   make demo            the README's first command
#
# Any musl toolchain works through CC/CXX (Alpine: make CXX=g++ CC=gcc).

VERSION := 0.1.0

# The target CPU, as GNU names it. A Debian package build names it Debian's way
# (dpkg-buildpackage exports DEB_HOST_ARCH: amd64, arm64), and so does the
# kernel's ARCH=arm64; both spellings are taken. An ARCH given to make wins.
HOST_ARCH := $(shell uname -m)
ARCH ?= $(if $(DEB_HOST_ARCH),$(DEB_HOST_ARCH),$(HOST_ARCH))
override ARCH := $(patsubst amd64,x86_64,$(patsubst arm64,aarch64,$(ARCH)))
ifeq ($(filter x86_64 aarch64,$(ARCH)),)
  $(error ARCH=$(ARCH): x86_64 (amd64) or aarch64 (arm64))
endif
# Another CPU's binaries run under QEMU's user mode (Debian's qemu-user-static).
EMULATOR := $(if $(filter-out $(HOST_ARCH),$(ARCH)),qemu-$(ARCH)-static)

PINS_HASH := $(shell sha256sum scripts/toolchain.pins scripts/bootstrap-toolchain.sh | sha256sum | cut -c1-12)
CACHE_HOME := $(if $(XDG_CACHE_HOME),$(XDG_CACHE_HOME),$(HOME)/.cache)
# x86_64 keeps the toolchain's and the build's names from before there was a
# second architecture (CI caches the toolchain by that name); any other
# architecture's hash takes the architecture in as well.
ifeq ($(ARCH),x86_64)
  DEPS ?= $(CACHE_HOME)/metaboot/toolchain-$(PINS_HASH)
  BUILD_DIR := build
else
  ARCH_HASH := $(shell { sha256sum scripts/toolchain.pins scripts/bootstrap-toolchain.sh; echo $(ARCH); } | sha256sum | cut -c1-12)
  DEPS ?= $(CACHE_HOME)/metaboot/toolchain-$(ARCH)-$(ARCH_HASH)
  BUILD_DIR := build-$(ARCH)
endif

SANITIZE ?= 0
WERROR ?= $(if $(CI),1,0)
PREFIX ?= /usr
DESTDIR ?=
FUZZ_SECONDS ?= 10
FUZZ_TARGETS ?=

COVERAGE ?= 0
ifeq ($(COVERAGE),1)
  # clang's source-based coverage, on the glibc build (as the sanitizers);
  # `make coverage` runs the suites on it. No seccomp filter: the profile
  # runtime writes its file at exit with calls the filter refuses.
  BUILD := $(BUILD_DIR)/coverage
  CXX := clang++-19
  CC := clang-19
  SYS_CPPFLAGS := -I/usr/include/libnl3
  OPT := -O1 -g -fprofile-instr-generate -fcoverage-mapping -DMETABOOT_NO_SECCOMP
  LINK_STATIC :=
  TOOLCHAIN_DEP :=
else ifeq ($(SANITIZE),1)
  ifneq ($(ARCH),$(HOST_ARCH))
    $(error SANITIZE=1 builds for this machine only (ARCH=$(HOST_ARCH)))
  endif
  # glibc build, allowed only for sanitizers and fuzzing, never shipped.
  BUILD := $(BUILD_DIR)/sanitize
  CXX := clang++-19
  CC := clang-19
  SYS_CPPFLAGS := -I/usr/include/libnl3
  OPT := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
  LINK_STATIC :=
  TOOLCHAIN_DEP :=
else
  BUILD := $(BUILD_DIR)
  ifeq ($(origin CXX),default)
    CXX := $(DEPS)/bin/metaboot-c++
    CC := $(DEPS)/bin/metaboot-cc
    TOOLCHAIN_DEP := $(DEPS)/stamps/smoke
    # LLVM's machine outliner folds repeated instruction sequences into
    # shared functions at link time (LTO code generation): 9.2 KB (2.3%)
    # smaller at the cost of a call on cold paths.
    LLD_FLAGS := -Wl,--icf=all -Wl,-mllvm,-enable-machine-outliner=always
    # A static PIE, so the kernel loads the binary's own code at a random
    # address: -static-pie with src/start/static_pie.c as the entry point,
    # which applies the relocations lld packs as DT_RELR (762 pointers in
    # 184 bytes; musl 1.2.3's rcrt1.o would need them as 18 KB of RELA) and
    # makes RELRO read-only. Costs 6.2 KB (2026-12-06), mostly PC-relative
    # code, paid by discard.ld (no unwind tables: -3.9 KB).
    PIE_CFLAGS := -fPIE
    PIE_LDFLAGS := -static-pie -Wl,-e,metaboot_start -Wl,-z,pack-relative-relocs -Wl,-T,src/start/discard.ld
    START_OBJ := $(BUILD)/obj/src/start/static_pie.o
    NL_INCLUDE ?= $(DEPS)/sysroot/usr/include/libnl3
  else
    # A foreign musl toolchain (Alpine's g++, a cross compiler), with the
    # system's libnl headers unless NL_INCLUDE names others.
    TOOLCHAIN_DEP :=
    NL_INCLUDE ?= /usr/include/libnl3
  endif
  SYS_CPPFLAGS := -isystem $(NL_INCLUDE)
  # Measured on this route: -Oz and no exception tables 18% smaller than -Os
  # with them; LTO a further 2%, and no RTTI (nothing uses typeid or
  # dynamic_cast) 2% more.
  # Hardening that fits the size budget (issue 19; costs measured on the
  # binary of 2026-12-06): stack clash probes (+112 bytes), full RELRO and
  # a non-executable stack (+8), a static PIE (above), and per folder below.
  # -frecord-command-line keeps each file's compile flags in the unstripped
  # twin (.GCC.command.line; strip drops it), which make check-hardening
  # reads to tell which files were built with which of them.
  HARDEN := -fstack-clash-protection $(PIE_CFLAGS) -frecord-command-line
  OPT := -Oz -flto -fno-rtti -ffunction-sections -fdata-sections $(HARDEN)
  LINK_STATIC := $(if $(PIE_LDFLAGS),$(PIE_LDFLAGS),-static) -Wl,--gc-sections -Wl,-z,relro,-z,now,-z,noexecstack $(LLD_FLAGS)
  # Stack canaries in every function with an array or an address-taken
  # local (-fstack-protector-strong) in the folders below: everything that
  # touches bytes from the network or the root (DHCP and ARP frames, HTTP
  # responses, JSON and YAML, netlink, files, the renderers); and locals
  # zeroed before their first use (-ftrivial-auto-var-init=zero) in every
  # folder. The canary comes from AT_RANDOM at start-up (musl's
  # __init_libc, after src/start/static_pie.c, which has none). Left out,
  # measured on this tree: README.md, "Hardening". scripts/check-hardening.py
  # holds the same two lists (what the binary claims) and fails when they
  # differ.
  STACK_PROTECTED := cli common dhcp fs http ipv4ll model net render
  AUTO_VAR_INIT := cli clouds common dhcp fs http ipv4ll model net render
endif

WARN := -Wall -Wextra -Wno-missing-field-initializers $(if $(filter 1,$(WERROR)),-Werror)
# CPPFLAGS, CXXFLAGS and LDFLAGS from the environment or the command line
# (another build system's) come after ours, so they can add to or override them.
CPPFLAGS := -Isrc $(SYS_CPPFLAGS) -DMETABOOT_VERSION='"$(VERSION)"' -MMD -MP $(CPPFLAGS)
# The build folder's name stays out of the binary. The own toolchain's build
# names every source and header relatively (-Isrc) and its wrapper maps the
# toolchain's own paths, so it needs no map of its own, and must have none:
# the unstripped twin records each command line (-frecord-command-line), and
# the build ID that lld computes over the whole file covers the record.
PREFIX_MAP := $(if $(filter -frecord-command-line,$(OPT)),,-ffile-prefix-map=$(CURDIR)=.)
CXXFLAGS := -std=c++20 $(OPT) $(WARN) $(PREFIX_MAP) $(CXXFLAGS)
LDFLAGS := $(OPT) $(LINK_STATIC) $(LDFLAGS)
# LIBNL_LIBDIR: a folder with libnl-3.a to link instead of
# the toolchain's (`make relink`; README, "Licence").
LIBS := $(if $(LIBNL_LIBDIR),-L$(LIBNL_LIBDIR)) -lnl-3 -lpthread

LIB_SRC := $(filter-out src/main.cpp,$(wildcard src/*/*.cpp src/*/*/*.cpp))
LIB_OBJ := $(LIB_SRC:%.cpp=$(BUILD)/obj/%.o)
# src/libc_printf.cpp: the binary's printf (common/format.h); not in the
# unit tests, which keep their libc's.
MAIN_SRC := src/main.cpp src/libc_printf.cpp
UNIT_SRC := $(wildcard tests/unit/*.cpp tests/unit/*/*.cpp tests/unit/*/*/*.cpp)
UNIT_OBJ := $(UNIT_SRC:%.cpp=$(BUILD)/obj/%.o)

.PHONY: all deps test test-packages unit integration boot powercut fuzz bench size install uninstall relink demo clean check-static check-hardening coverage fuzz-campaign

all: $(BUILD)/metaboot

deps: $(DEPS)/stamps/smoke

# The directory's name already hashes the pins and the script, so the stamp
# needs no prerequisites (a fresh clone's newer mtimes must not rebuild it).
$(DEPS)/stamps/smoke:
	bash scripts/bootstrap-toolchain.sh $(DEPS) $(ARCH)

# Nothing throws: our code returns errors as values, libc++ is built without
# exceptions, and the picojson island drives picojson's parser with its own
# context, so none of picojson's throwing paths is compiled in. No exception
# tables, no unwinder in the binary.
EXCEPTIONS = -fno-exceptions -fno-asynchronous-unwind-tables
# doctest without exceptions: a failed REQUIRE ends the test binary, which the
# runner counts as a failure.
$(BUILD)/obj/tests/%.o: EXCEPTIONS = -fno-exceptions -DDOCTEST_CONFIG_NO_EXCEPTIONS_BUT_WITH_ALL_ASSERTS

ifneq ($(STACK_PROTECTED),)
$(foreach folder,$(STACK_PROTECTED),$(BUILD)/obj/src/$(folder)/%.o): CXXFLAGS += -fstack-protector-strong
endif
ifneq ($(AUTO_VAR_INIT),)
$(foreach folder,$(AUTO_VAR_INIT),$(BUILD)/obj/src/$(folder)/%.o): CXXFLAGS += -ftrivial-auto-var-init=zero
endif

$(BUILD)/obj/%.o: %.cpp Makefile | $(TOOLCHAIN_DEP)
	@mkdir -p $(dir $@)
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) $(EXCEPTIONS) -c $< -o $@

# The start-up runs before its own pointers are relocated and before the
# thread pointer (the canary's home) exists: no canary, no builtins, no LTO.
$(START_OBJ): src/start/static_pie.c src/start/relocate.h Makefile | $(TOOLCHAIN_DEP)
	@mkdir -p $(dir $@)
	$(CC) -Isrc -Oz -fPIE -fno-stack-protector -ffreestanding -fno-builtin -Wall -Wextra $(if $(filter 1,$(WERROR)),-Werror) -c $< -o $@

$(BUILD)/metaboot.unstripped: $(LIB_OBJ) $(MAIN_SRC:%.cpp=$(BUILD)/obj/%.o) $(START_OBJ) $(if $(START_OBJ),src/start/discard.ld)
	$(CXX) $(LDFLAGS) $(filter-out %.ld,$^) $(LIBS) -o $@

$(BUILD)/metaboot: $(BUILD)/metaboot.unstripped
ifneq ($(filter 1,$(SANITIZE) $(COVERAGE)),)
	cp $< $@
else
	$(if $(filter $(CXX),$(DEPS)/bin/metaboot-c++),$(DEPS)/bin/metaboot-strip,strip) -o $@ $<
endif

$(BUILD)/unit-tests: $(LIB_OBJ) $(UNIT_OBJ) $(START_OBJ) $(if $(START_OBJ),src/start/discard.ld)
	$(CXX) $(LDFLAGS) $(filter-out %.ld,$^) $(LIBS) -o $@

unit: $(BUILD)/unit-tests
	$(EMULATOR) $(BUILD)/unit-tests

# Sets up everything from nothing (packages, toolchain), then runs every suite;
# for another CPU only the unit tests (the other suites run the binary in this
# machine's namespaces and VMs).
test:
	bash scripts/install-test-packages.sh
	$(MAKE) -j2 $(BUILD)/metaboot $(BUILD)/unit-tests $(BUILD)/peak-rss
	python3 tests/run.py --build $(BUILD) --sanitize $(SANITIZE) $(if $(EMULATOR),--suite unit)

# Only the QEMU boot tests (real kernel, dracut and initramfs-tools images).
boot: $(BUILD)/metaboot
	python3 tests/run.py --build $(BUILD) --suite boot

# Line and branch coverage of src/ by folder, from the unit and integration
# suites run on the coverage build (build/coverage/report.md).
COVERAGE_DIR := $(BUILD_DIR)/coverage
coverage:
	bash scripts/install-test-packages.sh
	$(MAKE) -j2 COVERAGE=1 $(COVERAGE_DIR)/metaboot $(COVERAGE_DIR)/unit-tests
	rm -rf $(COVERAGE_DIR)/profiles && mkdir -p $(COVERAGE_DIR)/profiles
	-LLVM_PROFILE_FILE=$(CURDIR)/$(COVERAGE_DIR)/profiles/%p-%m.profraw python3 tests/run.py --build $(COVERAGE_DIR) --sanitize 1 --suite unit,integration
	llvm-profdata-19 merge -sparse $(COVERAGE_DIR)/profiles/*.profraw -o $(COVERAGE_DIR)/all.profdata
	python3 scripts/coverage-report.py $(COVERAGE_DIR)/all.profdata $(COVERAGE_DIR)/metaboot $(COVERAGE_DIR)/unit-tests > $(COVERAGE_DIR)/report.md
	cat $(COVERAGE_DIR)/report.md

# What the binary shows of its hardening (scripts/check-hardening.py).
check-hardening: $(BUILD)/metaboot
	python3 scripts/check-hardening.py $(if $(START_OBJ),--pie) $<

# Twenty power cuts in metaboot's write phase under QEMU (about 10 minutes);
# `make test` runs three.
powercut: $(BUILD)/metaboot
	METABOOT_POWERCUT_KILLS=$${METABOOT_POWERCUT_KILLS:-20} python3 tests/run.py --build $(BUILD) --suite boot --only power_cuts

check-static: $(BUILD)/metaboot
	@file $< | grep -Eq 'statically linked|static-pie linked' || { file $<; echo "not static"; exit 1; }
	@! LC_ALL=C readelf -lW $< | grep -q 'Requesting program interpreter' || { echo "it names a program interpreter"; exit 1; }
	@! LC_ALL=C readelf -dW $< | grep -q '(NEEDED)' || { echo "it needs shared libraries"; exit 1; }
	@echo "$< is static"

# The size by folder of src/ and by library, against the 400 KiB budget.
SIZE_BUDGET := 409600
size: $(BUILD)/metaboot
	@python3 scripts/size-by-folder.py $(DEPS)/bin/metaboot-nm $(BUILD)/metaboot.unstripped $(BUILD)/obj/src $(DEPS)/sysroot/usr/lib $(SIZE_BUDGET) $<
	@echo "largest symbols:"
	@$(DEPS)/bin/metaboot-nm --size-sort -S -C $(BUILD)/metaboot.unstripped | tail -15

fuzz:
	bash tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# The long campaign (issue 19): FUZZ_SECONDS per target (default 1800), then
# each corpus in tests/fuzz/corpus/ minimized to what keeps its coverage.
# FUZZ_TARGETS="json yaml" runs some of them (a campaign of every target is
# about ten hours of one core, so it can be split across machines or days).
fuzz-campaign:
	FUZZ_MERGE=1 bash tests/fuzz/run.sh $(if $(filter 10,$(FUZZ_SECONDS)),1800,$(FUZZ_SECONDS)) $(FUZZ_TARGETS)

$(BUILD)/peak-rss: bench/peak_rss.c | $(TOOLCHAIN_DEP)
	$(CC) -Os -static $< -o $@

bench:
	bash scripts/install-test-packages.sh
	$(MAKE) $(BUILD)/metaboot $(BUILD)/peak-rss
	$(if $(START_OBJ),$(MAKE) BUILD=$(BUILD_DIR)/exec PIE_CFLAGS= PIE_LDFLAGS= START_OBJ= $(BUILD_DIR)/exec/metaboot)
	$(if $(STACK_PROTECTED)$(AUTO_VAR_INIT),$(MAKE) BUILD=$(BUILD_DIR)/plain STACK_PROTECTED= AUTO_VAR_INIT= $(BUILD_DIR)/plain/metaboot)
	python3 bench/run.py --binary $(BUILD)/metaboot --peak-rss $(BUILD)/peak-rss $(if $(START_OBJ),--baseline $(BUILD_DIR)/exec/metaboot) \
		$(if $(STACK_PROTECTED)$(AUTO_VAR_INIT),--plain $(BUILD_DIR)/plain/metaboot)

# LGPL-2.1 section 6: the same objects linked against a modified libnl.
relink:
	rm -f $(BUILD)/metaboot.unstripped $(BUILD)/metaboot
	$(MAKE) $(BUILD)/metaboot

install: $(BUILD)/metaboot
	install -D -m 0755 $(BUILD)/metaboot $(DESTDIR)$(PREFIX)/sbin/metaboot
	install -D -m 0755 dracut-module/95metaboot/module-setup.sh $(DESTDIR)$(PREFIX)/lib/dracut/modules.d/95metaboot/module-setup.sh
	install -D -m 0755 dracut-module/95metaboot/metaboot-pre-pivot.sh $(DESTDIR)$(PREFIX)/lib/dracut/modules.d/95metaboot/metaboot-pre-pivot.sh
	install -D -m 0644 dracut-module/95metaboot/metaboot.service $(DESTDIR)$(PREFIX)/lib/dracut/modules.d/95metaboot/metaboot.service
	install -D -m 0644 dracut-module/95metaboot/metaboot-root-ready.service $(DESTDIR)$(PREFIX)/lib/dracut/modules.d/95metaboot/metaboot-root-ready.service
	install -D -m 0644 dracut-module/95metaboot/metaboot.service $(DESTDIR)$(PREFIX)/lib/systemd/system/metaboot.service
	install -D -m 0644 dracut-module/95metaboot/metaboot-root-ready.service $(DESTDIR)$(PREFIX)/lib/systemd/system/metaboot-root-ready.service
	install -D -m 0644 rootfs/metaboot-root.service $(DESTDIR)$(PREFIX)/lib/systemd/system/metaboot-root.service
	install -D -m 0755 rootfs/metaboot.init $(DESTDIR)$(PREFIX)/share/metaboot/init.d/metaboot
	install -D -m 0755 rootfs/metaboot.openrc $(DESTDIR)$(PREFIX)/share/metaboot/openrc/metaboot
	install -D -m 0755 initramfs-hooks/hooks/metaboot $(DESTDIR)$(PREFIX)/share/initramfs-tools/hooks/metaboot
	install -D -m 0755 initramfs-hooks/scripts/init-bottom/metaboot $(DESTDIR)$(PREFIX)/share/initramfs-tools/scripts/init-bottom/metaboot
	install -D -m 0644 doc/metaboot.8 $(DESTDIR)$(PREFIX)/share/man/man8/metaboot.8

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/sbin/metaboot $(DESTDIR)$(PREFIX)/share/man/man8/metaboot.8
	rm -f $(DESTDIR)$(PREFIX)/lib/systemd/system/metaboot.service $(DESTDIR)$(PREFIX)/lib/systemd/system/metaboot-root.service
	rm -f $(DESTDIR)$(PREFIX)/lib/systemd/system/metaboot-root-ready.service
	rm -rf $(DESTDIR)$(PREFIX)/share/metaboot
	rm -rf $(DESTDIR)$(PREFIX)/lib/dracut/modules.d/95metaboot
	rm -f $(DESTDIR)$(PREFIX)/share/initramfs-tools/hooks/metaboot $(DESTDIR)$(PREFIX)/share/initramfs-tools/scripts/init-bottom/metaboot

# The README's first command: sets everything up, then runs the job in namespaces.
demo:
	bash scripts/install-test-packages.sh
	$(MAKE) $(BUILD)/metaboot
	python3 tests/demo.py --binary $(BUILD)/metaboot

clean:
	rm -rf build build-*/

-include $(LIB_OBJ:.o=.d) $(UNIT_OBJ:.o=.d)
