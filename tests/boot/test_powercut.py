"""Power cuts during metaboot's write phase (issue 19, item 3).

A dracut image boots a root that already holds an earlier boot's files
(OLD). One clean boot learns what metaboot writes there now (NEW) and how
long its write phase lasts: the console lines `metaboot: writing N files
under /sysroot` and `metaboot: written under /sysroot` (src/cli/run.cpp)
enclose the remount read-write, every write and fsync, the syncfs and the
remount read-only. Then each killed boot waits for the first line and
SIGKILLs QEMU a chosen delay later, the delays spread over [0, phase length]
(one in each of N equal slices, at a random point of it). After each kill:

- the image as the next boot's kernel sees it: the journal replayed on a
  copy (`e2fsck -y -E journal_only`, the same jbd2 recovery the kernel does
  at mount), then `e2fsck -fn` on that copy must be clean. `e2fsck -fn` on
  the killed image itself only reports "needs recovery": it does not replay
  a journal read-only, so it checks a state no mount ever sees; it must be
  clean only when the journal needs no recovery;
- every file metaboot writes is byte for byte OLD or NEW, with its mode;
- a temporary file left (.NAME.metaboot-new) is a dot file, which netplan
  (*.yaml), ifupdown (`source` globs, run-parts names) never read;
- then the killed image boots again, normally: metaboot succeeds, every file
  is NEW, no temporary file is left, and the image is clean.

Last, a partial temporary file is planted beside the NEW netplan file and
the image boots once more: that run finds every file unchanged and must
still remove it.

The disk is `cache=writeback`: the guest sees a volatile write cache, so its
ext4 sends flushes and FUA writes as on a cloud's virtio disk, and QEMU turns
each flush into fdatasync on the image. SIGKILL loses what the guest had not
yet handed to QEMU (its page cache, requests QEMU had not submitted), never
what a flush covered. What QEMU had already written stays in the host's
page cache, so this kill is a power cut of a disk whose cache happened to
reach the platter: a lost-unflushed-write or reordering fault needs a block
layer that holds unflushed writes back, which this test does not have.
(cache=unsafe gives the same result on SIGKILL but drops the fdatasync; the
O_DIRECT modes without a write cache (writethrough, directsync) make the
guest send no flushes at all.)

METABOOT_POWERCUT_KILLS=N (default 3; `make powercut`: 20) sets the number of
killed boots, METABOOT_POWERCUT_SEED the random seed (printed).
"""
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bootlib  # noqa: E402
from bootlib import log  # noqa: E402
import test_boot  # noqa: E402

KIND = "dracut"
CACHE = "writeback"
NETPLAN = "etc/netplan/50-cloud-init.yaml"
IFUPDOWN = "etc/network/interfaces.d/50-cloud-init"
INTERFACES = "etc/network/interfaces"
# An earlier boot's files, for a NIC of another name: valid for netplan and
# ifupdown, and unlike anything this boot writes.
OLD = {
    NETPLAN: ("# written by an earlier boot (power-cut test's OLD)\nnetwork:\n  version: 2\n  ethernets:\n"
              "    old0:\n      match:\n        macaddress: 52:54:00:00:00:01\n      set-name: old0\n"
              "      dhcp4: true\n", 0o600),
    IFUPDOWN: ("# written by an earlier boot (power-cut test's OLD)\nauto old0\niface old0 inet dhcp\n", 0o644),
    INTERFACES: (bootlib.INTERFACES, 0o644),
}
# Where the files live, and so where a temporary file can be left.
FOLDERS = sorted({os.path.dirname(path) for path in OLD})
TEMPORARY = re.compile(r"^\..+\.metaboot-new$")

PRINTK = r"^\[\s*(\d+\.\d+)\]\s+"
BEGIN = re.compile(PRINTK + r"metaboot: writing (\d+) files under /sysroot\s*$", re.M)
END = re.compile(PRINTK + r"metaboot: written under /sysroot\s*$", re.M)


def kills_wanted():
    return int(os.environ.get("METABOOT_POWERCUT_KILLS", "3"))


