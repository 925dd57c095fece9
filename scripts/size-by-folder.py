#!/usr/bin/python3
"""The binary's size by where the code comes from: each folder of src/, and
the libraries (musl, libc++ with libc++abi and libunwind, libnl).

    size-by-folder.py NM UNSTRIPPED OBJ_DIR LIB_DIR [BUDGET_BYTES STRIPPED]

Every symbol of the unstripped binary (its size from the symbol table;
zero-initialised data, which takes no room in the file, left out) is
given to the first place that defines it: an object of src/<folder>/ (LLVM
bitcode, which llvm-nm reads), else one of the static libraries. With LTO
an inlined function counts where it was inlined into; what both the project
and a library define (a libc++ template instantiated by our code) counts
for the project's folder; the machine outliner's OUTLINED_FUNCTION_* are
shared by all, and shown apart.
"""
import collections
import glob
import os
import subprocess
import sys

nm, unstripped, obj_dir, lib_dir = sys.argv[1:5]
budget = int(sys.argv[5]) if len(sys.argv) > 5 else None
stripped = sys.argv[6] if len(sys.argv) > 6 else None


def defined(paths):
    out = subprocess.run([nm, "--defined-only", "--no-sort"] + paths, capture_output=True, text=True).stdout
    names = set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 3 and not line.endswith(":"):
            names.add(parts[-1])
    return names


owner = {}
for folder in sorted(os.listdir(os.path.join(obj_dir))):
    objects = glob.glob(os.path.join(obj_dir, folder, "**", "*.o"), recursive=True)
    if os.path.isdir(os.path.join(obj_dir, folder)) and objects:
        for name in defined(objects):
            owner.setdefault(name, "src/" + folder)
if os.path.exists(os.path.join(obj_dir, "main.o")):
    for name in defined([os.path.join(obj_dir, "main.o")]):
        owner.setdefault(name, "src/main.cpp")
for label, archives in (("libnl", ["libnl-route-3.a", "libnl-3.a"]), ("libc++", ["libc++.a", "libc++abi.a", "libunwind.a"]),
                        ("musl", ["libc.a"])):
    paths = [os.path.join(lib_dir, a) for a in archives if os.path.exists(os.path.join(lib_dir, a))]
    for name in defined(paths):
        owner.setdefault(name, label)

sizes = collections.Counter()
listing = subprocess.run([nm, "-S", "--size-sort", unstripped], capture_output=True, text=True).stdout
for line in listing.splitlines():
    parts = line.split()
    if len(parts) != 4:
        continue
    size, kind, name = int(parts[1], 16), parts[2], parts[3]
    if kind in "bB":
        continue  # .bss takes no room in the file
    if name.startswith("OUTLINED_FUNCTION"):
        sizes["outlined (shared)"] += size
    else:
        sizes[owner.get(name, "other (compiler runtime, startup)")] += size
total = sum(sizes.values())
print("%-34s %9s %7s" % ("where", "bytes", "share"))
for where, size in sorted(sizes.items(), key=lambda item: -item[1]):
    print("%-34s %9d %6.1f%%" % (where, size, 100.0 * size / total))
print("%-34s %9d" % ("symbols in all", total))
if stripped and budget:
    size = os.path.getsize(stripped)
    print("stripped binary: %d bytes (%.1f KiB), budget %d (%.0f KiB): %d bytes %s" % (
        size, size / 1024, budget, budget / 1024, abs(budget - size), "left" if size <= budget else "OVER"))
