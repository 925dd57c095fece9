"""Boot harness: real Debian kernel, real dracut and initramfs-tools, QEMU under TCG.

Nothing here installs a package or changes the host:
- the kernel, dracut, initramfs-tools and their missing dependencies are
  `apt-get download`ed and unpacked with `dpkg -x` into a cache outside the
  clone (${XDG_CACHE_HOME:-~/.cache}/metaboot/boot), reused by later runs;
- dracut and mkinitramfs run with those trees, and our files from
  `make install DESTDIR=`, laid over /usr, /etc and /boot by read-only
  overlays inside `unshare -m`, so only that private mount namespace sees them;
- the guest's network is tap devices inside a test namespace (tests/lib/netns.py),
  with dnsmasq and the metadata emulator on the namespace's side of them, or
  QEMU's user network, also run inside a namespace.

Debian 12 kernel facts this relies on: the 8250 serial console and AF_PACKET
are built in; virtio_pci, virtio_blk, virtio_net and ext4 are modules.
"""
import fcntl
import hashlib
import json
import lzma
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import netns  # noqa: E402

CACHE = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "metaboot", "boot")

# What dracut 059 and initramfs-tools 0.142 need beyond a Debian 12 base
# system: the tools themselves, klibc (initramfs-tools' run-init, ipconfig),
# udev (both images start udevd), kpartx (dracut-core depends on it).
TOOL_PACKAGES = ("dracut", "dracut-core", "initramfs-tools", "initramfs-tools-core",
                 "klibc-utils", "libklibc", "udev", "kpartx")
# The test root's only program: a static busybox needs no libraries in the root.
ROOTFS_PACKAGES = ("busybox-static",)
HOST_COMMANDS = ("qemu-system-x86_64", "dpkg", "apt-get", "apt-cache", "depmod", "cpio",
                 "mke2fs", "debugfs", "e2fsck", "unshare", "ip", "busybox")

# Modules the guest's root needs from the initramfs on QEMU's `pc` machine.
# virtio_net is left out on purpose: our dracut module and initramfs-tools
# hook must bring the NIC's driver themselves.
GUEST_DRIVERS = ("virtio_pci", "virtio_blk", "ext4")

GUEST_MAC = "52:54:00:12:34:56"
TAP_SERVER = "198.18.0.1"
TAP_GUEST = "198.18.0.10"
# QEMU's user network with a /16 puts its gateway at .2.2 and starts its
# DHCP pool at .2.15 (measured with QEMU 7.2).
USERNET_GUEST = "169.254.2.15"
USERNET_SUBNET = "169.254.0.0/16"
IMDS = "169.254.169.254"
RADVD = "/usr/sbin/radvd"

# Markers the test root's init prints; see ROOT_INIT.
MARK = "mbtest:"

BOOT_TIMEOUT = float(os.environ.get("METABOOT_BOOT_TIMEOUT", "240"))


def log(message):
    print("boot: " + message, flush=True)


def run(args, **kw):
    return netns.run([str(a) for a in args], **kw)


def require_host():
    netns.require_root()
    missing = [c for c in HOST_COMMANDS if not shutil.which(c)]
    if missing:
        raise AssertionError("missing host commands: %s (scripts/install-test-packages.sh installs them)"
                             % " ".join(missing))
    if not os.path.isdir("/boot"):
        # mkinitramfs reads /boot/config-VERSION; the kernel's is laid over /boot.
        raise AssertionError("no /boot folder to lay the kernel's config over")
    if not os.path.exists("/dev/net/tun"):
        raise netns.Skip("no /dev/net/tun for the guest's tap device")


class CacheLock:
    """One preparer at a time per cache; concurrent runs wait, then reuse."""

    def __enter__(self):
        os.makedirs(CACHE, exist_ok=True)
        self.fd = os.open(os.path.join(CACHE, ".lock"), os.O_CREAT | os.O_RDWR, 0o644)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        os.close(self.fd)
        return False


# --- packages -------------------------------------------------------------

def kernel_package():
    """The one linux-image-*-amd64 that linux-image-amd64 depends on today.

    A glob over the archive matches dozens of kernels; the metapackage names
    exactly one.
    """
    out = run(["apt-cache", "depends", "linux-image-amd64"]).stdout
    names = re.findall(r"^\s*Depends:\s*(linux-image-\S+-amd64)\s*$", out, re.M)
    if len(names) != 1:
        raise AssertionError("apt-cache depends linux-image-amd64 gave %r (run apt-get update)" % names)
    return names[0]


_candidates = {}


def candidate(package):
    """The version `apt-get download` would fetch, from apt's lists."""
    if package not in _candidates:
        wanted = set(TOOL_PACKAGES + ROOTFS_PACKAGES) | {package}
        out = run(["apt-cache", "policy"] + sorted(wanted)).stdout
        for name, version in re.findall(r"^(\S+):\n\s+Installed:.*\n\s+Candidate:\s*(\S+)", out, re.M):
            _candidates[name] = version
    version = _candidates.get(package)
    if not version or version == "(none)":
        raise AssertionError("no candidate for %s in the apt lists (run apt-get update)" % package)
    return version


def download(packages, dest):
    """apt-get download, exact versions, into dest; returns {package: deb path}."""
    os.makedirs(dest, exist_ok=True)
    wanted = {p: candidate(p) for p in packages}
    found = {}
    missing = []
    for package, version in wanted.items():
        deb = os.path.join(dest, "%s_%s.deb" % (package, version.replace(":", "%3a")))
        if os.path.exists(deb):
            found[package] = deb
        else:
            missing.append("%s=%s" % (package, version))
    if missing:
        with tempfile.TemporaryDirectory(dir=dest) as tmp:
            # apt drops privileges to _apt for downloads when it can write there.
            os.chmod(tmp, 0o777)
            run(["apt-get", "download", "-q"] + missing, cwd=tmp)
            for name in os.listdir(tmp):
                package = name.split("_", 1)[0]
                if package in wanted:
                    target = os.path.join(dest, "%s_%s.deb" % (package, wanted[package].replace(":", "%3a")))
                    os.replace(os.path.join(tmp, name), target)
                    found[package] = target
    absent = set(packages) - set(found)
    if absent:
        raise RuntimeError("apt-get download did not produce " + " ".join(sorted(absent)))
    return found, wanted


