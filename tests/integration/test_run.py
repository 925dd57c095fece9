"""The whole run (`metaboot --root ...`) in namespaces: dnsmasq and the metadata
emulator on the server side, metaboot on the client side. Every test checks
that the client namespace is as it was, and what was written."""
import json
import os
import random
import re
import shutil
import signal
import subprocess
import tempfile
import time

import netns
import peers
from netns import Topology

NETPLAN = "etc/netplan/50-cloud-init.yaml"
IFUPDOWN = "etc/network/interfaces.d/50-cloud-init"


# Most tests read both formats back; a root without systemd that has both
# installed would get netplan alone (render/stack.h), so they ask for both.
BOTH = ("--output", "netplan,ifupdown")


def make_root():
    """A root with netplan and ifupdown installed (stub programs) and no
    systemd: the image's interfaces file, an empty etc/netplan."""
    root = tempfile.mkdtemp(prefix="mbt-root-")
    os.makedirs(os.path.join(root, "etc/netplan"))
    os.makedirs(os.path.join(root, "etc/network"))
    os.makedirs(os.path.join(root, "usr/sbin"))
    os.symlink("usr/sbin", os.path.join(root, "sbin"))
    for program in ("usr/sbin/netplan", "usr/sbin/ifup"):
        with open(os.path.join(root, program), "w") as f:
            f.write("#!/bin/sh\n")
    with open(os.path.join(root, "etc/network/interfaces"), "w") as f:
        f.write("# the image's own\nauto lo\niface lo inet loopback\n")
    return root


def serve(t, nics=1, emulator_flags=()):
    for i in range(nics):
        peers.start_dnsmasq(t, iface="veth%d" % i, subnet=i, options=["option:router,198.18.%d.1" % i])
    return peers.start_emulator(t, "--nics", str(nics), *emulator_flags)


def run(t, ctx, root, *flags, timeout="10", state=None):
    state = state or tempfile.mkdtemp(prefix="mbt-state-")
    args = [ctx["binary"], "--state-dir", state, "--provider", "ec2", "--timeout", timeout, "--json"]
    if root:
        args += ["--root", root]
        if "--output" not in flags:
            args += list(BOTH)
    started = time.monotonic()
    proc = t.client.run(args + list(flags), check=False)
    proc.elapsed = time.monotonic() - started
    proc.state = state
    proc.result = json.loads(proc.stdout) if proc.stdout.strip().startswith("{") else None
    return proc


def read(root, rel):
    with open(os.path.join(root, rel)) as f:
        return f.read()


