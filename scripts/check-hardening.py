#!/usr/bin/python3
"""Checks what the built binary shows of its hardening (issue 19).

    scripts/check-hardening.py [--pie] BINARY

Each line names a property and what was found; the exit code is 1 when a
property metaboot claims is missing. Claimed, and checked on the ELF file:
  - static: no program interpreter and no dynamic section (or a static PIE);
  - a non-executable stack (PT_GNU_STACK without X);
  - RELRO (PT_GNU_RELRO), and no segment both writable and executable;
  - no text relocations;
  - the seccomp filter compiled in: its first instructions (load the
    architecture, compare it with this CPU's) are in the read-only data.
  - stack canaries (-fstack-protector-strong) in the folders the Makefile
    lists (STACK_PROTECTED): x86_64 only, from the unstripped twin
    (BINARY.unstripped) when it exists: every such folder's namespace has
    functions that load the canary from %fs:0x28, and no function of a
    folder left out has one (left out for the size budget: README.md,
    "Hardening").
  - each file's compile flags, from the unstripped twin's
    .GCC.command.line (-frecord-command-line): every file of src/ in the
    folders claimed is built with -fstack-protector-strong and
    -ftrivial-auto-var-init=zero, and no file outside them with either
    (zeroed locals leave nothing in the code to find, so their record is
    what is read).
  - with --pie (the own toolchain's build, Makefile), or whenever the binary
    is one: a static PIE that src/start/static_pie.c can relocate (ET_DYN
    marked PIE, pointers packed in DT_RELR, no REL/RELA/PLT table, the ELF
    header in the first LOAD segment). Another musl toolchain's build is a
    static EXEC, reported as such.
Reads the ELF headers itself (no readelf needed), little-endian 64-bit only.
"""
import os
import struct
import sys

PT_INTERP, PT_DYNAMIC, PT_GNU_STACK, PT_GNU_RELRO = 3, 2, 0x6474E551, 0x6474E552
PF_X, PF_W = 1, 2
ET_EXEC, ET_DYN = 2, 3
DT_TEXTREL, DT_FLAGS, DF_TEXTREL = 22, 30, 4
DT_RELA, DT_REL, DT_JMPREL, DT_RELRSZ, DT_RELR = 7, 17, 23, 35, 36
DT_FLAGS_1, DF_1_PIE = 0x6FFFFFFB, 0x08000000
# AUDIT_ARCH_X86_64 and AUDIT_ARCH_AARCH64, by e_machine.
AUDIT_ARCH = {62: 0xC000003E, 183: 0xC00000B7}


def segments(data):
    (e_type, e_machine), e_phoff = struct.unpack_from("<HH", data, 16), struct.unpack_from("<Q", data, 32)[0]
    e_phentsize, e_phnum = struct.unpack_from("<HH", data, 54)
    out = []
    for i in range(e_phnum):
        p_type, p_flags, p_offset, p_vaddr, _, p_filesz, p_memsz, _ = struct.unpack_from("<IIQQQQQQ", data, e_phoff + i * e_phentsize)
        out.append({"type": p_type, "flags": p_flags, "offset": p_offset, "vaddr": p_vaddr, "filesz": p_filesz, "memsz": p_memsz})
    return e_type, e_machine, out


def dynamic_flags(data, dynamic):
    textrel = False
    for off in range(dynamic["offset"], dynamic["offset"] + dynamic["filesz"], 16):
        tag, value = struct.unpack_from("<qQ", data, off)
        textrel |= tag == DT_TEXTREL or (tag == DT_FLAGS and value & DF_TEXTREL)
    return textrel


def dynamic_tags(data, dynamic):
    tags = {}
    for off in range(dynamic["offset"], dynamic["offset"] + dynamic["filesz"], 16):
        tag, value = struct.unpack_from("<qQ", data, off)
        if tag == 0:
            break
        tags[tag] = value
    return tags


def pie_properties(data, e_type, by_type):
    """(ok, detail): a static PIE that metaboot's own start-up
    (src/start/static_pie.c) can relocate: ET_DYN marked PIE, its pointers
    packed in DT_RELR, no REL, RELA or PLT relocation table (the start-up
    stops at any of them), and the ELF header in the first LOAD segment (the
    start-up finds its load address there)."""
    dynamic = by_type.get(PT_DYNAMIC, [])
    if e_type != ET_DYN or PT_INTERP in by_type or not dynamic:
        return False, "a static EXEC, loaded at a fixed address"
    tags = dynamic_tags(data, dynamic[0])
    problems = []
    if not tags.get(DT_FLAGS_1, 0) & DF_1_PIE:
        problems.append("DF_1_PIE not set")
    if DT_RELR not in tags:
        problems.append("no DT_RELR")
    for tag, name in ((DT_RELA, "DT_RELA"), (DT_REL, "DT_REL"), (DT_JMPREL, "DT_JMPREL")):
        if tag in tags:
            problems.append(name + " present")
    loads = by_type.get(1, [])
    if not loads or loads[0]["offset"] != 0:
        problems.append("the ELF header is not in the first LOAD segment")
    if problems:
        return False, ", ".join(problems)
    return True, "ET_DYN, DF_1_PIE, %d bytes of DT_RELR, no other relocation table" % tags[DT_RELRSZ]