def merge_usr(root):
    """Debian 12 debs still ship /bin, /sbin and /lib: fold them into usr/ as
    the host's merged /usr does, so the tree can lie over /usr alone."""
    for top in ("bin", "sbin", "lib", "lib64"):
        src = os.path.join(root, top)
        if os.path.islink(src) or not os.path.isdir(src):
            continue
        dst = os.path.join(root, "usr", top)
        os.makedirs(dst, exist_ok=True)
        run(["cp", "-a", "--", src + "/.", dst + "/"])
        shutil.rmtree(src)


def prune(folder, keep, prefix):
    """Drops what an older package version left in the cache (the kernel
    alone is 400 MB unpacked). Called with the cache lock held."""
    for name in os.listdir(folder):
        if name.startswith(prefix) and name != keep:
            path = os.path.join(folder, name)
            shutil.rmtree(path) if os.path.isdir(path) else os.unlink(path)


class Kernel:
    def __init__(self, root, release, package, version):
        self.root = root
        self.release = release
        self.package = package
        self.version = version
        self.usr = os.path.join(root, "usr")
        self.boot = os.path.join(root, "boot")
        self.vmlinuz = os.path.join(self.boot, "vmlinuz-" + release)

    def image(self):
        """What QEMU's -kernel gets: the bzImage, as a bootloader would load it;
        or, with METABOOT_BOOT_KERNEL=vmlinux, the same kernel decompressed,
        entered through its PVH note. That skips ~5 s of XZ decompression
        under TCG per boot, at the price of a boot path real machines don't take."""
        if os.environ.get("METABOOT_BOOT_KERNEL") != "vmlinux":
            return self.vmlinuz
        path = os.path.join(self.root, "vmlinux-" + self.release)
        if not os.path.exists(path):
            with open(self.vmlinuz, "rb") as f:
                data = f.read()
            start = data.find(b"\xfd7zXZ\x00")  # Debian builds with CONFIG_KERNEL_XZ
            if start < 0:
                raise AssertionError("no XZ payload in " + self.vmlinuz)
            elf = lzma.LZMADecompressor().decompress(data[start:])
            tmp = "%s.tmp%d" % (path, os.getpid())
            with open(tmp, "wb") as f:
                f.write(elf)
            os.rename(tmp, path)
        return path


def prepare_kernel():
    package = kernel_package()
    version = candidate(package)
    release = package[len("linux-image-"):]
    root = os.path.join(CACHE, "kernel", "%s_%s" % (package, version))
    stamp = os.path.join(root, ".ready")
    with CacheLock():
        if not os.path.exists(stamp):
            started = time.monotonic()
            shutil.rmtree(root, ignore_errors=True)
            tmp = root + ".tmp"
            shutil.rmtree(tmp, ignore_errors=True)
            os.makedirs(tmp)
            debs, _ = download([package], os.path.join(CACHE, "debs"))
            run(["dpkg", "-x", debs[package], tmp])
            merge_usr(tmp)
            run(["depmod", "-b", os.path.join(tmp, "usr"), release])
            # The .deb is 70 MB and fully unpacked now.
            os.unlink(debs[package])
            os.rename(tmp, root)
            open(stamp, "w").close()
            prune(os.path.dirname(root), keep=os.path.basename(root), prefix="linux-image-")
            log("kernel %s %s downloaded and unpacked in %.1f s" % (package, version, time.monotonic() - started))
    return Kernel(root, release, package, version)


class Tools:
    def __init__(self, root, versions):
        self.root = root
        self.usr = os.path.join(root, "usr")
        self.etc = os.path.join(root, "etc")
        self.versions = versions
        self.key = hashlib.sha256(repr(sorted(versions.items())).encode()).hexdigest()[:12]


def prepare_tree(name, packages):
    """Unpacks packages into one cached tree named after their exact versions."""
    versions = {p: candidate(p) for p in packages}
    key = hashlib.sha256(repr(sorted(versions.items())).encode()).hexdigest()[:12]
    root = os.path.join(CACHE, "%s-%s" % (name, key))
    stamp = os.path.join(root, ".ready")
    with CacheLock():
        if not os.path.exists(stamp):
            started = time.monotonic()
            shutil.rmtree(root, ignore_errors=True)
            tmp = root + ".tmp"
            shutil.rmtree(tmp, ignore_errors=True)
            os.makedirs(tmp)
            debs, _ = download(packages, os.path.join(CACHE, "debs"))
            for package in packages:
                run(["dpkg", "-x", debs[package], tmp])
            merge_usr(tmp)
            os.rename(tmp, root)
            open(stamp, "w").close()
            prune(CACHE, keep=os.path.basename(root), prefix=name + "-")
            log("%s (%s) unpacked in %.1f s" % (name, ", ".join("%s %s" % kv for kv in sorted(versions.items())),
                                                time.monotonic() - started))
    return Tools(root, versions)


def prepare_tools():
    tools = prepare_tree("tools", TOOL_PACKAGES)
    for package, prefix in (("dracut-core", "059"), ("initramfs-tools-core", "0.142")):
        if not tools.versions[package].startswith(prefix):
            log("note: %s is %s, the tests were written against %s" % (package, tools.versions[package], prefix))
    return tools


def prepare_busybox():
    tree = prepare_tree("rootfs", ROOTFS_PACKAGES)
    return os.path.join(tree.usr, "bin", "busybox")


# --- our files, installed by `make install` ---------------------------------

def stage_install(ctx, destdir):
    """`make install DESTDIR=destdir` of the tree under test, without
    rebuilding (-o): the images get exactly what the package would ship."""
    shutil.rmtree(destdir, ignore_errors=True)
    build = ctx.get("build") or os.path.dirname(ctx["binary"])
    if os.path.realpath(os.path.join(build, "metaboot")) != os.path.realpath(ctx["binary"]):
        raise AssertionError("the binary under test (%s) is not %s/metaboot" % (ctx["binary"], build))
    run(["make", "-s", "-C", ctx["root"], "-o", os.path.join(build, "metaboot"), "install",
         "BUILD=" + build, "DESTDIR=" + destdir, "PREFIX=/usr"])
    if not os.access(os.path.join(destdir, "usr", "sbin", "metaboot"), os.X_OK):
        raise AssertionError("make install put no usr/sbin/metaboot into " + destdir)