def netplan_generate(root):
    """The real netplan parser; returns the generated networkd files."""
    proc = subprocess.run(["netplan", "generate", "--root-dir", root], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    out = os.path.join(root, "run/systemd/network")
    return {name: open(os.path.join(out, name)).read() for name in sorted(os.listdir(out))} if os.path.isdir(out) else {}


def ifquery(root, iface):
    """The real ifupdown parser on what we wrote (through the image's own
    interfaces file, which must now source interfaces.d)."""
    state = tempfile.mkdtemp(prefix="mbt-ifstate-")
    text = read(root, "etc/network/interfaces").replace("/etc/network/interfaces.d", os.path.join(root, "etc/network/interfaces.d"))
    path = os.path.join(state, "interfaces")
    with open(path, "w") as f:
        f.write(text)
    proc = subprocess.run(["ifquery", "-i", path, "--state-dir", state, iface], capture_output=True, text=True)
    listed = subprocess.run(["ifquery", "-i", path, "--state-dir", state, "--list"], capture_output=True, text=True)
    shutil.rmtree(state, ignore_errors=True)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout, listed.stdout.split()


def test_full_run_two_nics_imdsv2(ctx):
    netns.require_root()
    root = make_root()
    try:
        with Topology(nics=2) as t:
            emulator = serve(t, nics=2, emulator_flags=["--tokens", "required"])
            before = t.client.snapshot()
            proc = run(t, ctx, root)
            assert proc.returncode == 0, proc.stderr
            assert t.client.snapshot() == before
            result = proc.result
            assert result["lease"]["interface"] in ("eth0", "eth1")
            assert len(result["metadata"]["nics"]) == 2, result["metadata"]
            assert result["timings_ms"]["total"] < 10000
            netplan = read(root, NETPLAN)
            assert "02:00:00:00:00:01" in netplan and "02:00:00:00:00:02" in netplan, netplan
            assert 'set-name: "eth1"' in netplan, netplan
            assert "routing-policy" in netplan
            assert oct(os.stat(os.path.join(root, NETPLAN)).st_mode & 0o777) == "0o600"
            networkd = netplan_generate(root)
            assert any("eth1" in text for text in networkd.values()), networkd
            out, listed = ifquery(root, "eth0")
            assert "eth0" in listed and "eth1" in listed, listed
            assert "source /etc/network/interfaces.d/*" in read(root, "etc/network/interfaces")
            assert read(root, "etc/network/interfaces").startswith("# the image's own\n")
            for name in ("metadata.json", "lease.json", "timings.json", "user-data"):
                assert os.path.exists(os.path.join(proc.state, name)), name
            assert oct(os.stat(os.path.join(proc.state, "user-data")).st_mode & 0o777) == "0o600"
            meta = json.load(open(os.path.join(proc.state, "metadata.json")))
            assert meta["instance_id"] == "i-0123456789abcdef0", meta
            with open(emulator.request_log) as f:
                requests = [json.loads(line) for line in f]
            assert requests[0]["method"] == "PUT", requests[0]
            assert all(r.get("token_ok", True) for r in requests[1:]), requests
            assert result["requests"] == len(requests), (result["requests"], len(requests))
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_summary_line_without_json(ctx):
    netns.require_root()
    root = make_root()
    try:
        with Topology() as t:
            serve(t)
            state = tempfile.mkdtemp(prefix="mbt-state-")
            proc = t.client.run([ctx["binary"], "--root", root, "--state-dir", state, "--provider", "ec2"] + list(BOTH), check=False)
            assert proc.returncode == 0, proc.stderr
            line = proc.stdout.strip()
            assert line.startswith("metaboot: eth0 198.18.0."), line
            for phase in ("platform", "dhcp", "metadata", "write", "state", "teardown", "total"):
                assert phase + " " in line, line
            assert line.endswith(" ms"), line
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_not_a_cloud_exits_at_once_and_does_nothing(ctx):
    netns.require_root()
    sysfs = tempfile.mkdtemp(prefix="mbt-sysfs-")
    dmi = os.path.join(sysfs, "class/dmi/id")
    os.makedirs(dmi)
    for key, value in (("sys_vendor", "QEMU"), ("product_name", "Standard PC (i440FX + PIIX, 1996)")):
        with open(os.path.join(dmi, key), "w") as f:
            f.write(value + "\n")
    root = make_root()
    try:
        with Topology() as t:
            before = t.client.snapshot()
            started = time.monotonic()
            proc = t.client.run([ctx["binary"], "--root", root, "--sysfs", sysfs], check=False)
            elapsed = time.monotonic() - started
            assert proc.returncode == 6, (proc.returncode, proc.stderr)
            assert "not a cloud" in proc.stdout + proc.stderr
            assert elapsed < 1.0, elapsed
            assert t.client.snapshot() == before
            assert not os.path.exists(os.path.join(root, NETPLAN))
    finally:
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(sysfs, ignore_errors=True)


def test_kernel_command_line_disables_and_turns_network_off(ctx):
    netns.require_root()
    root = make_root()
    cmdline = tempfile.mktemp(prefix="mbt-cmdline-")
    try:
        with Topology() as t:
            serve(t)
            with open(cmdline, "w") as f:
                f.write("root=/dev/vda ro rd.metaboot=0 quiet\n")
            proc = t.client.run([ctx["binary"], "--root", root, "--cmdline", cmdline], check=False)
            assert proc.returncode == 0 and "disabled" in proc.stderr, (proc.returncode, proc.stderr)
            with open(cmdline, "w") as f:
                f.write("ro rd.metaboot.network=0 rd.metaboot.timeout=8 rd.metaboot.bogus=1\n")
            before = t.client.snapshot()
            proc = run(t, ctx, root, "--cmdline", cmdline)
            assert proc.returncode == 0, proc.stderr
            assert "rd.metaboot.bogus" in proc.stderr  # warned, ignored
            assert not os.path.exists(os.path.join(root, NETPLAN))
            assert os.path.exists(os.path.join(proc.state, "metadata.json"))
            assert t.client.snapshot() == before
    finally:
        shutil.rmtree(root, ignore_errors=True)
        os.unlink(cmdline)


def test_output_none_needs_no_root_and_missing_root_is_usage(ctx):
    netns.require_root()
    with Topology() as t:
        serve(t)
        proc = run(t, ctx, None, "--output", "none")
        assert proc.returncode == 0, proc.stderr
        assert proc.result["files"] == []
        proc = t.client.run([ctx["binary"], "--provider", "ec2"], check=False)
        assert proc.returncode == 1 and "--root is required" in proc.stderr


def _files_under(root):
    return sorted(os.path.relpath(os.path.join(d, n), root) for d, _, names in os.walk(root) for n in names)


def _run_detecting(t, ctx, root):
    """A run that leaves the choice of format to metaboot (no --output)."""
    state = tempfile.mkdtemp(prefix="mbt-state-")
    proc = t.client.run([ctx["binary"], "--root", root, "--state-dir", state, "--provider", "ec2", "--timeout", "10",
                         "--verbose"], check=False)
    proc.state = state
    return proc


def test_one_stack_per_root_and_exit_7_without_one(ctx):
    """A systemd root with ifupdown enabled (and networkd installed, a
    leftover etc/netplan) gets the ifupdown file alone; a root with no stack
    gets nothing, a warning that names what was looked for, exit 7, its
    state all the same, and the lease torn down."""
    netns.require_root()
    enabled = _systemd_root("networking.service", "usr/sbin/ifup",
                            ["usr/lib/systemd/systemd-networkd", "etc/network/interfaces", "etc/netplan/.keep"])
    bare = tempfile.mkdtemp(prefix="mbt-root-")
    try:
        os.symlink("usr/sbin", os.path.join(enabled, "sbin"))
        bare_before = _files_under(bare)
        with Topology() as t:
            serve(t)
            before = t.client.snapshot()
            proc = _run_detecting(t, ctx, enabled)
            assert proc.returncode == 0, proc.stderr
            assert "writing ifupdown: networking.service enabled" in proc.stderr, proc.stderr
            assert os.path.exists(os.path.join(enabled, IFUPDOWN))
            assert not os.path.exists(os.path.join(enabled, NETPLAN))
            ifquery(enabled, "eth0")

            proc = _run_detecting(t, ctx, bare)
            assert proc.returncode == 7, (proc.returncode, proc.stderr)
            assert "no network config written" in proc.stderr, proc.stderr
            for looked in ("netplan: not installed", "ifupdown: not installed (sbin/ifup)"):
                assert looked in proc.stderr, proc.stderr
            assert "0 files (no network stack in the root)" in proc.stdout, proc.stdout
            assert _files_under(bare) == bare_before
            assert os.path.exists(os.path.join(proc.state, "metadata.json"))
            assert t.client.snapshot() == before
    finally:
        shutil.rmtree(enabled, ignore_errors=True)
        shutil.rmtree(bare, ignore_errors=True)


def _systemd_root(service, program, extra=()):
    """A root with systemd, `program` installed and `service` enabled."""
    root = tempfile.mkdtemp(prefix="mbt-root-")
    for rel in ("usr/lib/systemd/systemd", program, "usr/lib/systemd/system/" + service) + tuple(extra):
        os.makedirs(os.path.dirname(os.path.join(root, rel)), exist_ok=True)
        with open(os.path.join(root, rel), "w") as f:
            f.write("")
    wants = os.path.join(root, "etc/systemd/system/multi-user.target.wants")
    os.makedirs(wants)
    os.symlink("/usr/lib/systemd/system/" + service, os.path.join(wants, service))
    return root


def test_networkd_root_gets_networkd_files_and_stale_ones_go(ctx):
    netns.require_root()
    root = _systemd_root("systemd-networkd.service", "usr/lib/systemd/systemd-networkd",
                         ["etc/systemd/network/10-cloud-init-eth7.network", "etc/systemd/network/10-cloud-init-eth7.link",
                          "etc/systemd/network/50-admin.network"])
    try:
        with Topology() as t:
            serve(t)
            before = t.client.snapshot()
            proc = _run_detecting(t, ctx, root)
            assert proc.returncode == 0, proc.stderr
            assert "writing networkd: systemd-networkd.service enabled" in proc.stderr, proc.stderr
            names = sorted(os.listdir(os.path.join(root, "etc/systemd/network")))
            # eth7's files were written for a NIC that is gone; the admin's stay.
            assert names == ["10-cloud-init-eth0.link", "10-cloud-init-eth0.network", "50-admin.network"], names
            network = read(root, "etc/systemd/network/10-cloud-init-eth0.network")
            assert "PermanentMACAddress=02:00:00:00:00:01" in network and "DHCP=" in network, network
            assert "removed %s/etc/systemd/network/10-cloud-init-eth7.network" % root in proc.stderr, proc.stderr
            assert t.client.snapshot() == before
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_selinux_networkmanager_root_gets_keyfiles_under_run(ctx):
    """SELinux enforcing in the root: the keyfiles go to the initramfs's /run
    (here a private tmpfs), none into the root, and a keyfile an earlier boot
    left in the root is named as shadowing them."""
    netns.require_root()
    root = _systemd_root("NetworkManager.service", "usr/sbin/NetworkManager",
                         ["etc/NetworkManager/system-connections/cloud-init-eth9.nmconnection"])
    try:
        os.makedirs(os.path.join(root, "etc/selinux"))
        with open(os.path.join(root, "etc/selinux/config"), "w") as f:
            f.write("# written by the image\nSELINUX=enforcing\nSELINUXTYPE=targeted\n")
        root_before = _files_under(root)
        state = tempfile.mkdtemp(prefix="mbt-state-")
        with Topology() as t:
            serve(t)
            script = ("mount -t tmpfs tmpfs /run || exit 90; {bin} --root {root} --state-dir {state} --provider ec2 --timeout 10; "
                      "echo EXIT=$?; cd /run && find . -type f -printf 'RUNFILE %m %p\\n'").format(bin=ctx["binary"], root=root, state=state)
            proc = subprocess.run(t.client.cmd(["unshare", "-m", "--propagation", "private", "sh", "-c", script]),
                                  capture_output=True, text=True, timeout=60)
            assert "EXIT=0" in proc.stdout, proc.stdout + proc.stderr
            assert "the root runs SELinux enforcing: writing under /run" in proc.stderr, proc.stderr
            assert "cloud-init-eth9.nmconnection in the root shadows" in proc.stderr, proc.stderr
            assert "RUNFILE 600 ./NetworkManager/system-connections/cloud-init-eth0.nmconnection" in proc.stdout, proc.stdout
            assert "RUNFILE 644 ./systemd/network/10-cloud-init-eth0.link" in proc.stdout, proc.stdout
            assert _files_under(root) == root_before
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_metadata_stall_gives_up_by_the_deadline(ctx):
    netns.require_root()
    root = make_root()
    try:
        with Topology() as t:
            # The version listing stalls: the token is had, nothing after it.
            serve(t, emulator_flags=["--stall", "/=60"])
            before = t.client.snapshot()
            proc = run(t, ctx, root, timeout="3")
            assert proc.returncode == 3, (proc.returncode, proc.stderr)
            assert proc.elapsed < 3 + 1.0, proc.elapsed
            assert "no metadata" in proc.stderr
            assert t.client.snapshot() == before
            assert not os.path.exists(os.path.join(root, NETPLAN))
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_hostile_values_never_reach_a_file(ctx):
    netns.require_root()
    root = make_root()
    try:
        with Topology(nics=2) as t:
            serve(t, nics=2, emulator_flags=["--hostile"])
            before = t.client.snapshot()
            proc = run(t, ctx, root)
            assert proc.returncode == 0, proc.stderr
            assert t.client.snapshot() == before
            for rel in (NETPLAN, IFUPDOWN):
                text = read(root, rel)
                for bad in ("malicious", "evil", "$(", "`", "rm -rf", "reboot", "pwned", "10.0.0.1", "999", "not-a-mac", ".."):
                    assert bad not in text, (rel, bad, text)
            state = open(os.path.join(proc.state, "metadata.json")).read()
            meta = json.loads(state)  # still one valid document
            assert "\n" not in meta["instance_id"]
            netplan_generate(root)
            ifquery(root, "eth0")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_read_only_root_is_remounted_and_restored(ctx):
    netns.require_root()
    base = tempfile.mkdtemp(prefix="mbt-ro-")
    try:
        with Topology() as t:
            serve(t)
            state = tempfile.mkdtemp(prefix="mbt-state-")
            script = ("set -e; mount -t tmpfs -o size=4m tmpfs {b}; mkdir -p {b}/etc/netplan {b}/etc/network; "
                      "echo 'auto lo' > {b}/etc/network/interfaces; mount -o remount,ro {b}; "
                      "ip netns exec {ns} {bin} --root {b} --state-dir {s} --provider ec2 --timeout 10 --output netplan; "
                      "grep -q ' {b} tmpfs ro' /proc/self/mounts && echo STILL-RO; "
                      "test -s {b}/{np} && echo WRITTEN").format(b=base, ns=t.client.name, bin=ctx["binary"], s=state, np=NETPLAN)
            proc = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script],
                                  capture_output=True, text=True)
            assert proc.returncode == 0, proc.stdout + proc.stderr
            assert "STILL-RO" in proc.stdout and "WRITTEN" in proc.stdout, proc.stdout + proc.stderr
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _strace_inject(t, ctx, root, syscall, errno_name, nth):
    state = tempfile.mkdtemp(prefix="mbt-state-")
    args = ["strace", "-f", "-qq", "-o", "/dev/null", "-e", "trace=%s" % syscall,
            "-e", "inject=%s:error=%s:when=%d" % (syscall, errno_name, nth),
            ctx["binary"], "--root", root, "--state-dir", state, "--provider", "ec2", "--timeout", "10"] + list(BOTH)
    return t.client.run(args, check=False)


