"""The Debian package, with Debian's own tools: dpkg-buildpackage builds it
from a copy of the tree, lintian checks it, and it is installed into and
purged from a fresh Debian 12 root made by mmdebstrap, where the
update-initramfs trigger must put metaboot into the image and take it out
again.

The root (minbase-sized: variant apt, initramfs-tools, linux-image-amd64) is
cached as a tarball under ~/.cache/metaboot/, named by a hash of the
mmdebstrap command, and unpacked afresh for every run. The chroot gets a
private tmpfs /dev, its own /proc and no network: mkinitramfs never sees the
host's disks, /boot or /etc.
"""
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
from netns import Skip  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CACHE = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "metaboot")
MIRROR = "http://deb.debian.org/debian"
# MODULES=list: the image gets only the modules hooks ask for, so each
# update-initramfs takes seconds instead of packing every driver (35 MB).
# Written before any package is installed, so the first image is built so too.
MMDEBSTRAP = [
    "mmdebstrap", "--variant=apt", "--format=tar",
    "--include=initramfs-tools,linux-image-amd64",
    "--setup-hook=mkdir -p \"$1/etc/initramfs-tools/conf.d\""
    " && echo MODULES=list > \"$1/etc/initramfs-tools/conf.d/modules-list\"",
    "bookworm",
]
INIT_BOTTOM = "scripts/init-bottom/metaboot"

_state = {}


def log(message):
    print("package: " + message, flush=True)


def run(args, **kw):
    proc = subprocess.run(args, capture_output=True, text=True, **kw)
    if proc.returncode != 0:
        raise AssertionError("%s exited %d\n%s\n%s" % (args, proc.returncode, proc.stdout[-6000:], proc.stderr[-6000:]))
    return proc.stdout


def makefile_version():
    with open(os.path.join(ROOT, "Makefile")) as f:
        return re.search(r"^VERSION := (\S+)", f.read(), re.M).group(1)


def require_tools():
    if os.geteuid() != 0:
        raise Skip("needs root (chroot, mount namespaces)")
    missing = [t for t in ("dpkg-buildpackage", "dh", "lintian", "mmdebstrap", "unshare") if not shutil.which(t)]
    if missing:
        raise AssertionError("missing %s (scripts/install-test-packages.sh installs them)" % ", ".join(missing))