def tree_digest(root):
    """A digest of every file's path, mode and content under root."""
    h = hashlib.sha256()
    for folder, dirs, files in sorted(os.walk(root)):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(folder, name)
            h.update(("%s %o\n" % (os.path.relpath(path, root), os.stat(path).st_mode)).encode())
            with open(path, "rb") as f:
                h.update(f.read())
    return h.hexdigest()[:16]


# --- initramfs images -----------------------------------------------------

def run_over_host(layers, argv, **kw):
    """Runs argv in a private mount namespace where each {target: [trees]}
    lies over the host's target (/usr, /etc, /boot) as a read-only overlay.

    The overlays have no upper layer: the tools read their own files and the
    host's, and write nowhere in those folders; no other process sees them.
    """
    script = ""
    args = []
    for target, lowers in layers.items():
        args.append(":".join(list(lowers) + [target]))
        script += 'mount -t overlay metaboot-boot -o ro,lowerdir="$%d" %s && ' % (len(args), target)
    script += 'shift %d && exec "$@"' % len(args)
    return run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh"]
               + args + list(argv), **kw)


def layers(kernel, tools, stage):
    # stage (our files) first: the upper lowerdir wins.
    return {"/usr": [stage, tools.usr, kernel.usr], "/etc": [tools.etc], "/boot": [kernel.boot]}


DRACUT_MODULES = "base rootfs-block kernel-modules udev-rules metaboot"
# The same image with systemd as the initramfs's init: the pre-pivot hook is
# then sourced by dracut-pre-pivot.service instead of /init.
DRACUT_SYSTEMD_MODULES = "systemd systemd-initrd dracut-systemd " + DRACUT_MODULES


def build_dracut(out, kernel, tools, stage, workdir, modules=DRACUT_MODULES, drivers=GUEST_DRIVERS):
    confdir = os.path.join(workdir, "dracut.conf.d")
    os.makedirs(confdir, exist_ok=True)
    # --conf/--confdir keep the host's /etc/dracut.conf* out of it. The
    # module list is explicit: --no-hostonly alone would take every module
    # dracut can find (systemd among them, since the host has it).
    argv = ["dracut", "--force", "--quiet", "--no-hostonly", "--no-hostonly-cmdline",
            "--no-early-microcode", "--conf", "/dev/null", "--confdir", confdir,
            "--modules", modules, "--drivers", " ".join(drivers),
            "--tmpdir", workdir, "--kver", kernel.release, out]
    return run_over_host(layers(kernel, tools, stage), argv, env=dict(os.environ, TMPDIR=workdir))


def build_initramfs_tools(out, kernel, tools, stage, workdir):
    confdir = os.path.join(workdir, "initramfs-tools")
    shutil.rmtree(confdir, ignore_errors=True)
    shutil.copytree(os.path.join(tools.etc, "initramfs-tools"), confdir, symlinks=True)
    conf = os.path.join(confdir, "initramfs.conf")
    with open(conf) as f:
        text = f.read()
    # MODULES=most would carry every storage driver of the kernel; the guest
    # needs the few listed in `modules`, which init loads early.
    text = re.sub(r"^MODULES=.*$", "MODULES=list", text, flags=re.M)
    with open(conf, "w") as f:
        f.write(text)
    with open(os.path.join(confdir, "modules"), "a") as f:
        f.write("\n".join(GUEST_DRIVERS) + "\n")
    argv = ["mkinitramfs", "-d", confdir, "-o", out, kernel.release]
    return run_over_host(layers(kernel, tools, stage), argv, env=dict(os.environ, TMPDIR=workdir))


def build_dracut_systemd(out, kernel, tools, stage, workdir):
    return build_dracut(out, kernel, tools, stage, workdir, modules=DRACUT_SYSTEMD_MODULES)


def build_dracut_plain(out, kernel, tools, stage, workdir):
    """An image without metaboot (the root runs it): the NIC driver then
    comes from the harness, as a stock image's udev would load it."""
    return build_dracut(out, kernel, tools, stage, workdir, modules=DRACUT_MODULES.replace(" metaboot", ""),
                        drivers=GUEST_DRIVERS + ("virtio_net",))


BUILDERS = {"dracut": build_dracut, "dracut-systemd": build_dracut_systemd,
            "initramfs-tools": build_initramfs_tools, "dracut-plain": build_dracut_plain}
# What every image of a kind must hold (more with `needed`), and must not.
HOLDS = {"dracut-plain": ("/virtio_net.ko",)}
LACKS = {"dracut-plain": ("usr/sbin/metaboot",)}