# What metaboot claims (the Makefile's STACK_PROTECTED and AUTO_VAR_INIT).
CANARY_FOLDERS = {"cli", "common", "dhcp", "fs", "http", "ipv4ll", "model", "net", "render"}
ZEROED_FOLDERS = {"cli", "clouds", "common", "dhcp", "fs", "http", "ipv4ll", "model", "net", "render"}
# Itanium-mangled prefixes of the namespaces of src/'s folders (src/dhcp:
# mb::dhcp, ...). common/ and model/ are namespace mb itself, so they are
# not told apart in the code; their files' records are.
NAMESPACES = {"cli": b"_ZN2mb3cli", "clouds": b"_ZN2mb6clouds", "dhcp": b"_ZN2mb4dhcp", "fs": b"_ZN2mb2fs",
              "http": b"_ZN2mb4http", "ipv4ll": b"_ZN2mb6ipv4ll", "net": b"_ZN2mb3net", "render": b"_ZN2mb6render"}
PROTECTED = {f: p for f, p in NAMESPACES.items() if f in CANARY_FOLDERS}
UNPROTECTED = {f: p for f, p in NAMESPACES.items() if f not in CANARY_FOLDERS}


def section_headers(data):
    """(name, offset, size, type) of each section."""
    e_shoff = struct.unpack_from("<Q", data, 40)[0]
    e_shentsize, e_shnum, e_shstrndx = struct.unpack_from("<HHH", data, 58)
    raw = [struct.unpack_from("<IIQQQQIIQQ", data, e_shoff + i * e_shentsize) for i in range(e_shnum)]
    names = raw[e_shstrndx][4]
    return [(data[names + sh[0]:data.index(b"\0", names + sh[0])].decode(), sh[4], sh[5], sh[1]) for sh in raw]


def recorded_flags(path):
    """(ok, detail) for each file's recorded compile flags, or None when
    there is no unstripped twin with a record."""
    unstripped = path + ".unstripped"
    if not os.path.exists(unstripped):
        return None
    with open(unstripped, "rb") as f:
        data = f.read()
    record = [s for s in section_headers(data) if s[0] == ".GCC.command.line"]
    if not record:
        return None
    _, offset, size, _ = record[0]
    wrong, files = [], 0
    for line in data[offset:offset + size].split(b"\0"):
        words = line.decode(errors="replace").split()
        if "-c" not in words or words.index("-c") + 1 >= len(words):
            continue
        source = words[words.index("-c") + 1]
        parts = source.split("/")
        if len(parts) < 3 or parts[0] != "src":
            continue
        files += 1
        folder = parts[1]
        for flag, claimed in (("-fstack-protector-strong", CANARY_FOLDERS), ("-ftrivial-auto-var-init=zero", ZEROED_FOLDERS)):
            if (flag in words) != (folder in claimed):
                wrong.append("%s %s %s" % (source, "lacks" if folder in claimed else "has", flag))
    if not files:
        return False, "no file of src/ in the record"
    return not wrong, "; ".join(wrong[:5]) if wrong else "%d files of src/ built as claimed (canaries in %s; zeroed locals in %s)" % (
        files, " ".join(sorted(CANARY_FOLDERS)), " ".join(sorted(ZEROED_FOLDERS)))


def function_symbols(data):
    """(name, file offset, size) of each function in .symtab."""
    e_shoff = struct.unpack_from("<Q", data, 40)[0]
    e_shentsize, e_shnum = struct.unpack_from("<HH", data, 58)
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, e_shoff + i * e_shentsize) for i in range(e_shnum)]
    loads = [s for s in segments(data)[2] if s["type"] == 1]
    out = []
    for sh in sections:
        if sh[1] != 2:  # SHT_SYMTAB
            continue
        strtab = sections[sh[6]]
        for off in range(sh[4], sh[4] + sh[5], 24):
            st_name, st_info, _, _, st_value, st_size = struct.unpack_from("<IBBHQQ", data, off)
            if st_info & 0xF != 2 or not st_size:  # STT_FUNC
                continue
            name = data[strtab[4] + st_name:data.index(b"\0", strtab[4] + st_name)]
            for seg in loads:
                if seg["vaddr"] <= st_value < seg["vaddr"] + seg["filesz"]:
                    out.append((name, st_value - seg["vaddr"] + seg["offset"], st_size))
    return out


