#!/usr/bin/python3
"""metaboot's test runner: the one command behind `make test`.

Runs, in order: the doctest unit tests (another CPU's under QEMU's user mode);
every `test_*` function in tests/integration/test_*.py and tests/boot/test_*.py
(namespace and QEMU tests, which need root); the fuzz targets briefly, when they
are built; tests/cross (the aarch64 build); and tests/package (the Debian
package built, linted, installed into and purged from a Debian 12 chroot;
root). Prints one closing line `N passed, N failed` (doctest's own summary is
not what CI reads).

    tests/run.py [--build DIR] [--sanitize 0|1] [--only SUBSTRING] [--suite unit,integration,boot,fuzz,cross,package]
"""
import argparse
import importlib.util
import inspect
import os
import platform
import re
import subprocess
import sys
import time
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))


class Tally:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.skipped = 0
        self.failures = []


# The ELF header's e_machine (little-endian, offset 18), named as uname -m names the CPU.
ELF_MACHINES = {62: "x86_64", 183: "aarch64"}


def emulator_for(binary):
    """QEMU's user mode for a binary of another CPU (make ARCH=aarch64), else nothing."""
    with open(binary, "rb") as f:
        header = f.read(20)
    machine = ELF_MACHINES.get(int.from_bytes(header[18:20], "little"))
    if machine is None or machine == platform.machine():
        return []
    return ["qemu-%s-static" % machine]


def run_unit(build, tally):
    binary = os.path.join(ROOT, build, "unit-tests")
    proc = subprocess.run(emulator_for(binary) + [binary], cwd=ROOT, capture_output=True, text=True)
    sys.stdout.write(proc.stdout[-20000:])
    sys.stdout.write(proc.stderr[-5000:])
    match = re.search(r"test cases:\s*(\d+)\s*\|\s*(\d+) passed\s*\|\s*(\d+) failed", proc.stdout)
    if not match:
        tally.failed += 1
        tally.failures.append("unit: no doctest summary (exit %d)" % proc.returncode)
        return
    tally.passed += int(match.group(2))
    tally.failed += int(match.group(3))
    if int(match.group(3)) or proc.returncode != 0:
        tally.failures.append("unit: %s failed" % match.group(3))
        if int(match.group(3)) == 0:
            tally.failed += 1


def discover(folder):
    path = os.path.join(ROOT, "tests", folder)
    if not os.path.isdir(path):
        return []
    found = []
    for name in sorted(os.listdir(path)):
        if not (name.startswith("test_") and name.endswith(".py")):
            continue
        spec = importlib.util.spec_from_file_location("%s_%s" % (folder, name[:-3]), os.path.join(path, name))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for fname, fn in inspect.getmembers(module, inspect.isfunction):
            if fname.startswith("test_") and fn.__module__ == module.__name__:
                found.append(("%s/%s::%s" % (folder, name, fname), fn, fn.__code__.co_firstlineno))
    return found


class Skip(Exception):
    pass


def run_python_suite(folder, tally, only, context):
    tests = discover(folder)
    for name, fn, _ in sorted(tests, key=lambda t: (t[0].split("::")[0], t[2])):
        if only and only not in name:
            continue
        started = time.monotonic()
        try:
            params = inspect.signature(fn).parameters
            fn(context) if params else fn()
        except Exception as error:  # a test's failure, reported and counted
            if type(error).__name__ == "Skip":
                tally.skipped += 1
                print("SKIP %s: %s" % (name, error), flush=True)
                continue
            tally.failed += 1
            tally.failures.append(name)
            print("FAIL %s (%.1f s)" % (name, time.monotonic() - started), flush=True)
            traceback.print_exc()
            continue
        tally.passed += 1
        print("ok   %s (%.1f s)" % (name, time.monotonic() - started), flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", default="build")
    parser.add_argument("--sanitize", default="0")
    parser.add_argument("--only", default="")
    parser.add_argument("--suite", default=os.environ.get("METABOOT_SUITES", "unit,integration,boot,fuzz,cross,package"))
    args = parser.parse_args()
    suites = args.suite.split(",")
    context = {
        "root": ROOT,
        "build": os.path.join(ROOT, args.build),
        "binary": os.path.join(ROOT, args.build, "metaboot"),
        "sanitize": args.sanitize == "1",
    }
    os.environ["METABOOT_BINARY"] = context["binary"]
    os.environ["METABOOT_ROOT"] = ROOT
    tally = Tally()
    if "unit" in suites:
        run_unit(args.build, tally)
    for folder in ("integration", "boot", "fuzz", "cross", "package"):
        if folder in suites:
            run_python_suite(folder, tally, args.only, context)
    if tally.failures:
        print("failures:")
        for failure in tally.failures:
            print("  " + failure)
    line = "%d passed, %d failed" % (tally.passed, tally.failed)
    if tally.skipped:
        line += ", %d skipped" % tally.skipped
    print(line)
    return 1 if tally.failed else 0


if __name__ == "__main__":
    sys.exit(main())
