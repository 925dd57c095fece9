"""The system call filter (src/cli/sandbox.cpp, issue 19 item 2), on real runs
in namespaces:

- while a run waits on a stalled metadata fetch, the kernel reports the filter
  and no_new_privs in /proc/PID/status, and SIGTERM still tears everything
  down under it;
- every call real runs make once the filter is in place (strace of a full
  two-NIC run and of `metaboot lease`) is on the filter's list, so the list
  and the code cannot drift apart unnoticed.
The rest of the suite (integration and QEMU boots) runs with the filter on.
"""
import os
import re
import shutil
import signal
import tempfile
import time

import netns
from netns import Topology
from test_run import BOTH, make_root, serve

SOURCE = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "src", "cli", "sandbox.cpp")


def _status(pid):
    fields = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return fields


def test_a_run_reading_the_network_is_filtered_and_still_tears_down(ctx):
    netns.require_root()
    if ctx["sanitize"]:
        raise netns.Skip("the sanitizer build installs no filter (ASan's runtime makes calls of its own)")
    root = make_root()
    state = tempfile.mkdtemp(prefix="mbt-state-")
    try:
        with Topology() as t:
            emulator = serve(t, emulator_flags=["--stall", "/=60"])
            before = t.client.snapshot()
            proc = t.client.popen([ctx["binary"], "--root", root, "--state-dir", state, "--provider", "ec2",
                                   "--timeout", "30"] + list(BOTH))
            # The token PUT comes after the lease: the run is then held on
            # the stalled GET / with the lease's address up.
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                with open(emulator.request_log) as f:
                    if "/latest/api/token" in f.read():
                        break
                time.sleep(0.05)
            else:
                raise AssertionError("the run never reached the metadata service")
            status = _status(proc.pid)
            assert status["Seccomp"] == "2", status
            assert status["NoNewPrivs"] == "1", status
            assert status.get("Seccomp_filters", "1") == "1", status
            assert t.client.snapshot() != before  # the lease is held
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=10) == 128 + signal.SIGTERM
            assert t.client.snapshot() == before
    finally:
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(state, ignore_errors=True)


def _allowed_names():
    with open(SOURCE) as f:
        text = f.read()
    start = text.index("plain_calls[]")
    end = text.index("argument_offset")
    return set(re.findall(r"\bSYS_(\w+)", text[start:end]))


def _calls_after_the_filter(trace_path):
    """Syscall names in an strace -f log after the filter's installation,
    and whether any process was killed by SIGSYS."""
    names, installed, killed = set(), False, False
    with open(trace_path) as f:
        for line in f:
            if "killed by SIGSYS" in line:
                killed = True
            if not installed:
                installed = "SECCOMP_SET_MODE_FILTER" in line
                continue
            m = re.match(r"^\d+\s+(?:<\.\.\. (\w+) resumed>|(\w+)\()", line)
            if m:
                names.add(m.group(1) or m.group(2))
    return names, installed, killed


def test_every_call_a_run_makes_is_on_the_filters_list(ctx):
    netns.require_root()
    if ctx["sanitize"]:
        raise netns.Skip("the sanitizer build installs no filter")
    if not shutil.which("strace"):
        raise netns.Skip("strace not installed")
    allowed = _allowed_names()
    assert {"read", "sendto", "renameat", "mount", "socket", "mmap"} <= allowed, sorted(allowed)
    root = make_root()
    work = tempfile.mkdtemp(prefix="mbt-strace-")
    try:
        used = set()
        with Topology(nics=2) as t:
            serve(t, nics=2)
            runs = {
                "run": [ctx["binary"], "--root", root, "--state-dir", os.path.join(work, "state"), "--provider", "ec2",
                        "--timeout", "10"] + list(BOTH),
                "lease": [ctx["binary"], "lease", "--timeout", "10"],
            }
            for name, args in runs.items():
                trace = os.path.join(work, name + ".trace")
                proc = t.client.run(["strace", "-f", "-qq", "-o", trace] + args, check=False)
                assert proc.returncode == 0, (name, proc.returncode, proc.stderr[-2000:])
                names, installed, killed = _calls_after_the_filter(trace)
                assert installed, name + ": no filter installed"
                assert not killed, name
                used |= names
        assert {"sendto", "recvfrom", "connect", "sendmsg", "renameat", "fsync", "exit_group"} <= used, sorted(used)
        missing = used - allowed
        assert not missing, "calls made under the filter but not on its list: %s" % sorted(missing)
        # Listed but not made in these runs: error paths, the other CPU's
        # forms, the write into a real root. Printed, not failed.
        print("    listed, not made here: %s" % " ".join(sorted(allowed - used)), flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