def canaries(path, machine):
    """(ok, detail) for the stack canaries, or None when it cannot be told."""
    unstripped = path + ".unstripped"
    if machine != 62 or not os.path.exists(unstripped):
        return None
    with open(unstripped, "rb") as f:
        data = f.read()
    # mov %fs:0x28,<reg>: 64 48|4c 8b <modrm> 25 28 00 00 00.
    def has_canary(body):
        at = body.find(b"\x25\x28\x00\x00\x00")
        while at >= 3:
            if body[at - 4] == 0x64 and body[at - 3] in (0x48, 0x4C) and body[at - 2] == 0x8B:
                return True
            at = body.find(b"\x25\x28\x00\x00\x00", at + 1)
        return False
    counts = {folder: 0 for folder in list(PROTECTED) + list(UNPROTECTED)}
    for name, offset, size in function_symbols(data):
        if not has_canary(data[offset:offset + size]):
            continue
        for folder, prefix in list(PROTECTED.items()) + list(UNPROTECTED.items()):
            if name.startswith(prefix):
                counts[folder] += 1
    ok = all(counts[f] for f in PROTECTED) and not any(counts[f] for f in UNPROTECTED)
    return ok, ", ".join("%s %d" % (f, n) for f, n in counts.items()) + " functions with a canary"


def main(path, expect_pie=False):
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        print("%s: not a little-endian 64-bit ELF file" % path)
        return 1
    e_type, machine, segs = segments(data)
    by_type = {}
    for s in segs:
        by_type.setdefault(s["type"], []).append(s)
    checks = []
    dynamic = by_type.get(PT_DYNAMIC, [])
    static_pie = e_type == ET_DYN and PT_INTERP not in by_type
    checks.append(("static", PT_INTERP not in by_type and (not dynamic or static_pie),
                   "no interpreter" + (", static PIE" if static_pie else ", no dynamic section" if not dynamic else "")))
    stack = by_type.get(PT_GNU_STACK)
    checks.append(("non-executable stack", bool(stack) and not stack[0]["flags"] & PF_X,
                   "PT_GNU_STACK %s" % ("missing" if not stack else "RWX" if stack[0]["flags"] & PF_X else "RW")))
    checks.append(("RELRO", PT_GNU_RELRO in by_type, "PT_GNU_RELRO %s" % ("present" if PT_GNU_RELRO in by_type else "missing")))
    wx = [s for s in by_type.get(1, []) if s["flags"] & PF_W and s["flags"] & PF_X]
    checks.append(("no W+X segment", not wx, "%d writable and executable LOAD segment(s)" % len(wx)))
    textrel = dynamic_flags(data, dynamic[0]) if dynamic else False
    checks.append(("no text relocations", not textrel, "DT_TEXTREL %s" % ("set" if textrel else "absent")))
    arch = AUDIT_ARCH.get(machine)
    # BPF_LD|BPF_W|BPF_ABS of offsetof(seccomp_data, arch) = 4, then
    # BPF_JMP|BPF_JEQ|BPF_K against the architecture, as sandbox.cpp builds it.
    start = struct.pack("<HBBI", 0x20, 0, 0, 4) + struct.pack("<H", 0x15)
    found = arch is not None and any(
        data[i + 12:i + 16] == struct.pack("<I", arch) for i in _find_all(data, start))
    checks.append(("seccomp filter compiled in", found, "the BPF program's architecture check %s" % ("found" if found else "not found")))
    pie_ok, pie_detail = pie_properties(data, e_type, by_type)
    if expect_pie or pie_ok:
        checks.append(("static PIE", pie_ok, pie_detail))
    protected = canaries(path, machine)
    if protected is not None:
        checks.append(("stack canaries", protected[0], protected[1]))
    flags = recorded_flags(path)
    if flags is not None:
        checks.append(("compile flags per file", flags[0], flags[1]))
    failed = 0
    for name, ok, detail in checks:
        print("%-28s %s  (%s)" % (name, "ok" if ok else "MISSING", detail))
        failed += not ok
    if not (expect_pie or pie_ok):
        print("%-28s %s" % ("static PIE", "not claimed (%s)" % pie_detail))
    if protected is None:
        print("%-28s %s" % ("stack canaries", "not checked (x86_64 with BINARY.unstripped only)"))
    if flags is None:
        print("%-28s %s" % ("compile flags per file", "not checked (no BINARY.unstripped with a .GCC.command.line record)"))
    return 1 if failed else 0


def _find_all(data, needle):
    at = data.find(needle)
    while at >= 0:
        yield at
        at = data.find(needle, at + 1)


if __name__ == "__main__":
    args = sys.argv[1:]
    expect = args[:1] == ["--pie"]
    if expect:
        args = args[1:]
    if len(args) != 1:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        sys.exit(2)
    sys.exit(main(args[0], expect))
