"""The shipped binary is fully static: it runs in an empty chroot and in a
fresh network namespace, and carries no exception runtime."""
import os
import re
import shutil
import subprocess
import tempfile
import time
import fcntl
import importlib.util

import netns

_spec = importlib.util.spec_from_file_location(
    "check_hardening", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "check-hardening.py"))
HARDENING = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(HARDENING)


def test_binary_is_static(ctx):
    if ctx["sanitize"]:
        raise netns.Skip("the sanitizer build is a glibc build")
    out = subprocess.run(["file", ctx["binary"]], capture_output=True, text=True).stdout
    # A static PIE (the own toolchain's build) or a static EXEC (another
    # musl toolchain's): either way no interpreter.
    assert "static-pie linked" in out or "statically linked" in out, out
    assert "interpreter" not in out, out
    ldd = subprocess.run(["ldd", ctx["binary"]], capture_output=True, text=True)
    # glibc's ldd says "statically linked" of a static PIE (it has a dynamic
    # section, for its own relocations) and "not a dynamic executable" of a
    # static EXEC; never a library.
    said = ldd.stdout + ldd.stderr
    assert ldd.returncode != 0 or "not a dynamic executable" in said or said.strip() == "statically linked", said


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
    # The own toolchain's build (the start-up object exists) claims a static PIE.
    pie = os.path.exists(os.path.join(ctx["build"], "obj", "src", "start", "static_pie.o"))
    proc = subprocess.run(["python3", script] + (["--pie"] if pie else []) + [ctx["binary"]], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for line in ("static", "non-executable stack", "RELRO", "no W+X segment", "seccomp filter compiled in") + (("static PIE",) if pie else ()):
        assert re.search(r"^%s\s+ok\b" % re.escape(line), proc.stdout, re.M), (line, proc.stdout)
    other = os.path.join(ctx["build"], "peak-rss")
    if os.path.exists(other):
        proc = subprocess.run(["python3", script, "--pie", other], capture_output=True, text=True)
        assert proc.returncode == 1, proc.stdout
        assert re.search(r"^seccomp filter compiled in\s+MISSING", proc.stdout, re.M), proc.stdout
        assert re.search(r"^static PIE\s+MISSING", proc.stdout, re.M), proc.stdout


def test_hardening_check_reads_each_files_compile_flags(ctx):
    """The unstripped twin records each file's compile flags
    (-frecord-command-line): the check finds canaries and zeroed locals in
    the folders claimed and neither elsewhere, and fails on a copy whose
    record lost the zeroing flag (the same bytes otherwise)."""
    if ctx["sanitize"]:
        raise netns.Skip("the sanitizer build is a dynamic glibc build")
    unstripped = ctx["binary"] + ".unstripped"
    with open(unstripped, "rb") as f:
        data = f.read()
    if b".GCC.command.line" not in data:
        raise netns.Skip("a build without the compile-flag record (another musl toolchain)")
    script = os.path.join(ctx["root"], "scripts", "check-hardening.py")
    proc = subprocess.run(["python3", script, ctx["binary"]], capture_output=True, text=True)
    found = re.search(r"^compile flags per file\s+ok\s+\((\d+) files of src/", proc.stdout, re.M)
    assert found, proc.stdout
    assert int(found.group(1)) >= 90, proc.stdout
    assert re.search(r"^stack canaries\s+ok\b.*clouds 0 functions", proc.stdout, re.M), proc.stdout
    with tempfile.TemporaryDirectory() as tmp:
        copy = os.path.join(tmp, "metaboot")
        shutil.copy(ctx["binary"], copy)
        flag = b"-ftrivial-auto-var-init=zero"
        assert data.count(flag) >= 20
        with open(copy + ".unstripped", "wb") as f:
            f.write(data.replace(flag, flag[:-1] + b"X"))
        proc = subprocess.run(["python3", script, copy], capture_output=True, text=True)
        assert proc.returncode == 1, proc.stdout
        assert re.search(r"^compile flags per file\s+MISSING\s+\(src/\S+ lacks -ftrivial-auto-var-init=zero", proc.stdout, re.M), proc.stdout


def _held_by_a_full_pipe(argv, blocked_in="pipe"):
    """Starts argv with stdout on a pipe that is already full, so the process
    blocks in its first write, after start-up (or, for a launcher, waits on
    the child that blocks: blocked_in="wait"). Returns (process, read end)."""
    read_end, write_end = os.pipe()
    fcntl.fcntl(write_end, 1031, 4096)  # F_SETPIPE_SZ: one page
    os.set_blocking(write_end, False)
    try:
        while True:
            os.write(write_end, b"x" * 4096)
    except BlockingIOError:
        pass
    os.set_blocking(write_end, True)
    proc = subprocess.Popen(argv, stdout=write_end, stderr=subprocess.DEVNULL)
    os.close(write_end)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with open("/proc/%d/wchan" % proc.pid) as f:
            if blocked_in in f.read():
                return proc, read_end
        time.sleep(0.01)
    proc.kill()
    raise AssertionError("%s never blocked on its stdout" % argv[0])


def _mappings(pid, path):
    """(start, end, perms, file offset) of each mapping of path."""
    out = []
    with open("/proc/%d/maps" % pid) as f:
        for line in f:
            fields = line.split()
            if len(fields) >= 6 and fields[5] == os.path.realpath(path):
                start, end = (int(x, 16) for x in fields[0].split("-"))
                out.append((start, end, fields[1], int(fields[2], 16)))
    return out


def _release(proc, read_end):
    os.close(read_end)  # the blocked write fails (EPIPE/SIGPIPE) and the run ends
    proc.wait(timeout=10)


def test_static_pie_loads_at_a_random_address_with_relro_read_only(ctx):
    """The own toolchain's binary is a static PIE with its own start-up
    (src/start/static_pie.c): two runs load it at different addresses (the
    kernel's ASLR), and once it runs its RELRO range (vtables, the GOT, the
    init arrays) is read-only in the process while .data after it stays
    writable. musl's own static start-up leaves RELRO writable: the peak-RSS
    launcher, built with it, shows the check can tell."""
    if ctx["sanitize"]:
        raise netns.Skip("the sanitizer build is a dynamic glibc build")
    with open(ctx["binary"], "rb") as f:
        data = f.read()
    e_type, _, segments = HARDENING.segments(data)
    if e_type != HARDENING.ET_DYN:
        raise netns.Skip("built by another musl toolchain: a static EXEC")
    with open("/proc/sys/kernel/randomize_va_space") as f:
        if f.read().strip() == "0":
            raise netns.Skip("ASLR is off on this machine (kernel.randomize_va_space=0)")
    relro = [s for s in segments if s["type"] == HARDENING.PT_GNU_RELRO]
    assert len(relro) == 1, segments
    bases = []
    for _ in range(2):
        proc, read_end = _held_by_a_full_pipe([ctx["binary"], "--help"])
        try:
            maps = _mappings(proc.pid, ctx["binary"])
            base = [m for m in maps if m[3] == 0][0][0]
            bases.append(base)
            page = os.sysconf("SC_PAGE_SIZE")
            first = (base + relro[0]["vaddr"]) & -page
            last = (base + relro[0]["vaddr"] + relro[0]["memsz"]) & -page
            assert last > first, relro
            for start, end, perms, _ in maps:
                if start < last and end > first:
                    assert perms.startswith("r--"), (hex(start), perms, maps)
            writable = [m for m in maps if m[2].startswith("rw")]
            assert writable and all(m[0] >= last for m in writable), maps
        finally:
            _release(proc, read_end)
    assert bases[0] != bases[1], [hex(b) for b in bases]
    assert all(b % os.sysconf("SC_PAGE_SIZE") == 0 for b in bases), bases

    other = os.path.join(ctx["build"], "peak-rss")
    if os.path.exists(other):
        with open(other, "rb") as f:
            o_type, _, o_segments = HARDENING.segments(f.read())
        o_relro = [s for s in o_segments if s["type"] == HARDENING.PT_GNU_RELRO]
        if o_type == HARDENING.ET_EXEC and o_relro:
            proc, read_end = _held_by_a_full_pipe([other, ctx["binary"], "--help"], blocked_in="wait")
            try:
                page = os.sysconf("SC_PAGE_SIZE")
                at = o_relro[0]["vaddr"] & -page
                perms = [m[2] for m in _mappings(proc.pid, other) if m[0] <= at < m[1]]
                assert perms and perms[0].startswith("rw"), perms
            finally:
                _release(proc, read_end)