class GuestRun:
    def __init__(self):
        self.console = ""
        self.begin_host = None   # host monotonic time BEGIN appeared in the console file
        self.end_host = None
        self.killed_host = None
        self.seconds = None

    def guest_times(self):
        """(begin, end) printk timestamps of the write phase, None when absent."""
        begin, end = BEGIN.search(self.console), END.search(self.console)
        return (float(begin.group(1)) if begin else None, float(end.group(1)) if end else None)


def kill_qemu(proc):
    """SIGKILL the QEMU we started, by its PID (`ip netns exec` execs it,
    so the Popen's PID is QEMU's own); checked first, never by name.
    Returns the host time of the signal."""
    with open("/proc/%d/comm" % proc.pid) as f:
        comm = f.read().strip()
    if not comm.startswith("qemu-system"):
        raise AssertionError("PID %d is %r, not our QEMU" % (proc.pid, comm))
    sent = time.monotonic()
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return sent


def run_guest(argv, network, console, kill_after=None):
    """Runs QEMU, reading its console file every millisecond or two; with
    kill_after, SIGKILLs it that many seconds after BEGIN shows up."""
    result = GuestRun()
    if os.path.exists(console):
        os.unlink(console)
    qemu_log = open(console + ".qemu.log", "w")
    started = time.monotonic()
    proc = network.ns.popen(argv, stdout=qemu_log, stderr=subprocess.STDOUT)
    fd = None
    try:
        while True:
            exited = proc.poll() is not None
            if fd is None and os.path.exists(console):
                fd = os.open(console, os.O_RDONLY)
            if fd is not None:
                chunk = b""
                while True:
                    more = os.read(fd, 1 << 16)
                    if not more:
                        break
                    chunk += more
                if chunk:
                    result.console += chunk.decode(errors="replace")
                    recent = result.console[-(len(chunk) + 200):]
                    now = time.monotonic()
                    if result.begin_host is None and BEGIN.search(recent):
                        result.begin_host = now
                    if result.end_host is None and END.search(recent):
                        result.end_host = now
            if exited:
                break
            now = time.monotonic()
            if kill_after is not None and result.begin_host is not None:
                remaining = result.begin_host + kill_after - now
                if remaining <= 0:
                    result.killed_host = kill_qemu(proc)
                    continue  # reads what the console file got before the kill
                time.sleep(min(remaining, 0.001))
                continue
            if now - started > bootlib.BOOT_TIMEOUT:
                raise AssertionError("no poweroff within %.0f s; console tail:\n%s"
                                     % (bootlib.BOOT_TIMEOUT, result.console[-3000:]))
            time.sleep(0.002)
    finally:
        if proc.poll() is None:
            kill_qemu(proc)
        if fd is not None:
            os.close(fd)
        qemu_log.close()
    result.seconds = time.monotonic() - started
    if result.killed_host is None and proc.returncode != 0:
        with open(console + ".qemu.log") as f:
            raise AssertionError("qemu exited %s: %s\n%s" % (proc.returncode, f.read(), result.console[-3000:]))
    return result


def image_names(image, folder):
    """Names in a folder of the ext4 image (debugfs `ls -p`: /inode/mode/uid/gid/name/size/)."""
    out = bootlib.run(["debugfs", "-R", "ls -p /" + folder, image], check=False).stdout
    names = []
    for line in out.splitlines():
        fields = line.split("/")
        if len(fields) >= 7 and fields[5] not in (".", ".."):
            names.append(fields[5])
    return names


def needs_recovery(image):
    out = bootlib.run(["dumpe2fs", "-h", image], check=False).stdout
    features = re.search(r"^Filesystem features:(.*)$", out, re.M)
    return bool(features) and "needs_recovery" in features.group(1).split()


def replayed_copy(image, workdir):
    """The image as the next boot mounts it: a copy with its journal replayed."""
    copy = os.path.join(workdir, "replayed.img")
    shutil.copyfile(image, copy)
    proc = bootlib.run(["e2fsck", "-y", "-E", "journal_only", copy], check=False)
    # 0: nothing to do, 1: the journal was replayed; anything else is damage.
    assert proc.returncode in (0, 1), "journal replay: %d\n%s%s" % (proc.returncode, proc.stdout, proc.stderr)
    assert not needs_recovery(copy), "journal still needs recovery after the replay"
    return copy


