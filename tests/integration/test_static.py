"""The shipped binary is fully static: it runs in an empty chroot and in a
fresh network namespace, and carries no exception runtime."""
import os
import re
import shutil
import subprocess
import tempfile

import netns


def test_binary_is_static(ctx):
    if ctx["sanitize"]:
        raise netns.Skip("the sanitizer build is a glibc build")
    out = subprocess.run(["file", ctx["binary"]], capture_output=True, text=True).stdout
    assert "statically linked" in out, out
    ldd = subprocess.run(["ldd", ctx["binary"]], capture_output=True, text=True)
    assert ldd.returncode != 0 or "not a dynamic executable" in ldd.stdout + ldd.stderr


def test_no_exception_runtime_linked(ctx):
    if ctx["sanitize"]:
        raise netns.Skip("the sanitizer build is a glibc build")
    unstripped = ctx["binary"] + ".unstripped"
    tool = "/usr/lib/llvm-19/bin/llvm-nm" if os.path.exists("/usr/lib/llvm-19/bin/llvm-nm") else "nm"
    nm = subprocess.run([tool, unstripped], capture_output=True, text=True)
    assert nm.returncode == 0, nm.stderr
    for symbol in ("__cxa_throw", "_Unwind_RaiseException", "__gxx_personality_v0"):
        assert symbol not in nm.stdout, symbol


def test_runs_in_an_empty_chroot(ctx):
    netns.require_root()
    if ctx["sanitize"]:
        raise netns.Skip("the sanitizer build is a dynamic glibc build")
    root = tempfile.mkdtemp(prefix="mbt-chroot-")
    try:
        shutil.copy(ctx["binary"], os.path.join(root, "metaboot"))
        proc = subprocess.run(["chroot", root, "/metaboot", "--version"], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.startswith("metaboot "), proc.stdout
        # No /proc, no /sys, no /dev: a forced provider still fails cleanly.
        # In a network namespace of its own (`unshare --net`): netlink works
        # without /sys, so in the host's namespace this run would see the
        # host's own NICs, and it must never touch them.
        proc = subprocess.run(["unshare", "--net", "chroot", root, "/metaboot", "--output", "none", "--provider", "ec2",
                               "--timeout", "1"], capture_output=True, text=True)
        assert proc.returncode == 2, (proc.returncode, proc.stderr)
        # EC2's reach kinds, DHCPv4 then SLAAC to [fd00:ec2::254], each find none.
        assert "metaboot: dhcp4: no Ethernet interface" in proc.stderr, proc.stderr
        assert "metaboot: no lease: slaac: no Ethernet interface" in proc.stderr, proc.stderr
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_runs_in_a_fresh_network_namespace(ctx):
    netns.require_root()
    with netns.Topology(nics=0) as t:
        proc = t.client.run([ctx["binary"], "--version"], check=False)
        assert proc.returncode == 0
        # Only loopback there: no candidate NIC, so no lease, at once.
        proc = t.client.run([ctx["binary"], "lease", "--timeout", "2"], check=False)
        assert proc.returncode == 2, (proc.returncode, proc.stderr)
        assert "no Ethernet interface" in proc.stderr, proc.stderr


def test_hardening_properties_shown_by_the_binary(ctx):
    """scripts/check-hardening.py (`make check-hardening`) passes on the
    binary, and fails on another static binary without the seccomp filter
    (the peak-RSS launcher), so the check can tell."""
    if ctx["sanitize"]:
        raise netns.Skip("the sanitizer build is a dynamic glibc build")
    script = os.path.join(ctx["root"], "scripts", "check-hardening.py")
    proc = subprocess.run(["python3", script, ctx["binary"]], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for line in ("static", "non-executable stack", "RELRO", "no W+X segment", "seccomp filter compiled in"):
        assert re.search(r"^%s\s+ok\b" % re.escape(line), proc.stdout, re.M), (line, proc.stdout)
    other = os.path.join(ctx["build"], "peak-rss")
    if os.path.exists(other):
        proc = subprocess.run(["python3", script, other], capture_output=True, text=True)
        assert proc.returncode == 1, proc.stdout
        assert re.search(r"^seccomp filter compiled in\s+MISSING", proc.stdout, re.M), proc.stdout
