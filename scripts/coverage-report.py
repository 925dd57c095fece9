#!/usr/bin/python3
"""Line and branch coverage of src/ by folder, as a Markdown table.

    scripts/coverage-report.py PROFDATA BINARY [MORE_OBJECTS...]

Reads `llvm-cov export -summary-only` for the objects (the binary and the
unit tests share src/, and llvm-cov merges a file's counts across them) and
sums each file's line and branch counts into its folder of src/.
"""
import json
import os
import subprocess
import sys


def main(profdata, binary, *more):
    args = ["llvm-cov-19", "export", "-summary-only", "-instr-profile", profdata, binary]
    for obj in more:
        args += ["-object", obj]
    data = json.loads(subprocess.run(args, capture_output=True, text=True, check=True).stdout)
    folders = {}
    root = os.getcwd() + "/"
    for f in data["data"][0]["files"]:
        name = f["filename"].replace(root, "")
        if name.startswith("./"):
            name = name[2:]
        if not name.startswith("src/"):
            continue
        parts = name.split("/")
        folder = "/".join(parts[:3]) if parts[1] == "clouds" and len(parts) > 3 else "/".join(parts[:2]) if len(parts) > 2 else name
        s = f["summary"]
        acc = folders.setdefault(folder, [0, 0, 0, 0])
        acc[0] += s["lines"]["covered"]
        acc[1] += s["lines"]["count"]
        acc[2] += s["branches"]["covered"]
        acc[3] += s["branches"]["count"]
    out = ["| folder | lines | line coverage | branches | branch coverage |", "|---|---|---|---|---|"]
    total = [0, 0, 0, 0]
    for folder in sorted(folders):
        lc, ln, bc, bn = folders[folder]
        total = [a + b for a, b in zip(total, folders[folder])]
        out.append("| %s | %d | %.1f%% | %d | %s |" % (folder, ln, 100.0 * lc / ln if ln else 0, bn,
                                                      "%.1f%%" % (100.0 * bc / bn) if bn else "-"))
    lc, ln, bc, bn = total
    out.append("| **all of src/** | %d | %.1f%% | %d | %.1f%% |" % (ln, 100.0 * lc / ln, bn, 100.0 * bc / bn))
    print("\n".join(out))


if __name__ == "__main__":
    if len(sys.argv) < 3:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        sys.exit(2)
    main(*sys.argv[1:])