def copy_tree(work):
    src = os.path.join(work, "metaboot")
    files = run(["git", "-C", ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard"]).split("\0")
    for name in filter(None, files):
        if not os.path.lexists(os.path.join(ROOT, name)):
            continue  # deleted in the work tree, not yet committed
        os.makedirs(os.path.dirname(os.path.join(src, name)), exist_ok=True)
        shutil.copy2(os.path.join(ROOT, name), os.path.join(src, name), follow_symlinks=False)
    return src


def build_deb():
    """dpkg-buildpackage -us -uc -b in a copy of the tree (it writes the .deb
    beside the source folder); the toolchain is the one `make deps` built."""
    if "deb" in _state:
        return _state["deb"]
    work = tempfile.mkdtemp(prefix="metaboot-deb-")
    src = copy_tree(work)
    env = dict(os.environ, DEB_BUILD_OPTIONS="nocheck parallel=1")  # the unit suite runs the unit tests
    started = time.monotonic()
    run(["dpkg-buildpackage", "-us", "-uc", "-b"], cwd=src, env=env)
    arch = run(["dpkg", "--print-architecture"]).strip()
    deb = os.path.join(work, "metaboot_%s_%s.deb" % (makefile_version(), arch))
    assert os.path.exists(deb), "no %s among %s" % (deb, os.listdir(work))
    log("dpkg-buildpackage %.0f s: %s" % (time.monotonic() - started, os.path.basename(deb)))
    _state["deb"] = deb
    _state["work"] = work
    return deb


def test_debian_changelog_matches_makefile_version():
    out = run(["dpkg-parsechangelog", "-l", os.path.join(ROOT, "debian", "changelog"), "-S", "Version"])
    assert out.strip() == makefile_version(), (out.strip(), makefile_version())


def test_deb_contents_and_fields():
    require_tools()
    deb = build_deb()
    listing = run(["dpkg-deb", "-c", deb])
    for path in ("./usr/sbin/metaboot",
                 "./usr/lib/dracut/modules.d/95metaboot/module-setup.sh",
                 "./usr/lib/dracut/modules.d/95metaboot/metaboot-pre-pivot.sh",
                 "./usr/share/initramfs-tools/hooks/metaboot",
                 "./usr/share/initramfs-tools/" + INIT_BOTTOM,
                 "./usr/share/man/man8/metaboot.8.gz",
                 "./usr/lib/systemd/system/metaboot-root.service",
                 "./usr/share/doc/metaboot/copyright"):
        assert re.search(r" %s$" % re.escape(path), listing, re.M), "%s not in the package:\n%s" % (path, listing)
    if os.path.exists(os.path.join(ROOT, "doc", "metaboot.conf")):
        assert re.search(r" \./etc/metaboot\.conf$", listing, re.M), listing
    # The packaged binary is the Makefile's, untouched (no dh_strip): static
    # and within the 400 KiB budget.
    unpacked = os.path.join(_state["work"], "unpacked")
    run(["dpkg-deb", "-x", deb, unpacked])
    binary = os.path.join(unpacked, "usr/sbin/metaboot")
    assert os.path.getsize(binary) <= 400 * 1024, os.path.getsize(binary)
    # A static PIE (own start-up, README "Hardening"): no interpreter.
    described = run(["file", "-b", binary])
    assert "static-pie linked" in described and "interpreter" not in described, described
    with open(binary, "rb") as f:
        log("usr/sbin/metaboot %d bytes, sha256 %s" % (os.path.getsize(binary), hashlib.sha256(f.read()).hexdigest()))
    fields = run(["dpkg-deb", "-f", deb, "Built-Using", "Depends"])
    for source in ("libnl3 (= ", "llvm-toolchain-19 (= ", "musl (= "):
        assert source in fields, fields
    # dh_installinitramfs's trigger; Debian's dracut is interested in it too.
    triggers = run(["dpkg-deb", "--info", deb, "triggers"])
    assert "activate-noawait update-initramfs" in triggers, triggers


def test_arm64_deb_cross_builds():
    """dpkg-buildpackage -aarm64: DEB_HOST_ARCH=arm64 makes the Makefile
    build with its aarch64 toolchain (bootstrapped if absent), and the
    package holds a static AArch64 binary. -d: the Build-Depends are the
    build machine's (clang is the cross compiler), not arm64 packages."""
    require_tools()
    work = tempfile.mkdtemp(prefix="metaboot-deb-arm64-")
    try:
        src = copy_tree(work)
        started = time.monotonic()
        run(["dpkg-buildpackage", "-aarm64", "-d", "-us", "-uc", "-b"], cwd=src,
            env=dict(os.environ, DEB_BUILD_OPTIONS="nocheck parallel=2"))
        deb = os.path.join(work, "metaboot_%s_arm64.deb" % makefile_version())
        assert os.path.exists(deb), os.listdir(work)
        log("dpkg-buildpackage -aarm64 %.0f s" % (time.monotonic() - started))
        assert run(["dpkg-deb", "-f", deb, "Architecture"]).strip() == "arm64"
        binary = os.path.join(work, "metaboot.arm64")
        with open(binary, "wb") as f:
            f.write(subprocess.run(["sh", "-c", "dpkg-deb --fsys-tarfile '%s' | tar -xO ./usr/sbin/metaboot" % deb],
                                   capture_output=True, check=True).stdout)
        described = run(["file", "-b", binary])
        assert "ARM aarch64" in described and "static-pie linked" in described, described
        assert os.path.getsize(binary) <= 400 * 1024, os.path.getsize(binary)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_lintian_clean():
    """Every tag lintian reports at info level or above fails the test unless
    debian/metaboot.lintian-overrides overrides it (with its reason)."""
    require_tools()
    deb = build_deb()
    # --show-overrides would count the overridden tags towards --fail-on.
    proc = subprocess.run(["lintian", "--display-info", "--fail-on", "error,warning,info", deb],
                          capture_output=True, text=True)
    print(proc.stdout, end="")
    tags = [line for line in proc.stdout.splitlines() if re.match(r"[EWI]: ", line)]
    assert proc.returncode == 0 and not tags, "lintian (exit %d):\n%s\n%s" % (proc.returncode, "\n".join(tags), proc.stderr)


def debian12_root():
    """The cached tarball of a fresh Debian 12 root; made once per mmdebstrap command."""
    key = hashlib.sha256("\0".join(MMDEBSTRAP + [MIRROR]).encode()).hexdigest()[:12]
    tarball = os.path.join(CACHE, "debian12-root-%s.tar" % key)
    if os.path.exists(tarball):
        return tarball
    os.makedirs(CACHE, exist_ok=True)
    started = time.monotonic()
    partial = tarball + ".part"
    # stdin closed: mmdebstrap reads sources.list lines from a stdin that is not a terminal.
    run(MMDEBSTRAP + [partial, MIRROR], stdin=subprocess.DEVNULL)
    os.rename(partial, tarball)
    log("mmdebstrap %.0f s: %s" % (time.monotonic() - started, tarball))
    return tarball


# Runs as the chroot's shell, inside new mount, PID, network and UTS namespaces.
CHROOT = r"""
set -eu
root=$1; shift
mount --make-rprivate /
mount -t tmpfs -o mode=0755,nosuid dev "$root/dev"
for spec in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
    IFS=: read -r name major minor <<EOF
$spec
EOF
    mknod -m 0666 "$root/dev/$name" c "$major" "$minor"
done
mkdir -p "$root/dev/pts" "$root/dev/shm"
mount -t proc proc "$root/proc"
exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 "$@"
"""


def in_chroot(root, *args):
    """Runs ARGS in the root; returns stdout and stderr together (dpkg's
    trigger output goes to both)."""
    argv = ["unshare", "--mount", "--pid", "--fork", "--net", "--uts", "sh", "-c", CHROOT, "chroot", root] + list(args)
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        raise AssertionError("%s exited %d\n%s" % (list(args), proc.returncode, proc.stdout[-8000:]))
    return proc.stdout


def image_listing(root):
    images = sorted(n for n in os.listdir(os.path.join(root, "boot")) if n.startswith("initrd.img-"))
    assert len(images) == 1, images
    image = "/boot/" + images[0]
    stat = os.stat(root + image)
    return set(in_chroot(root, "lsinitramfs", image).split()), (stat.st_mtime_ns, stat.st_size)


def test_install_rebuilds_initramfs_and_purge_removes_everything():
    require_tools()
    deb = build_deb()
    started = time.monotonic()
    tarball = debian12_root()
    root = tempfile.mkdtemp(prefix="metaboot-root-")
    try:
        run(["tar", "-xf", tarball, "-C", root])
        log("root unpacked in %.0f s" % (time.monotonic() - started))
        before, before_stamp = image_listing(root)
        assert "usr/sbin/metaboot" not in before

        shutil.copy(deb, os.path.join(root, "tmp", "metaboot.deb"))
        out = in_chroot(root, "dpkg", "-i", "/tmp/metaboot.deb")
        assert "update-initramfs" in out, out
        installed, installed_stamp = image_listing(root)
        assert installed_stamp != before_stamp, "the trigger did not rebuild the image:\n" + out
        for path in ("usr/sbin/metaboot", INIT_BOTTOM):
            assert path in installed, "%s not in the image built by the trigger" % path
        # The init-bottom script is ordered into the boot (ORDER is what init sources).
        order = in_chroot(root, "sh", "-c", "unmkinitramfs /boot/initrd.img-* /tmp/x && cat /tmp/x/scripts/init-bottom/ORDER 2>/dev/null || cat /tmp/x/main/scripts/init-bottom/ORDER")
        assert "/scripts/init-bottom/metaboot" in order, order
        in_chroot(root, "rm", "-rf", "/tmp/x")

        # The systemd units are installed but left for the admin to enable.
        wants = in_chroot(root, "sh", "-c", "ls -R /etc/systemd/system 2>/dev/null || true")
        assert "metaboot" not in wants, wants

        package_files = [line.split()[-1][1:] for line in run(["dpkg-deb", "-c", deb]).splitlines()
                         if not line.startswith("d")]
        out = in_chroot(root, "dpkg", "--purge", "metaboot")
        assert "update-initramfs" in out, out
        after, after_stamp = image_listing(root)
        assert after_stamp != installed_stamp, "the trigger did not rebuild the image at purge:\n" + out
        assert not any("metaboot" in path for path in after), sorted(p for p in after if "metaboot" in p)
        left = [p for p in package_files if os.path.lexists(root + p)]
        assert not left, "left after purge: %s" % left
        for folder in ("/usr/lib/dracut/modules.d/95metaboot", "/usr/share/doc/metaboot"):
            assert not os.path.lexists(root + folder), folder + " left after purge"
        leftovers = [n for n in os.listdir(os.path.join(root, "var/lib/dpkg/info")) if n.startswith("metaboot.")]
        for folder, _, names in os.walk(os.path.join(root, "var/lib/systemd")):
            leftovers += [os.path.join(folder, n) for n in names if "metaboot" in n]
        assert not leftovers, leftovers
        with open(os.path.join(root, "var/lib/dpkg/status")) as f:
            assert not re.search(r"^Package: metaboot$", f.read(), re.M), "dpkg still knows metaboot"
        log("root, install, purge %.0f s" % (time.monotonic() - started))
    finally:
        subprocess.run(["rm", "-rf", "--one-file-system", root])  # 3x faster than shutil.rmtree here


def test_zz_cleanup():
    """Removes the build folder (last by line order, like the suite's other cleanups)."""
    work = _state.pop("work", None)
    _state.pop("deb", None)
    if work:
        shutil.rmtree(work, ignore_errors=True)