def test_injected_write_failures_leave_old_or_new_files(ctx):
    """ENOSPC/EIO on write, fsync and rename at every call position: each file
    is the complete old one or the complete new one, no temp file is left,
    the exit code says writing failed, and the lease is gone."""
    netns.require_root()
    if ctx["sanitize"]:
        raise netns.Skip("ASan's own writes fail under injected write errors (its CHECK aborts)")
    if not shutil.which("strace"):
        raise netns.Skip("strace not installed")
    root = make_root()
    try:
        with Topology() as t:
            serve(t)
            # The reference: what a clean run writes.
            first = run(t, ctx, root)
            assert first.returncode == 0, first.stderr
            new_netplan = read(root, NETPLAN)
            shutil.rmtree(root)
            root = make_root()
            old_netplan = "# old\nnetwork: {version: 2}\n"
            with open(os.path.join(root, NETPLAN), "w") as f:
                f.write(old_netplan)
            os.chmod(os.path.join(root, NETPLAN), 0o600)
            before = t.client.snapshot()
            cases = failed = 0
            failed_by = set()
            for syscall, errno_name in (("write", "ENOSPC"), ("fsync", "EIO"), ("rename", "EIO"), ("renameat", "EIO"),
                                        ("renameat2", "EIO"), ("write", "EIO")):
                # Up to the 4th call: a write's count includes metaboot's log
                # lines (one write each), two of them before the first file
                # ("leased ...", "writing N files under ROOT").
                for nth in (1, 2, 3, 4):
                    proc = _strace_inject(t, ctx, root, syscall, errno_name, nth)
                    cases += 1
                    assert proc.returncode in (0, 4), (syscall, nth, proc.returncode, proc.stderr)
                    text = read(root, NETPLAN)
                    assert text in (old_netplan, new_netplan), (syscall, nth, text)
                    leftovers = [n for n in os.listdir(os.path.join(root, "etc/netplan")) if n != "50-cloud-init.yaml"]
                    assert not leftovers, (syscall, nth, leftovers)
                    assert t.client.snapshot() == before, (syscall, nth)
                    if proc.returncode == 4:
                        failed += 1
                        failed_by.add(syscall)
                        assert "writ" in proc.stderr, proc.stderr
                    # Back to the old file for the next case.
                    with open(os.path.join(root, NETPLAN), "w") as f:
                        f.write(old_netplan)
            assert cases == 24, cases
            # The injections landed: on write, fsync and the rename call the
            # libc uses, and in 10 cases of 24 at least (measured: 10; the
            # other calls are log lines, the renames the libc does not make,
            # and files already new, which are not written again).
            assert {"write", "fsync"} <= failed_by and failed_by & {"rename", "renameat", "renameat2"}, failed_by
            assert failed >= 10, failed
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_signals_at_random_points_tear_down(ctx):
    netns.require_root()
    rng = random.Random(0x6d62)
    root = make_root()
    try:
        with Topology() as t:
            # dnsmasq answers after a second, so the signals land in every phase.
            peers.start_dnsmasq(t, options=["option:router,198.18.0.1"], extra=["--dhcp-reply-delay=1"])
            peers.start_emulator(t, "--nics", "1", "--stall", "/latest/user-data=2")
            before = t.client.snapshot()
            for i in range(6):
                sig = signal.SIGTERM if i % 2 == 0 else signal.SIGINT
                state = tempfile.mkdtemp(prefix="mbt-state-")
                proc = subprocess.Popen(t.client.cmd([ctx["binary"], "--root", root, "--state-dir", state,
                                                      "--provider", "ec2", "--timeout", "10"] + list(BOTH)),
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                t.procs.append(proc)
                time.sleep(rng.uniform(0.05, 2.5))
                proc.send_signal(sig)
                out, err = proc.communicate(timeout=10)
                assert proc.returncode in (0, 128 + sig), (i, proc.returncode, err)
                assert t.client.snapshot() == before, i
                if os.path.exists(os.path.join(root, NETPLAN)):
                    netplan_generate(root)
                leftovers = [n for n in os.listdir(os.path.join(root, "etc/netplan")) if n != "50-cloud-init.yaml"]
                assert not leftovers, leftovers
    finally:
        shutil.rmtree(root, ignore_errors=True)


class WaitRoot:
    """The folders of a --wait-root run: the real root, the root-ready
    marker's folder, a kernel command line (the overlap on or off) and a
    udev database of the test's own (a NIC counts once its record says udev
    is done with it). Removed on exit."""

    def __init__(self, overlap):
        self.root = make_root()
        self.folder = tempfile.mkdtemp(prefix="mbt-ready-")
        self.marker = os.path.join(self.folder, "root-ready")
        self.cmdline = os.path.join(self.folder, "cmdline")
        with open(self.cmdline, "w") as f:
            f.write("ro rd.metaboot.overlap=1\n" if overlap else "ro\n")
        self.udev_data = os.path.join(self.folder, "udev")
        os.makedirs(self.udev_data)
        self.state = os.path.join(self.folder, "state")
        os.makedirs(self.state)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        shutil.rmtree(self.root, ignore_errors=True)
        shutil.rmtree(self.folder, ignore_errors=True)

    def start(self, t, ctx):
        """metaboot --wait-root in the client namespace, as the systemd
        initrd's early unit starts it."""
        proc = subprocess.Popen(t.client.cmd([ctx["binary"], "--root", self.root, "--state-dir", self.state, "--provider", "ec2",
                                              "--timeout", "10", "--json", "--wait-root", self.marker, "--cmdline", self.cmdline]
                                             + list(BOTH)),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=dict(os.environ, METABOOT_UDEV_DATA=self.udev_data))
        t.procs.append(proc)
        return proc

    def udev_record(self, t, nic, text="I:1700000000\nG:systemd\n"):
        """udev's record of the NIC (by its ifindex), as udevd writes it."""
        ifindex = t.client.run(["cat", "/sys/class/net/%s/ifindex" % nic]).stdout.strip()
        with open(os.path.join(self.udev_data, "n" + ifindex), "w") as f:
            f.write(text)


def test_wait_root_fetches_at_once_tears_down_then_writes_when_the_root_is_ready(ctx):
    # The systemd initrd's early unit with rd.metaboot.overlap=1 (issue 18):
    # lease and fetch while the initrd is still finding and mounting the
    # root, the network torn down as soon as the metadata is in, the write
    # held until the root-ready marker appears (the root-ready unit makes it
    # after initrd-fs.target).
    netns.require_root()
    with WaitRoot(overlap=True) as w, Topology() as t:
        emulator = serve(t)
        before = t.client.snapshot()
        proc = w.start(t, ctx)
        time.sleep(0.5)
        assert t.client.snapshot() == before, "DHCP began on a NIC udev has not processed"
        # As systemd-udevd 252 does: the record written with
        # ID_RENAMING=1, the NIC renamed, the record written again
        # without it. The run must not start on a NIC being renamed, and
        # must go by its new name (an overlapped dracut-systemd boot
        # leased on ens2 logging eth0).
        w.udev_record(t, "eth0", "I:1700000000\nE:ID_NET_NAME=ens5\nE:ID_RENAMING=1\nG:systemd\n")
        time.sleep(0.5)
        assert t.client.snapshot() == before, "DHCP began on a NIC udev is renaming"
        t.client.run(["ip", "link", "set", "eth0", "name", "ens5"])
        before = t.client.snapshot()
        w.udev_record(t, "ens5", "I:1700000000\nE:ID_NET_NAME=ens5\nG:systemd\n")

        def fetched():
            with open(emulator.request_log) as f:
                return any('user-data' in line for line in f)
        netns.wait_for(fetched, 10, what="the metadata fetch")
        # Fetched, and torn down while it waits: the namespace is as it
        # was (no lease address, no route), nothing is written yet, and
        # the run is still there.
        netns.wait_for(lambda: t.client.snapshot() == before, 5, what="the teardown before the root is ready")
        time.sleep(0.3)
        assert proc.poll() is None, proc.communicate()
        assert not os.path.exists(os.path.join(w.root, NETPLAN))
        assert not os.listdir(w.state), os.listdir(w.state)

        open(w.marker, "w").close()
        out, err = proc.communicate(timeout=10)
        assert proc.returncode == 0, err
        result = json.loads(out)
        assert "the root is ready" in err, err
        assert re.search(r"\bens5: leased ", err) and "eth0" not in err, err
        assert "root" in result["timings_ms"] and "teardown" in result["timings_ms"], result["timings_ms"]
        assert t.client.snapshot() == before
        netplan = read(w.root, NETPLAN)
        assert "02:00:00:00:00:01" in netplan, netplan
        netplan_generate(w.root)
        assert os.path.exists(os.path.join(w.state, "metadata.json"))


def test_a_nic_found_while_the_overlap_waits_is_in_the_teardown_proof(ctx):
    # With the overlap the NIC usually appears after the run has started (the
    # driver probes while the systemd initrd starts metaboot), so it is not in
    # the snapshot taken at the start. It must be snapshotted when found and
    # compared at the teardown like the rest: here eth0 is held in another
    # namespace until the run waits, then comes back (a new link to the run),
    # and a change made to it during the fetch must fail the teardown check.
    netns.require_root()
    with WaitRoot(overlap=True) as w, Topology() as t:
        emulator = serve(t, emulator_flags=["--drip", "/2021-03-23/user-data=20"])
        hold = t.add_namespace("hold")
        t.client.run(["ip", "link", "set", "eth0", "netns", hold.name])
        proc = w.start(t, ctx)
        time.sleep(0.5)
        hold.run(["ip", "link", "set", "eth0", "netns", t.client.name])
        w.udev_record(t, "eth0")
        netns.wait_for(lambda: os.path.exists(emulator.request_log) and os.path.getsize(emulator.request_log) > 0,
                       timeout=10, what="the first metadata request")
        t.client.run(["ip", "addr", "add", "198.19.0.77/24", "dev", "eth0"])
        open(w.marker, "w").close()
        out, err = proc.communicate(timeout=15)
        assert re.search(r"\beth0: leased ", err), err
        assert proc.returncode == 5, (proc.returncode, err)
        assert "teardown: the interfaces differ from before the run" in err, err
        assert "198.19.0.77/24" in err, err


def test_wait_root_without_the_overlap_leases_only_once_the_root_is_ready(ctx):
    # The default of the systemd initrd's unit: started early, it does
    # nothing on the network until the root-ready marker appears.
    netns.require_root()
    with WaitRoot(overlap=False) as w, Topology() as t:
        emulator = serve(t)
        before = t.client.snapshot()
        proc = w.start(t, ctx)
        time.sleep(0.7)
        assert proc.poll() is None, proc.communicate()
        assert t.client.snapshot() == before
        assert not os.path.exists(emulator.request_log) or os.path.getsize(emulator.request_log) == 0
        open(w.marker, "w").close()
        out, err = proc.communicate(timeout=10)
        assert proc.returncode == 0, err
        timings = json.loads(out)["timings_ms"]
        assert list(timings).index("root") < list(timings).index("dhcp"), timings
        assert t.client.snapshot() == before
        assert "02:00:00:00:00:01" in read(w.root, NETPLAN)