def initramfs(kind, ctx, kernel, tools, workdir, extra=None, needed=()):
    """Builds (or reuses from the cache) the image of `kind` holding what
    `make install` installs from the tree under test.

    Keyed by the installed files, the tools and the kernel, so an unchanged
    tree boots the image the last run built. `extra(stage)`, when given, lays
    more files (test-only hooks) over the installed tree before the image is
    built; `needed` names more paths the image must then hold.
    """
    stage = os.path.join(workdir, "destdir-" + kind)
    stage_install(ctx, stage)
    if extra:
        extra(stage)
    # This file holds the build options (modules, drivers, configuration).
    with open(os.path.abspath(__file__), "rb") as f:
        harness = hashlib.sha256(f.read()).hexdigest()[:8]
    key = "%s-%s-%s-%s-%s" % (kind, kernel.release, tools.key, harness, tree_digest(stage))
    images = os.path.join(CACHE, "initrd")
    out = os.path.join(images, key + ".img")
    if os.path.exists(out):
        os.utime(out)
        log("%s image reused from the cache (%s)" % (kind, os.path.basename(out)))
        return out, 0.0
    os.makedirs(images, exist_ok=True)
    tmp = out + ".tmp%d" % os.getpid()
    started = time.monotonic()
    try:
        BUILDERS[kind](tmp, kernel, tools, os.path.join(stage, "usr"), os.path.join(workdir, kind))
        elapsed = time.monotonic() - started
        contents = run(["sh", "-c", listing_command(tmp)]).stdout
        for path in HOLDS.get(kind, ("usr/sbin/metaboot", "/virtio_net.ko", "/ena.ko")) + tuple(needed):
            if path not in contents:
                raise AssertionError("%s image has no %s:\n%s" % (kind, path, contents[-3000:]))
        for path in LACKS.get(kind, ()):
            if path in contents:
                raise AssertionError("%s image has %s" % (kind, path))
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    # Images no run has booted for a day only cost space. (Not "all but this
    # one": runs from other trees share the cache, each with its own image.)
    for name in os.listdir(images):
        path = os.path.join(images, name)
        try:
            if time.time() - os.path.getmtime(path) > 86400:
                os.unlink(path)
        except FileNotFoundError:
            pass
    log("%s image built in %.1f s, %d KiB" % (kind, elapsed, os.path.getsize(out) // 1024))
    return out, elapsed


def listing_command(image):
    # Both tools write one compressed cpio archive here (no early microcode).
    return "(zstd -dc %s 2>/dev/null || gzip -dc %s 2>/dev/null || cat %s) | cpio -it --quiet" % (image, image, image)


# --- the real root --------------------------------------------------------

ROOT_INIT = r"""#!/bin/busybox sh
# /sbin/init of the boot test's root: reports what metaboot left behind at
# switch_root, on the serial console, then powers off.
export PATH=/bin
mount -t proc proc /proc 2>/dev/null
mount -t sysfs sysfs /sys 2>/dev/null
# mbtest.rootmode: an image without metaboot in its initramfs runs it from
# the root's own early boot, through the project's init script.
if grep -qw mbtest.rootmode /proc/cmdline && [ -x /etc/init.d/metaboot ]; then
    /etc/init.d/metaboot start
fi
echo "mbtest: uptime $(cut -d' ' -f1 /proc/uptime)"
echo "mbtest: root-options $(awk '$2 == "/" { o = $4 } END { print o }' /proc/mounts)"
echo "mbtest: dmi $(cat /sys/class/dmi/id/sys_vendor)|$(cat /sys/class/dmi/id/product_name)"
echo "mbtest: ip-begin"
ip -o link show
ip -o -4 addr show
ip -4 route show table all
ip -4 rule show
echo "mbtest: ip-end"
# IPv6 on the NICs, and each NIC's IPv6 settings that metaboot's reach kinds
# may change beside the defaults a new NIC inherits (the teardown must leave
# them equal).
echo "mbtest: ipv6 $(ip -o -6 addr show | grep -v ': lo ' | tr '\n' ' ')|$(ip -6 route show table all | grep -v -e '^local ' -e '^multicast ' -e ' dev lo ' | tr '\n' ' ')"
for d in /proc/sys/net/ipv6/conf/*; do
    echo "mbtest: sysctl6 ${d##*/} $(for k in accept_ra autoconf accept_dad disable_ipv6 addr_gen_mode; do printf '%s=%s ' $k "$(cat $d/$k 2>/dev/null)"; done)"
done
echo "mbtest: state $(ls /run/metaboot 2>/dev/null | tr '\n' ' ')"
echo "mbtest: timings $(cat /run/metaboot/timings.json 2>/dev/null | tr -d '\n')"
echo "mbtest: lease $(cat /run/metaboot/lease.json 2>/dev/null | tr -d '\n')"
echo "mbtest: identity $(grep -o -e '"instance_id": *"[^"]*"' -e '"local_hostname": *"[^"]*"' /run/metaboot/metadata.json 2>/dev/null | tr '\n' ' ')"
# metaboot's kmsg lines, in case the console's log level hid them.
dmesg | grep 'metaboot:' | sed 's/^/mbtest: kmsg /'
if grep -qw mbtest.probe /proc/cmdline; then
    /bin/mbtest-probe
fi
if grep -qw mbtest.lease /proc/cmdline; then
    /bin/mbtest-lease
fi
echo "mbtest: done"
poweroff -f
"""

# With mbtest.probe on the kernel command line, the root's init checks the
# harness's own network side from the guest, without metaboot: a lease with
# options 121 and 26 (busybox udhcpc), then an IMDSv2 token and one key over
# raw HTTP (busybox wget cannot PUT). The address is removed afterwards.
ROOT_PROBE = r"""#!/bin/busybox sh
export PATH=/bin
nic=
for dev in /sys/class/net/*; do
    [ "$(cat $dev/address)" = "%(mac)s" ] && nic=${dev##*/}
done
ip link set "$nic" up
udhcpc -i "$nic" -f -q -n -t 8 -T 2 -O staticroutes -O mtu -s /bin/mbtest-dhcp-script
token=$(printf 'PUT /latest/api/token HTTP/1.0\r\nX-aws-ec2-metadata-token-ttl-seconds: 60\r\n\r\n' \
    | nc %(imds)s 80 | sed -n '$p')
echo "mbtest: probe-token-length ${#token}"
id=$(printf 'GET /latest/meta-data/instance-id HTTP/1.0\r\nX-aws-ec2-metadata-token: %%s\r\n\r\n' "$token" \
    | nc %(imds)s 80 | sed -n '$p')
echo "mbtest: probe-instance-id $id"
ip addr flush dev "$nic"
"""

# With mbtest.lease, the root's init runs `metaboot lease` (the binary is
# copied into the root) on the real NIC, after switch_root: the DHCP client
# over virtio-net and a tap, with its teardown, before the full run exists.
ROOT_LEASE = r"""#!/bin/busybox sh
export PATH=/bin
nic=
for dev in /sys/class/net/*; do
    [ "$(cat $dev/address)" = "%(mac)s" ] && nic=${dev##*/}
done
echo "mbtest: lease-begin"
/usr/sbin/metaboot lease --interface "$nic" --timeout 20 --json
echo "mbtest: lease-rc $?"
echo "mbtest: lease-end"
echo "mbtest: after-lease $(ip -o -4 addr show dev "$nic" | tr '\n' ' ')|$(ip -4 route show dev "$nic" | tr '\n' ' ')"
echo "mbtest: after-lease-link $(ip -o link show dev "$nic")"
"""

ROOT_DHCP_SCRIPT = r"""#!/bin/busybox sh
export PATH=/bin
[ "$1" = bound ] || exit 0
echo "mbtest: probe-lease ip=$ip mask=$mask router=$router mtu=$mtu staticroutes=$staticroutes"
ip addr add "$ip/$mask" dev "$interface"
set -- $staticroutes
while [ $# -ge 2 ]; do
    ip route add "$1" via "$2" dev "$interface"
    shift 2
done
"""

INTERFACES = "# the boot test's ifupdown configuration\nauto lo\niface lo inet loopback\n"

NETPLAN_STUB = "#!/bin/sh\n# stands in for netplan: metaboot only looks for it\nexit 0\n"


def make_rootfs(path, busybox, workdir, binary=None, init_script=None, extra_files=None):
    """extra_files: {relative path: (text, mode)} laid over the tree's own
    (the power-cut test seeds an earlier boot's files this way)."""
    tree = os.path.join(workdir, "rootfs")
    shutil.rmtree(tree, ignore_errors=True)
    for d in ("bin", "dev", "proc", "sys", "run", "tmp", "root", "sbin", "usr/sbin",
              "etc/netplan", "etc/network/interfaces.d"):
        os.makedirs(os.path.join(tree, d))
    shutil.copyfile(busybox, os.path.join(tree, "bin", "busybox"))
    os.chmod(os.path.join(tree, "bin", "busybox"), 0o755)
    for applet in ("sh", "mount", "cut", "awk", "ip", "ls", "tr", "poweroff", "cat", "grep",
                   "udhcpc", "nc", "sed", "printf", "dmesg"):
        os.symlink("busybox", os.path.join(tree, "bin", applet))
    files = {"sbin/init": (ROOT_INIT, 0o755),
             "bin/mbtest-probe": (ROOT_PROBE % {"mac": GUEST_MAC, "imds": IMDS}, 0o755),
             "bin/mbtest-dhcp-script": (ROOT_DHCP_SCRIPT, 0o755),
             "bin/mbtest-lease": (ROOT_LEASE % {"mac": GUEST_MAC}, 0o755),
             "usr/sbin/netplan": (NETPLAN_STUB, 0o755),
             "etc/network/interfaces": (INTERFACES, 0o644),
             "etc/os-release": ('PRETTY_NAME="metaboot boot test root"\nID=debian\n', 0o644)}
    files.update(extra_files or {})
    for rel, (text, mode) in files.items():
        with open(os.path.join(tree, rel), "w") as f:
            f.write(text)
        os.chmod(os.path.join(tree, rel), mode)
    if binary:
        shutil.copyfile(binary, os.path.join(tree, "usr", "sbin", "metaboot"))
        os.chmod(os.path.join(tree, "usr", "sbin", "metaboot"), 0o755)
    if init_script:
        os.makedirs(os.path.join(tree, "etc", "init.d"))
        shutil.copyfile(init_script, os.path.join(tree, "etc", "init.d", "metaboot"))
        os.chmod(os.path.join(tree, "etc", "init.d", "metaboot"), 0o755)
    if os.path.exists(path):
        os.unlink(path)
    run(["mke2fs", "-q", "-F", "-t", "ext4", "-L", "mbroot", "-d", tree, path, "32M"])


def read_image_file(image, path):
    """The file's bytes from the ext4 image, or None when it is not there."""
    stat = run(["debugfs", "-R", "stat /" + path, image], check=False)
    if "File not found" in stat.stderr or stat.returncode != 0 or "Inode:" not in stat.stdout:
        return None
    proc = subprocess.run(["debugfs", "-R", "cat /" + path, image], capture_output=True)
    return proc.stdout


def image_mode(image, path):
    """The permission bits of a file in the ext4 image, as debugfs shows them."""
    out = run(["debugfs", "-R", "stat /" + path, image], check=False).stdout
    match = re.search(r"Mode:\s+(\d+)", out)
    return int(match.group(1), 8) & 0o7777 if match else None


def fsck(image):
    return run(["e2fsck", "-fn", image], check=False)


# --- networks -------------------------------------------------------------

def emulator_path(repo_root):
    """The project's metadata emulator, or the one METABOOT_IMDS_EMULATOR names."""
    path = os.environ.get("METABOOT_IMDS_EMULATOR") or os.path.join(repo_root, "tests", "tools", "imds_emulator.py")
    if not os.path.exists(path):
        raise AssertionError("no metadata emulator at " + path)
    return path


def metadata_server_argv(repo_root, address, port, macs, guest, log, nics=1):
    """The emulator with IMDSv2 tokens required. It numbers NIC i's addresses
    198.18.i.N (primary) and 198.18.0.N+1 (a secondary on the first NIC): N
    is the host part of the address dnsmasq gives the guest on the tap network."""
    return [sys.executable, emulator_path(repo_root), "--bind", address, "--port", str(port),
            "--tokens", "required", "--nics", str(nics), "--macs", macs,
            "--ipv4-host", guest.rsplit(".", 1)[1], "--log", log]


def emulator_secondary(guest):
    """The secondary IPv4 the emulator lists for the first NIC."""
    return "198.18.0.%d" % (int(guest.rsplit(".", 1)[1]) + 1)


def metadata_requests(log):
    """The emulator's request log (one JSON object a line)."""
    with open(log) as f:
        return [json.loads(line) for line in f if line.strip()]


class TapNetwork:
    """A test namespace holding the guest's tap devices, dnsmasq and the
    metadata service, like a cloud's host side. QEMU runs in it too, so the
    taps never exist in the host's namespace.

    NIC i is tap<i> on 198.18.i.0/24 (server .1, guest .10, as the emulator
    numbers its NICs); the metadata service sits on tap0's side, and every
    subnet's option 121 routes 169.254.169.254 through its own server.
    """

    def __init__(self, ctx, workdir, metadata=True, nics=1, gce=None, dhcp_extra=(), emulator_extra=(),
                 dhcp=True, service=IMDS + "/32", classless=None, radvd_prefix=None, seed_dir=None):
        """gce: GCE's DHCP answer instead (a /32, the gateway on-link in
        option 121, MTU 1460) and the emulator's GCE settings (a dict).
        dhcp_extra: more dnsmasq arguments (Azure's option 245).
        emulator_extra: more emulator arguments (DigitalOcean's and
        UpCloud's --metadata-v1).
        The reach kinds' boots (issue 14): dhcp=False runs no DHCP server;
        service: the metadata service's address/prefix on tap0, which the
        emulator listens on (169.254.169.254/16 puts it on the guest's
        link-local subnet; an IPv6 one too, fe80:: bound with tap0's zone);
        classless: option 121's value for every NIC instead of the service
        host route plus the default; radvd_prefix: radvd advertises this
        prefix on tap0 (forwarding on, so it is a default router).
        seed_dir: a NoCloud seed folder served by Python's http.server at
        http://198.18.0.1:8000/ (its request log is seed_log)."""
        self.metadata = metadata
        self.secondary = emulator_secondary(TAP_GUEST)
        self.macs = guest_macs(nics)
        self.topo = netns.Topology(nics=0)
        try:
            self.ns = self.topo.server
            dhcp = []
            for i, mac in enumerate(self.macs):
                tap, server = "tap%d" % i, "198.18.%d.1" % i
                self.ns.run(["ip", "tuntap", "add", "dev", tap, "mode", "tap"])
                self.ns.run(["ip", "addr", "add", server + "/24", "dev", tap])
                self.ns.run(["ip", "link", "set", tap, "up"])
                dhcp += [
                    "--interface=" + tap,
                    "--dhcp-range=set:n%d,198.18.%d.50,198.18.%d.150,255.255.255.0,10m" % (i, i, i),
                    "--dhcp-host=%s,198.18.%d.10" % (mac, i),
                    "--dhcp-option=tag:n%d,option:router,%s" % (i, server),
                    # RFC 3442: a host route to the metadata service plus the default.
                    "--dhcp-option=tag:n%d,option:classless-static-route,%s"
                    % (i, classless or "%s/32,%s,0.0.0.0/0,%s" % (IMDS, server, server)),
                ] if gce is None else [
                    "--interface=" + tap,
                    "--dhcp-range=set:n%d,198.18.%d.50,198.18.%d.150,255.255.255.0,10m" % (i, i, i),
                    "--dhcp-host=%s,198.18.%d.10" % (mac, i),
                    "--dhcp-option=tag:n%d,option:netmask,255.255.255.255" % i,
                    "--dhcp-option=tag:n%d,option:router,%s" % (i, server),
                    "--dhcp-option=tag:n%d,option:classless-static-route,%s/32,0.0.0.0,0.0.0.0/0,%s" % (i, server, server),
                ]
            address = service.split("/")[0]
            self.ns.run(["ip", "addr", "add", service, "dev", "tap0"] + (["nodad"] if ":" in service else []))
            if radvd_prefix:
                self.ns.run(["sysctl", "-qw", "net.ipv6.conf.all.forwarding=1"])
                conf = os.path.join(workdir, "radvd.conf")
                with open(conf, "w") as f:
                    f.write("interface tap0 {\n  AdvSendAdvert on;\n  prefix %s {\n  };\n};\n" % radvd_prefix)
                self.ns.popen([RADVD, "--nodaemon", "-C", conf, "-p", os.path.join(workdir, "radvd.pid"), "-m", "stderr"])
            self.dnsmasq_log = os.path.join(workdir, "dnsmasq.log")
            self.dhcp = dhcp
            self.ns.popen([
                "/usr/sbin/dnsmasq", "--no-daemon", "--no-ping", "--conf-file=/dev/null",
                "--port=0", "--bind-interfaces", "--dhcp-authoritative",
                "--pid-file=" + os.path.join(workdir, "dnsmasq.pid"),
                "--dhcp-leasefile=" + os.path.join(workdir, "dnsmasq.leases"),
                "--dhcp-option=option:mtu,%d" % (9001 if gce is None else 1460),
                "--log-dhcp", "--log-facility=" + self.dnsmasq_log,
            ] + dhcp + list(dhcp_extra)) if self.dhcp else None
            if seed_dir:
                self.seed_log = os.path.join(workdir, "seed-requests.log")
                with open(self.seed_log, "w") as log_file:
                    self.ns.popen([sys.executable, "-m", "http.server", "--bind", "198.18.0.1", "--directory", seed_dir, "8000"],
                                  stderr=log_file)
                netns.wait_port(self.ns, "198.18.0.1", 8000, timeout=20)
            if metadata:
                self.imds_log = open(os.path.join(workdir, "imds.log"), "w")
                self.requests_log = os.path.join(workdir, "imds-requests.jsonl")
                bind = address + ("%tap0" if address.startswith("fe80:") else "")
                self.ns.popen(metadata_server_argv(ctx["root"], bind, 80, ",".join(self.macs), TAP_GUEST,
                                                   self.requests_log, nics=nics)
                              + ([] if gce is None else ["--gce", json.dumps(gce)]) + list(emulator_extra),
                              stdout=self.imds_log, stderr=subprocess.STDOUT)
                netns.wait_port(self.ns, "[%s]" % address if ":" in address else address, 80, timeout=20)
        except BaseException:
            self.close()
            raise

    def qemu_args(self):
        args = []
        for i, mac in enumerate(self.macs):
            args += ["-netdev", "tap,id=n%d,ifname=tap%d,script=no,downscript=no" % (i, i),
                     "-device", "virtio-net-pci,netdev=n%d,mac=%s" % (i, mac)]
        return args

    def close(self):
        self.topo.close()
        if getattr(self, "imds_log", None):
            self.imds_log.close()


def guest_macs(count):
    """GUEST_MAC, then 52:54:00:12:34:57, ..."""
    base = int(GUEST_MAC.replace(":", ""), 16)
    return [":".join(re.findall("..", "%012x" % (base + i))) for i in range(count)]


class UserNetwork:
    """QEMU's own user-mode network, a second, different DHCP server. Its
    guest-facing net must be 169.254.0.0/16 for the metadata address to be
    on-link; guestfwd hands each connection to 169.254.169.254:80 to a
    busybox nc that reaches the metadata service on the namespace's loopback."""

    PORT = 8169

    def __init__(self, ctx, workdir):
        self.metadata = True
        self.secondary = emulator_secondary(USERNET_GUEST)
        self.topo = netns.Topology(nics=0)
        try:
            self.ns = self.topo.server
            self.imds_log = open(os.path.join(workdir, "imds.log"), "w")
            self.requests_log = os.path.join(workdir, "imds-requests.jsonl")
            self.ns.popen(metadata_server_argv(ctx["root"], "127.0.0.1", self.PORT, GUEST_MAC,
                                               USERNET_GUEST, self.requests_log),
                          stdout=self.imds_log, stderr=subprocess.STDOUT)
            netns.wait_port(self.ns, "127.0.0.1", self.PORT, timeout=20)
        except BaseException:
            self.close()
            raise

    def qemu_args(self):
        return ["-netdev", "user,id=n0,net=%s,guestfwd=tcp:%s:80-cmd:busybox nc 127.0.0.1 %d"
                % (USERNET_SUBNET, IMDS, self.PORT),
                "-device", "virtio-net-pci,netdev=n0,mac=" + GUEST_MAC]

    def close(self):
        self.topo.close()
        self.imds_log.close()


# --- booting --------------------------------------------------------------

# What EC2 Nitro instances report over DMI (/sys/class/dmi/id), so platform
# detection sees a cloud without rd.metaboot.provider.
# What OpenStack Nova guests report (cloud-init's DataSourceOpenStack reads the
# same product name and chassis asset tag).
OPENSTACK_SMBIOS = ("-smbios", "type=1,manufacturer=OpenStack Foundation,product=OpenStack Nova,version=27.1.0",
                    "-smbios", "type=3,manufacturer=QEMU,asset=OpenStack Nova")

# GCE's DMI: product name, and the serial ds-identify also accepts.
GCE_SMBIOS = ("-smbios", "type=0,vendor=Google,version=Google",
              "-smbios", "type=1,manufacturer=Google,product=Google Compute Engine,"
                         "serial=GoogleCloud-0B0075C0FFEE0000B0075C0FFEE00000")

# What Azure VMs report: Hyper-V's vendor and product, and the chassis asset
# tag cloud-init (and metaboot) recognise Azure by.
AZURE_SMBIOS = ("-smbios", "type=1,manufacturer=Microsoft Corporation,product=Virtual Machine,version=7.0",
                "-smbios", "type=3,manufacturer=Microsoft Corporation,asset=7783-7084-3265-9085-8269-3286-77")

# DigitalOcean's vendor and the droplet id as the serial (cloud-init's
# read_sysinfo() needs both); UpCloud's vendor and the server's UUID.
DIGITALOCEAN_SMBIOS = ("-smbios", "type=1,manufacturer=DigitalOcean,product=Droplet,serial=2756294")
# cloud-init's NoCloud reads its seed from the system serial as from the
# kernel command line.
NOCLOUD_SEED = "http://198.18.0.1:8000/seed/"
NOCLOUD_SMBIOS = ("-smbios", "type=1,manufacturer=QEMU,product=Standard PC,serial=ds=nocloud;i=iid-from-serial;s=" + NOCLOUD_SEED)
UPCLOUD_SMBIOS = ("-smbios", "type=1,manufacturer=UpCloud,product=Cloud Server,uuid=00322b68-0096-4042-9406-faad61922128")

EC2_SMBIOS = ("-smbios", "type=0,vendor=Amazon EC2,version=1.0",
              "-smbios", "type=1,manufacturer=Amazon EC2,product=t3.micro,serial=ec2b0075-0000-0000-0000-000000000000,"
                         "uuid=ec2b0075-0000-0000-0000-000000000000",
              "-smbios", "type=3,manufacturer=Amazon EC2,asset=i-0b007500000000000")


class Boot:
    def __init__(self, console, seconds, returncode):
        self.console = console
        self.seconds = seconds
        self.returncode = returncode
        self.lines = [l.rstrip("\r") for l in console.split("\n")]
        self.first_output = None  # host seconds from QEMU's start to the first console byte

    def marks(self, name):
        prefix = "%s %s" % (MARK, name)
        return [l[len(prefix):].strip() for l in self.lines if l.startswith(prefix)]

    def mark(self, name):
        found = self.marks(name)
        return found[0] if found else None

    @property
    def uptime(self):
        """Seconds from kernel start to the real root's init, by the guest's clock."""
        value = self.mark("uptime")
        return float(value) if value else None

    def printk_time(self, pattern):
        """The guest's printk timestamp of the first kernel line matching pattern."""
        for line in self.lines:
            match = re.match(r"^\[\s*(\d+\.\d+)\]\s+(.*)$", line)
            if match and re.search(pattern, match.group(2)):
                return float(match.group(1))
        return None

    def phases(self):
        """The guest-clock phases as numbers (None where the console lacks them)."""
        initramfs = self.printk_time(r"^Run /init as init process")
        root = self.uptime
        return {"kernel_s": initramfs,
                "initramfs_s": round(root - initramfs, 2) if initramfs is not None and root is not None else None,
                "switch_root_s": root}

    def timeline(self):
        """Guest-clock phases: kernel start -> initramfs /init -> the real root's init."""
        initramfs = self.printk_time(r"^Run /init as init process")
        root = self.uptime
        parts = ["kernel %.2f s" % initramfs if initramfs is not None else "kernel ?"]
        if initramfs is not None and root is not None:
            parts.append("initramfs %.2f s" % (root - initramfs))
        parts.append("switch_root at %s s" % ("%.2f" % root if root is not None else "?"))
        return ", ".join(parts)

    def metaboot_lines(self):
        return [l for l in self.lines if re.search(r"(^|\] |: )metaboot: ", l)]

    def summary(self):
        """metaboot's last `... N ms` line as the console showed it (not the
        root's dmesg copy, which only helps when reading a failure)."""
        lines = [l for l in self.metaboot_lines() if re.search(r"\d+ ?ms\b", l) and not l.startswith(MARK)]
        return lines[-1] if lines else None

    def hook_warning(self):
        return [l for l in self.lines if "metaboot exited with status" in l]

    def section(self, name):
        try:
            start = self.lines.index("%s %s-begin" % (MARK, name))
            end = self.lines.index("%s %s-end" % (MARK, name))
        except ValueError:
            return None
        return self.lines[start + 1:end]

    def ip_section(self):
        try:
            start = self.lines.index("%s ip-begin" % MARK)
            end = self.lines.index("%s ip-end" % MARK)
        except ValueError:
            return None
        return self.lines[start + 1:end]

    def nic_name(self, mac):
        for line in self.ip_section() or []:
            match = re.match(r"^\d+:\s+([^:@\s]+)[:@].*link/ether %s" % re.escape(mac), line)
            if match:
                return match.group(1)
        return None

    def nic_ipv4(self):
        """IPv4 addresses on anything but lo at switch_root."""
        section = self.ip_section() or []
        return [l for l in section if " inet " in l and not re.match(r"^\d+:\s+lo\s", l)]

    def ipv6(self):
        """(addresses, routes): IPv6 on anything but lo, and the routes
        beyond local and multicast ones, at switch_root."""
        text = self.mark("ipv6") or "|"
        addresses, _, routes = text.partition("|")
        return addresses.strip(), routes.strip()

    def sysctl6(self):
        """{interface: "accept_ra=N autoconf=N ..."} at switch_root."""
        found = {}
        for line in self.marks("sysctl6"):
            name, _, values = line.partition(" ")
            found[name] = values.strip()
        return found

    def nic_up(self, nic):
        for line in self.ip_section() or []:
            match = re.match(r"^\d+:\s+%s[:@]\s+<([^>]*)>" % re.escape(nic), line)
            if match:
                return "UP" in match.group(1).split(",")
        return False

    def nic_routes(self, nic):
        return [l for l in self.ip_section() or [] if re.search(r"\bdev %s\b" % re.escape(nic), l)]

    def extra_rules(self):
        """Policy rules beyond the kernel's three defaults."""
        rules = [l for l in self.ip_section() or [] if re.match(r"^\d+:\s+from ", l)]
        defaults = ("0:", "32766:", "32767:")
        return [l for l in rules if not l.startswith(defaults)]

    def tail(self, n=60):
        return "\n".join(self.lines[-n:])


def qemu_argv(kernel, initrd, rootimg, cmdline, network, console, smbios=(), drive="", memory=512):
    """drive: more -drive options for the root disk (",cache=writeback")."""
    return ["qemu-system-x86_64", "-M", "pc", "-accel", "tcg", "-m", str(memory), "-smp", "1",
            "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
            "-serial", "file:" + console,
            "-kernel", kernel.image(), "-initrd", initrd, "-append", cmdline,
            "-drive", "file=%s,if=virtio,format=raw%s" % (rootimg, drive)] + network.qemu_args() + list(smbios)


def boot(kernel, initrd, rootimg, cmdline, network, workdir, smbios=(), name="guest", drive="", memory=512,
         timeout=BOOT_TIMEOUT, nice=0):
    """timeout: seconds before QEMU is stopped; nice: QEMU's niceness (a full
    systemd boot under TCG competes with whatever else the machine runs)."""
    console = os.path.join(workdir, name + ".console")
    if os.path.exists(console):
        os.unlink(console)
    argv = qemu_argv(kernel, initrd, rootimg, cmdline, network, console, smbios, drive=drive, memory=memory)
    if nice:
        argv = ["nice", "-n", str(nice)] + argv
    qemu_log = open(os.path.join(workdir, name + ".qemu.log"), "w")
    started = time.monotonic()
    try:
        proc = network.ns.popen(argv, stdout=qemu_log, stderr=subprocess.STDOUT)
        # Polls the console to time, from the host, what the guest's clock
        # cannot see: QEMU, firmware and kernel decompression before printk's 0.
        first_output = None
        while True:
            try:
                rc = proc.wait(0.1)
                break
            except subprocess.TimeoutExpired:
                pass
            if first_output is None and os.path.exists(console) and os.path.getsize(console) > 0:
                first_output = time.monotonic() - started
            if time.monotonic() - started > timeout:
                network.topo.stop(proc)
                rc = None
                break
    finally:
        qemu_log.close()
    seconds = time.monotonic() - started
    with open(console, errors="replace") as f:
        text = f.read()
    with open(os.path.join(workdir, name + ".qemu.log")) as f:
        qemu_text = f.read().strip()
    if rc is None:
        raise AssertionError("%s did not power off within %.0f s; console tail:\n%s"
                             % (name, timeout, Boot(text, seconds, rc).tail()))
    if rc != 0:
        raise AssertionError("qemu exited %s: %s\n%s" % (rc, qemu_text, Boot(text, seconds, rc).tail()))
    result = Boot(text, seconds, rc)
    result.first_output = first_output
    return result


def cmdline(kind, extra=()):
    # panic=-1 with -no-reboot turns a kernel panic into QEMU exiting; dracut
    # would otherwise wait in an emergency shell forever.
    # The test root has netplan and ifupdown installed and no systemd, where
    # metaboot would write netplan alone (one stack per root): the boot tests
    # read both formats back, so they ask for both.
    args = ["console=ttyS0", "root=/dev/vda", "ro", "panic=-1", "printk.time=1", "rd.metaboot.output=netplan,ifupdown"]
    if kind.startswith("dracut"):
        args += ["rd.shell=0", "rd.emergency=poweroff"]
    return " ".join(args + list(extra))


class Workdir:
    """A scratch folder for one test; kept when METABOOT_KEEP_BOOT=1."""

    def __enter__(self):
        self.path = tempfile.mkdtemp(prefix="metaboot-boot-")
        return self.path

    def __exit__(self, exc_type, *exc):
        if os.environ.get("METABOOT_KEEP_BOOT") == "1" or exc_type is not None and os.environ.get("METABOOT_KEEP_FAILED") == "1":
            log("kept " + self.path)
        else:
            shutil.rmtree(self.path, ignore_errors=True)
        return False