def check_files(image, new, allowed):
    """Each file is, byte for byte and with its mode, one of `allowed`
    ("old", "new"); returns {path: which}."""
    which = {}
    for path, (old_text, mode) in OLD.items():
        data = bootlib.read_image_file(image, path)
        versions = {"old": old_text.encode(), "new": new[path]}
        found = [name for name in allowed if versions[name] == data]
        assert found, "%s is neither %s: %r" % (path, " nor ".join(allowed), data)
        got = bootlib.image_mode(image, path)
        assert got == mode, "%s has mode %o, not %o" % (path, got, mode)
        which[path] = found[0]
    return which


def temporaries(image):
    found = []
    for folder in FOLDERS:
        for name in image_names(image, folder):
            if ".metaboot-new" in name:
                found.append(folder + "/" + name)
    return found


def check_after_kill(image, workdir, new):
    """Checks the killed image; returns what it found, for the report."""
    raw_dirty = needs_recovery(image)
    if not raw_dirty:
        proc = bootlib.fsck(image)
        assert proc.returncode == 0, "e2fsck -fn on the killed image (no recovery needed): %d\n%s%s" % (
            proc.returncode, proc.stdout, proc.stderr)
    copy = replayed_copy(image, workdir)
    proc = bootlib.fsck(copy)
    assert proc.returncode == 0, "e2fsck -fn after the journal replay: %d\n%s%s" % (
        proc.returncode, proc.stdout, proc.stderr)
    which = check_files(copy, new, ("old", "new"))
    left = temporaries(copy)
    for path in left:
        name = os.path.basename(path)
        # What the stacks read: netplan *.yaml; ifupdown's `source` glob and
        # run-parts names skip dot files. A leftover must be neither.
        assert TEMPORARY.match(name) and not name.endswith((".yaml", ".network", ".nmconnection")), path
    os.unlink(copy)
    return raw_dirty, which, left


def plant_temporary(image, workdir, path, data):
    """Writes .NAME.metaboot-new beside `path` into the (unmounted) image."""
    source = os.path.join(workdir, "planted")
    with open(source, "wb") as f:
        f.write(data)
    commands = os.path.join(workdir, "plant.debugfs")
    with open(commands, "w") as f:
        f.write("cd /%s\nwrite %s .%s.metaboot-new\n" % (os.path.dirname(path), source, os.path.basename(path)))
    bootlib.run(["debugfs", "-w", "-f", commands, image])


def check_recovery_boot(run, image, new):
    """The boot after the power cut: a normal run that leaves NEW and no temporary file."""
    boot = bootlib.Boot(run.console, run.seconds, 0)
    test_boot.check_reached_init(boot)
    test_boot.check_summary(boot)
    assert BEGIN.search(run.console) and END.search(run.console), "no write phase on the console:\n" + boot.tail()
    test_boot.check_clean(image)
    assert not needs_recovery(image), "the journal needs recovery after a clean poweroff"
    check_files(image, new, ("new",))
    left = temporaries(image)
    assert not left, "temporary files left after the next boot: %s" % left


