"""The aarch64 build (issue 16, item 6).

`make ARCH=aarch64` cross-compiles with a toolchain of its own, bootstrapped
here when it is absent (about 2 min on two cores, most of it libc++); the
binary must be a static AArch64 ELF, and the unit tests, run under QEMU's user
mode by the same runner and counted the same way, must all pass: as many as
the native build has, when there is one.
"""
import os
import re
import shutil
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ARCH = "aarch64"
BUILD = "build-" + ARCH


class Skip(Exception):
    pass


def make_environment():
    """The calling make's variables (CI's WERROR=1) without its jobserver,
    whose descriptors do not reach this process."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    variables = re.search(r"(?:^|\s)-- (.*)$", os.environ.get("MAKEFLAGS", ""))
    if variables:
        env["MAKEFLAGS"] = "-- " + variables.group(1)
    return env


def make(*targets):
    jobs = os.environ.get("METABOOT_JOBS", "2")
    command = ["make", "-j" + jobs, "ARCH=" + ARCH] + list(targets)
    started = time.monotonic()
    proc = subprocess.run(command, cwd=ROOT, env=make_environment(), capture_output=True, text=True)
    print("  %s: %.0f s" % (" ".join(command), time.monotonic() - started), flush=True)
    if proc.returncode != 0:
        raise AssertionError("%s failed:\n%s%s" % (" ".join(command), proc.stdout[-4000:], proc.stderr[-4000:]))


def native_test_count(context):
    """How many test cases the native unit-tests binary has, or None without one."""
    binary = os.path.join(context["build"], "unit-tests")
    if not os.path.exists(binary):
        return None
    out = subprocess.run([binary, "--count"], capture_output=True, text=True).stdout
    match = re.search(r"test cases passing the current filters:\s*(\d+)", out)
    return int(match.group(1)) if match else None


def test_aarch64_build_and_unit_tests(context):
    if context["sanitize"]:
        raise Skip("SANITIZE=1 builds for this machine only")
    if not shutil.which("qemu-%s-static" % ARCH):
        raise Skip("no qemu-%s-static (Debian's qemu-user-static, in scripts/test-packages.txt)" % ARCH)
    make("deps")
    make(BUILD + "/metaboot", BUILD + "/unit-tests")

    for name in ("metaboot", "unit-tests"):
        described = subprocess.run(["file", "-b", os.path.join(ROOT, BUILD, name)],
                                   capture_output=True, text=True, check=True).stdout
        assert "ARM aarch64" in described, "%s: %s" % (name, described)
        assert "static-pie linked" in described, "%s: %s" % (name, described)
    binary = os.path.join(ROOT, BUILD, "metaboot")
    print("  %s/metaboot: %d bytes" % (BUILD, os.path.getsize(binary)))
    # The static PIE's own start-up (src/start/static_pie.c, aarch64's entry
    # code and relocation) brings the binary up under QEMU, and the ELF checks
    # hold on this CPU's build too.
    version = subprocess.run(["qemu-%s-static" % ARCH, binary, "--version"], capture_output=True, text=True, timeout=60)
    assert version.returncode == 0 and version.stdout.startswith("metaboot "), version
    hardening = subprocess.run(["python3", os.path.join(ROOT, "scripts", "check-hardening.py"), "--pie", binary],
                               capture_output=True, text=True)
    assert hardening.returncode == 0, hardening.stdout + hardening.stderr
    assert re.search(r"^static PIE\s+ok\b", hardening.stdout, re.M), hardening.stdout

    # The runner's own unit suite, which puts qemu-aarch64-static in front.
    proc = subprocess.run(["python3", os.path.join(ROOT, "tests", "run.py"), "--build", BUILD, "--suite", "unit"],
                          cwd=ROOT, capture_output=True, text=True)
    summary = re.search(r"^(\d+) passed, (\d+) failed", proc.stdout, re.MULTILINE)
    assert summary, "no summary from the aarch64 unit run:\n" + proc.stdout[-4000:] + proc.stderr[-2000:]
    passed, failed = int(summary.group(1)), int(summary.group(2))
    print("  aarch64 unit tests under QEMU: %d passed, %d failed" % (passed, failed))
    assert proc.returncode == 0 and failed == 0 and passed > 0, proc.stdout[-8000:]
    native = native_test_count(context)
    if native is not None:
        assert passed == native, "aarch64 ran %d test cases, the native build has %d" % (passed, native)