def test_dracut_power_cuts_in_the_write_phase(ctx):
    kills = kills_wanted()
    seed = int(os.environ.get("METABOOT_POWERCUT_SEED") or random.SystemRandom().randrange(1 << 31))
    rng = random.Random(seed)
    with bootlib.Workdir() as workdir:
        # Not test_boot.assets(): this is a second copy of that module, and
        # its first call would truncate the run's boot-timings.jsonl.
        bootlib.require_host()
        kernel, tools, busybox = bootlib.prepare_kernel(), bootlib.prepare_tools(), bootlib.prepare_busybox()
        initrd = test_boot.image(KIND, ctx, kernel, tools, workdir)
        seeded = os.path.join(workdir, "seeded.img")
        bootlib.make_rootfs(seeded, busybox, workdir, extra_files=OLD)
        rootimg = os.path.join(workdir, "root.img")
        console = os.path.join(workdir, "guest.console")
        cmdline = bootlib.cmdline(KIND)
        network = bootlib.TapNetwork(ctx, workdir)
        try:
            def argv():
                return bootlib.qemu_argv(kernel, initrd, rootimg, cmdline, network, console,
                                         bootlib.EC2_SMBIOS, drive=",cache=" + CACHE)

            # The clean boot: NEW, and the phase's length.
            shutil.copyfile(seeded, rootimg)
            clean = run_guest(argv(), network, console)
            shape = bootlib.Boot(clean.console, clean.seconds, 0)
            test_boot.check_reached_init(shape)
            test_boot.check_summary(shape)
            begin = BEGIN.search(clean.console)
            assert begin and clean.end_host, "no write phase on the console:\n" + shape.tail()
            assert begin.group(2) == "3", "expected 3 files under /sysroot: " + begin.group(0)
            test_boot.check_clean(rootimg)
            new = {path: bootlib.read_image_file(rootimg, path) for path in OLD}
            for path, data in new.items():
                assert data and data != OLD[path][0].encode(), "%s: the clean boot did not change it: %r" % (path, data)
            assert not temporaries(rootimg), temporaries(rootimg)
            phase = clean.end_host - clean.begin_host
            g_begin, g_end = clean.guest_times()
            log("power cut: clean boot %.1f s; write phase %.0f ms by the host's view of the console, "
                "%.0f ms by the guest's clock; %d kills, seed %d, cache=%s"
                % (clean.seconds, phase * 1000, (g_end - g_begin) * 1000, kills, seed, CACHE))

            outcomes = []
            for i in range(kills):
                delay = (i + rng.random()) / kills * phase
                shutil.copyfile(seeded, rootimg)
                killed = run_guest(argv(), network, console, kill_after=delay)
                assert killed.killed_host, "QEMU powered off before the kill:\n" + killed.console[-3000:]
                inside = not END.search(killed.console)
                raw_dirty, which, left = check_after_kill(rootimg, workdir, new)
                again = run_guest(argv(), network, console)
                check_recovery_boot(again, rootimg, new)
                outcome = dict(delay_ms=round(delay * 1000, 1),
                               actual_ms=round((killed.killed_host - killed.begin_host) * 1000, 1),
                               inside=inside, journal_dirty=raw_dirty,
                               files="".join("N" if which[p] == "new" else "o" for p in sorted(OLD)),
                               temporaries=len(left))
                outcomes.append(outcome)
                log("power cut %d/%d: killed %.1f ms after `writing` (aimed %.1f ms), %s the phase; "
                    "journal %s; files (%s) %s; %d temporary file(s)%s; next boot clean, all NEW, no temporary file"
                    % (i + 1, kills, outcome["actual_ms"], outcome["delay_ms"],
                       "inside" if inside else "after", "needed recovery" if raw_dirty else "clean",
                       ", ".join(os.path.basename(p) for p in sorted(OLD)), outcome["files"],
                       len(left), (" " + ", ".join(left)) if left else ""))
            # The leftover of a cut whose next boot writes nothing: a partial
            # temporary file beside a netplan file that is already NEW (its
            # own run was cut after an earlier boot had written NEW). That
            # boot finds every file unchanged and must still remove it.
            plant_temporary(rootimg, workdir, NETPLAN, new[NETPLAN][:len(new[NETPLAN]) // 2])
            assert temporaries(rootimg), "debugfs did not plant the temporary file"
            again = run_guest(argv(), network, console)
            check_recovery_boot(again, rootimg, new)
            log("power cut: a partial temporary file beside an unchanged file is gone after the next boot")
        finally:
            network.close()
    inside = sum(1 for o in outcomes if o["inside"])
    mixes = sorted({o["files"] for o in outcomes})
    log("power cut: %d kills, %d inside the write phase, delays %s ms; file states seen (o=old, N=new: %s): %s; "
        "%d with a temporary file left; %d with a journal to replay"
        % (len(outcomes), inside, [o["actual_ms"] for o in outcomes], ", ".join(sorted(OLD)), mixes,
           sum(1 for o in outcomes if o["temporaries"]), sum(1 for o in outcomes if o["journal_dirty"])))
    # Kills spread over the phase land inside it, most of them: the last
    # slice may run past a phase that is shorter this time.
    assert inside >= (kills + 1) // 2, "only %d of %d kills fell inside the write phase" % (inside, kills)
