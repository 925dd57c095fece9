"""Real Debian 12 roots for the boot tests (issue 17): systemd, udev and one
network stack, with metaboot installed from the project's .deb and the
initramfs built by the root's own initramfs-tools, or, in the `dracut` root,
by its own dracut (Debian 12's 059, systemd in the initramfs).

An image is made in three cached steps, under ${XDG_CACHE_HOME:-~/.cache}/metaboot/boot/:
1. `mmdebstrap` of bookworm from Debian's archive to a tarball, named by a
   hash of its command line (the package list and the setup hooks);
2. the tarball unpacked, the .deb installed with `dpkg -i` in a chroot with
   its own tmpfs /dev, its own /proc and no network (the update-initramfs
   trigger, which initramfs-tools and Debian's dracut both answer, rebuilds
   the image; a chroot sharing the host's /dev would let the initramfs
   build look at the host's disks), the image listed (lsinitramfs or
   lsinitrd) for what metaboot's hook or module must have put in, the test
   unit laid in;
3. the root's own vmlinuz and initrd.img copied out, and the tree made into an
   ext4 image with `mke2fs -d`. Steps 2-3 are named by the tarball, a digest
   of what `make install` installs (the .deb ships the same files; the .deb
   is built only when that key misses) and a digest of what this file lays
   into the root.

The images carry no network configuration of their own: the only network
configuration in them at boot is what metaboot writes. Booted with QEMU's
`-snapshot`, the cached image is never written.
"""
import base64
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "package"))
import bootlib  # noqa: E402
from bootlib import log  # noqa: E402

MIRROR = "http://deb.debian.org/debian"
SUITE = "bookworm"

# Every image: an init, udev in the real root (it renames the NICs), the
# tools the test unit uses, and a kernel whose initramfs the root builds.
BASE_PACKAGES = ("systemd-sysv", "udev", "dbus", "iproute2", "curl", "ca-certificates", "linux-image-amd64")
STACKS = {
    # netplan.io's generator turns netplan's YAML into systemd-networkd files at boot.
    "netplan": ("netplan.io",),
    # networking.service runs `ifup -a`; dhclient takes the leases.
    "ifupdown": ("ifupdown", "isc-dhcp-client"),
    # The netplan root again, its initramfs built by Debian 12's dracut (059,
    # systemd as the initramfs's init) instead of initramfs-tools: udev in
    # that initramfs names the NICs from what our dracut module carries.
    "dracut": ("netplan.io",),
    # NetworkManager alone (no netplan): metaboot writes its keyfiles.
    "networkmanager": ("network-manager",),
    # The comparison (bench/, not make test): the netplan root with Debian's
    # own cloud-init instead of metaboot. Its EC2 datasource takes its
    # sandboxed lease with dhclient.
    "cloud-init": ("netplan.io", "cloud-init", "isc-dhcp-client"),
}
# Roots that get metaboot's .deb; the others boot without it.
WITH_METABOOT = ("netplan", "ifupdown", "dracut", "networkmanager")
# Which output metaboot must choose on each root (README, "Output formats":
# one stack per root, the first of netplan, NetworkManager, ifupdown,
# networkd that is installed and enabled).
OUTPUT = {"netplan": "netplan", "ifupdown": "ifupdown", "dracut": "netplan", "networkmanager": "networkmanager"}
# cloud-init's datasource, as the issue asks: EC2 only, no probing of others.
CLOUD_CFG = "datasource_list: [ Ec2 ]\n"

# The initramfs builder of each root. Debian 12's dracut conflicts with
# initramfs-tools and answers the same `update-initramfs` dpkg trigger (its
# postinst runs /etc/kernel/postinst.d/dracut for each kernel).
DRACUT_STACKS = ("dracut",)


def initramfs_tool(stack):
    return "dracut" if stack in DRACUT_STACKS else "initramfs-tools"


# Written before any package is installed, so every image the root ever
# builds is built so: the image gets the modules the hooks ask for and the
# three the root needs on QEMU's `pc` machine, not every storage driver
# (35 MB, and a slower boot under TCG). The NIC driver is not listed:
# metaboot's hook or dracut module must bring it.
# initramfs-tools: MODULES=list and a modules.d list.
SETUP_HOOK = ('mkdir -p "$1/etc/initramfs-tools/conf.d" "$1/usr/share/initramfs-tools/modules.d"'
              ' && echo MODULES=list > "$1/etc/initramfs-tools/conf.d/mbtest-modules-list"'
              ' && printf "%s\\n" ' + " ".join(bootlib.GUEST_DRIVERS)
              + ' > "$1/usr/share/initramfs-tools/modules.d/mbtest"')
# dracut: `drivers` is its exclusive list (the kernel-modules module's own
# block, USB and HID drivers are then left out; other modules' instmods, ours
# among them, still add theirs). hostonly=no, Debian's default said out loud:
# a host-only build in the build chroot would describe the build host.
DRACUT_CONF = 'hostonly="no"\ndrivers+=" %s "\n' % " ".join(bootlib.GUEST_DRIVERS)
DRACUT_SETUP_HOOK = ('mkdir -p "$1/etc/dracut.conf.d" && printf \'%s\' > "$1/etc/dracut.conf.d/50-mbtest.conf"'
                     % DRACUT_CONF.replace("\n", "\\n"))


class Lock(bootlib.CacheLock):
    """One builder of full roots at a time; a lock of its own, so the
    minutes an image takes never hold up the other boot tests' cache."""

    def __enter__(self):
        os.makedirs(bootlib.CACHE, exist_ok=True)
        self.fd = os.open(os.path.join(bootlib.CACHE, ".fullroot-lock"), os.O_CREAT | os.O_RDWR, 0o644)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self


def mmdebstrap_argv(stack, out):
    packages = BASE_PACKAGES + (initramfs_tool(stack),) + STACKS[stack]
    hook = DRACUT_SETUP_HOOK if initramfs_tool(stack) == "dracut" else SETUP_HOOK
    return ["mmdebstrap", "--variant=minbase", "--format=tar", "--include=" + ",".join(packages),
            "--setup-hook=" + hook, SUITE, out, MIRROR]


def digest(data):
    return hashlib.sha256(data if isinstance(data, bytes) else data.encode()).hexdigest()[:12]


def require_tools():
    missing = [t for t in ("mmdebstrap", "dpkg-buildpackage", "mke2fs", "unshare", "qemu-system-x86_64")
               if not shutil.which(t)]
    if missing:
        raise AssertionError("missing %s (scripts/install-test-packages.sh installs them)" % ", ".join(missing))


def base_tarball(stack):
    """The cached mmdebstrap tarball of the stack's root."""
    key = digest("\0".join(mmdebstrap_argv(stack, "-")))
    tarball = os.path.join(bootlib.CACHE, "fullroot-%s-%s.tar" % (stack, key))
    with Lock():
        if not os.path.exists(tarball):
            started = time.monotonic()
            partial = tarball + ".part"
            # stdin closed: mmdebstrap reads sources.list lines from a stdin that is not a terminal.
            argv = ["nice", "-n", "10"] + mmdebstrap_argv(stack, partial)
            proc = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True)
            if proc.returncode != 0:
                if os.path.exists(partial):
                    os.unlink(partial)
                raise AssertionError("mmdebstrap exited %d\n%s" % (proc.returncode, proc.stderr[-6000:]))
            os.rename(partial, tarball)
            for name in os.listdir(bootlib.CACHE):
                if name.startswith("fullroot-%s-" % stack) and name.endswith(".tar") and name != os.path.basename(tarball):
                    os.unlink(os.path.join(bootlib.CACHE, name))
            log("fullroot %s: mmdebstrap %.0f s, %d MiB" % (stack, time.monotonic() - started,
                                                            os.path.getsize(tarball) >> 20))
    return tarball


# The test unit: after network-online.target, what the real root sees goes to
# the serial console as `mbtest:` lines, then the machine powers off. Type=simple
# so multi-user.target (and so the boot, for systemd-analyze) does not wait for it.
TEST_UNIT = """[Unit]
Description=metaboot full-root boot test report
Wants=network-online.target
After=network-online.target

[Service]
Type=simple
ExecStart=/usr/local/sbin/mbtest-report
StandardOutput=null
StandardError=null

[Install]
WantedBy=multi-user.target
"""

# Addresses the report uses: the second NIC's (198.18.1.N, as the emulator
# numbers it), its subnet's server and a host beyond it (198.19.0.1, on the
# server namespace's loopback, reached only through a gateway).
SECOND_NIC_ADDRESS = "198.18.1.%s" % bootlib.TAP_GUEST.rsplit(".", 1)[1]
SUBNET_HOST = "198.18.1.1"
REMOTE_HOST = "198.19.0.1"
HTTP_PORT = 8080

TEST_SCRIPT = r"""#!/bin/bash
# Reports what the real root sees once the network is online (see fullroot.py).
exec >/dev/ttyS0 2>&1
m() { echo "mbtest: $*"; }
m begin $(cut -d' ' -f1 /proc/uptime)
m uptime-at-start $(cut -d' ' -f1 /proc/uptime)
m network-online $(systemctl show -P ActiveState network-online.target)
m links $(ls /sys/class/net | tr '\n' ' ')
for nic in /sys/class/net/*; do m mac ${nic##*/} $(cat $nic/address); done
m ip-addr $(ip -j addr show)
m ip-route $(ip -j -4 route show table all)
m ip-rule $(ip -j -4 rule show)
m route-get-remote $(ip -o route get %(remote)s from %(second)s)
for f in /etc/netplan/*.yaml /etc/network/interfaces /etc/network/interfaces.d/* /etc/systemd/network/* \
         /etc/NetworkManager/system-connections/*; do
    [ -f "$f" ] && m file "$f" $(base64 -w0 "$f")
done
m metaboot-state $(ls /run/metaboot 2>/dev/null | tr '\n' ' ')
token=$(curl -sS --max-time 10 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' http://169.254.169.254/latest/api/token)
m imds-token-length ${#token}
m imds-instance-id $(curl -sS --max-time 10 -H "X-aws-ec2-metadata-token: $token" http://169.254.169.254/latest/meta-data/instance-id)
# Azure's and GCE's services with their own headers (the Azure and GCE boots).
m azure-vmid $(curl -sS --max-time 10 -H 'Metadata: true' 'http://169.254.169.254/metadata/instance?api-version=2021-08-01' | grep -o '"vmId": *"[^"]*"')
m gce-id $(curl -sS --max-time 10 -H 'Metadata-Flavor: Google' http://169.254.169.254/computeMetadata/v1/instance/id)
m http-subnet $(curl -sS --max-time 10 --interface %(second)s http://%(subnet)s:%(port)d/mbtest 2>&1)
m http-remote $(curl -sS --max-time 10 --interface %(second)s http://%(remote)s:%(port)d/mbtest 2>&1)
m system-state $(systemctl is-system-running --wait)
m uptime-at-report $(cut -d' ' -f1 /proc/uptime)
m analyze $(systemd-analyze)
for unit in network-online.target mbtest.service systemd-networkd.service networking.service systemd-networkd-wait-online.service \
            ifupdown-wait-online.service NetworkManager.service NetworkManager-wait-online.service; do
    m unit $unit $(systemctl show -P ActiveEnterTimestampMonotonic $unit) $(systemctl show -P ActiveState $unit)
done
m userspace $(systemctl show -P UserspaceTimestampMonotonic) $(systemctl show -P FinishTimestampMonotonic)
m failed $(systemctl list-units --failed --plain --no-legend | cut -d' ' -f1 | tr '\n' ' ')
# The control: without the second address's policy rule the same request
# leaves by the first NIC and the server's reverse-path filter drops it.
rule=$(ip -4 rule show | grep -m1 "from %(second)s ")
if [ -n "$rule" ]; then
    priority=${rule%%%%:*}
    table=$(echo "$rule" | sed -n 's/.* lookup \([^ ]*\).*/\1/p')
    ip -4 rule del priority "$priority"
    m http-remote-without-rule $(curl -sS --max-time 5 --interface %(second)s http://%(remote)s:%(port)d/mbtest 2>&1 | head -c 200)
    ip -4 rule add from %(second)s table "$table" priority "$priority"
fi
journalctl -b --no-pager -o short-monotonic -u systemd-networkd -u networking -u ifupdown-wait-online \
    -u systemd-networkd-wait-online -u NetworkManager -u NetworkManager-wait-online 2>&1 | tail -n 40 | sed 's/^/mbtest: journal /'
m done
systemctl poweroff
""" % {"remote": REMOTE_HOST, "second": SECOND_NIC_ADDRESS, "subnet": SUBNET_HOST, "port": HTTP_PORT}

# Bumped when build_image or customize change what they make.
IMAGE_FORMAT = "5"
FSTAB = "/dev/vda / ext4 defaults 0 1\n"
# A fixed id: an empty or "uninitialized" machine-id makes this the first
# boot, and systemd-firstboot would ask questions on the console.
MACHINE_ID = "0b0075ce11f00d0000000000000b0075\n"


def write(tree, rel, text, mode=0o644):
    path = os.path.join(tree, rel.lstrip("/"))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if os.path.lexists(path):
        os.unlink(path)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def symlink(tree, rel, target):
    path = os.path.join(tree, rel.lstrip("/"))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if os.path.lexists(path):
        os.unlink(path)
    os.symlink(target, path)


class Image:
    def __init__(self, folder, stack):
        self.folder = folder
        self.stack = stack
        self.rootimg = os.path.join(folder, "root.img")
        self.initrd = os.path.join(folder, "initrd.img")
        self.vmlinuz = os.path.join(folder, "vmlinuz")

    def image(self):
        """What QEMU's -kernel gets (bootlib.qemu_argv's kernel object)."""
        return self.vmlinuz


def package_key(ctx, workdir):
    """What the .deb installs, as a digest: `make install` of the tree under
    test (the .deb's binary is byte for byte the one `make` builds) and the
    packaging itself."""
    stage = os.path.join(workdir, "destdir-fullroot")
    bootlib.stage_install(ctx, stage)
    h = hashlib.sha256(bootlib.tree_digest(stage).encode())
    h.update(bootlib.tree_digest(os.path.join(ctx["root"], "debian")).encode())
    shutil.rmtree(stage, ignore_errors=True)
    return h.hexdigest()[:12]


def cached_deb(key):
    """The project's .deb, built by the package suite's dpkg-buildpackage
    once per package key and kept beside the images."""
    import test_package
    path = os.path.join(bootlib.CACHE, "fullroot-metaboot-%s.deb" % key)
    if not os.path.exists(path):
        built = test_package.build_deb()
        shutil.copy(built, path + ".part")
        os.rename(path + ".part", path)
        test_package.test_zz_cleanup()
        for name in os.listdir(bootlib.CACHE):
            if name.startswith("fullroot-metaboot-") and name != os.path.basename(path):
                os.unlink(os.path.join(bootlib.CACHE, name))
    return path


def build_image(ctx, stack, workdir):
    """The cached image of the stack's root with metaboot installed from its .deb."""
    require_tools()
    tarball = base_tarball(stack)
    # What this file puts into the image (not the whole file: an edit of
    # the checks or of the boot must not rebuild it).
    harness = digest("\0".join((IMAGE_FORMAT, TEST_UNIT, TEST_SCRIPT, FSTAB, MACHINE_ID, CLOUD_CFG)))
    package = package_key(ctx, workdir) if stack in WITH_METABOOT else "no-metaboot"
    key = digest("%s %s %s" % (os.path.basename(tarball), package, harness))
    folder = os.path.join(bootlib.CACHE, "fullroot-%s-%s" % (stack, key))
    image = Image(folder, stack)
    with Lock():
        if os.path.exists(os.path.join(folder, ".ready")):
            log("fullroot %s image reused from the cache (%s)" % (stack, os.path.basename(folder)))
            return image
        started = time.monotonic()
        import test_package  # the package suite's .deb build and chroot
        deb = cached_deb(package) if stack in WITH_METABOOT else None
        built = time.monotonic()
        tmp = folder + ".tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        tree = os.path.join(tmp, "tree")
        os.makedirs(tree)
        try:
            bootlib.run(["tar", "-xf", tarball, "-C", tree])
            tool = initramfs_tool(stack)
            if deb:
                shutil.copy(deb, os.path.join(tree, "tmp", "metaboot.deb"))
                out = test_package.in_chroot(tree, "nice", "dpkg", "-i", "/tmp/metaboot.deb")
                os.unlink(os.path.join(tree, "tmp", "metaboot.deb"))
                # initramfs-tools' trigger says "update-initramfs: Generating",
                # dracut's (/etc/kernel/postinst.d/dracut) "dracut: Generating".
                said = "update-initramfs" if tool == "initramfs-tools" else "dracut: Generating"
                assert said in out, "the trigger did not run:\n" + out
            initrds = sorted(n for n in os.listdir(os.path.join(tree, "boot")) if n.startswith("initrd.img-"))
            assert len(initrds) == 1, initrds
            lister = "lsinitramfs" if tool == "initramfs-tools" else "lsinitrd"
            listing = test_package.in_chroot(tree, lister, "/boot/" + initrds[0])
            for path in IN_INITRAMFS[tool] if deb else ():
                assert path in listing, "%s not in the root's initramfs (%s):\n%s" % (path, lister, listing[-3000:])
            assert "ext4.ko" in listing, "no ext4.ko in the root's initramfs"
            if not deb:
                assert "usr/sbin/metaboot" not in listing
            release = initrds[0][len("initrd.img-"):]
            shutil.copy(os.path.join(tree, "boot", "vmlinuz-" + release), os.path.join(tmp, "vmlinuz"))
            shutil.copy(os.path.join(tree, "boot", initrds[0]), os.path.join(tmp, "initrd.img"))
            customize(tree)
            if stack == "cloud-init":
                write(tree, "etc/cloud/cloud.cfg.d/99-mbtest-datasource.cfg", CLOUD_CFG)
            size = int(bootlib.run(["du", "-sm", "--apparent-size", tree]).stdout.split()[0])
            bootlib.run(["nice", "mke2fs", "-q", "-F", "-t", "ext4", "-L", "mbroot", "-d", tree,
                         os.path.join(tmp, "root.img"), "%dM" % (size * 13 // 10 + 256)])
            subprocess.run(["rm", "-rf", "--one-file-system", tree])
            shutil.rmtree(folder, ignore_errors=True)
            os.rename(tmp, folder)
            open(os.path.join(folder, ".ready"), "w").close()
        finally:
            subprocess.run(["rm", "-rf", "--one-file-system", tmp])
        for name in os.listdir(bootlib.CACHE):
            path = os.path.join(bootlib.CACHE, name)
            if name.startswith("fullroot-%s-" % stack) and os.path.isdir(path) and path != folder:
                shutil.rmtree(path, ignore_errors=True)
        log("fullroot %s image built in %.0f s (.deb %.0f s), %d MiB"
            % (stack, time.monotonic() - started, built - started, os.path.getsize(image.rootimg) >> 20))
    return image


# What the root's own build must have put into its initramfs with metaboot's
# hook or module. dracut's: systemd as init, metaboot's units enabled in
# initrd.target, and what names the NICs as the real root will (the rule and
# the .link files), without which metaboot would see eth0 there.
IN_INITRAMFS = {
    "initramfs-tools": ("usr/sbin/metaboot", "scripts/init-bottom/metaboot", "virtio_net.ko"),
    "dracut": ("usr/sbin/metaboot", "virtio_net.ko", "usr/lib/systemd/system/metaboot.service",
               "initrd.target.wants/metaboot.service", "initrd.target.wants/metaboot-root-ready.service",
               "80-net-setup-link.rules", "usr/lib/systemd/network/99-default.link", "usr/lib/systemd/systemd"),
}


def customize(tree):
    """What the test adds to the root: fstab, identity, the report unit. No
    network configuration."""
    write(tree, "etc/fstab", FSTAB)
    write(tree, "etc/hostname", "mbtest\n")
    write(tree, "etc/machine-id", MACHINE_ID, 0o444)
    # mmdebstrap copies the host's resolv.conf: not the guest's to have.
    for rel in ("etc/resolv.conf",):
        if os.path.lexists(os.path.join(tree, rel)):
            os.unlink(os.path.join(tree, rel))
    symlink(tree, "etc/systemd/system/systemd-firstboot.service", "/dev/null")
    # The report writes to ttyS0; a getty there would hang the line up under it.
    symlink(tree, "etc/systemd/system/serial-getty@ttyS0.service", "/dev/null")
    write(tree, "etc/systemd/system/mbtest.service", TEST_UNIT)
    symlink(tree, "etc/systemd/system/multi-user.target.wants/mbtest.service", "/etc/systemd/system/mbtest.service")
    write(tree, "usr/local/sbin/mbtest-report", TEST_SCRIPT, 0o755)
    # Nothing of the build's own network setup may be left.
    for rel in ("etc/netplan", "etc/network/interfaces.d", "etc/systemd/network"):
        folder = os.path.join(tree, rel)
        if os.path.isdir(folder):
            assert not os.listdir(folder), "%s is not empty: %s" % (rel, os.listdir(folder))


def cmdline(stack, extra=()):
    # `ro`: the initramfs mounts the root read-only, metaboot remounts it for
    # its write, systemd-remount-fs makes it read-write from fstab.
    args = ["console=ttyS0", "root=/dev/vda", "ro", "panic=-1", "printk.time=1", "systemd.show_status=0"]
    if initramfs_tool(stack) == "dracut":
        # dracut would otherwise wait in an emergency shell forever.
        args += ["rd.shell=0", "rd.emergency=poweroff"]
    return " ".join(args + list(extra))


def serve_http(network, workdir):
    """A plain HTTP server in the server namespace, on the second NIC's subnet
    (198.18.1.1) and on REMOTE_HOST behind it. Strict reverse-path filtering
    on the taps drops what a guest sends from the second NIC's address out of
    the first NIC, as a cloud's source/destination check would: the remote
    host answers only when the guest's policy routing sends that address's
    traffic out of its own NIC."""
    ns = network.ns
    ns.run(["ip", "addr", "add", REMOTE_HOST + "/32", "dev", "lo"])
    for conf in ("all", "tap0", "tap1"):
        ns.run(["sysctl", "-q", "-w", "net.ipv4.conf.%s.rp_filter=1" % conf])
    www = os.path.join(workdir, "www")
    os.makedirs(www, exist_ok=True)
    with open(os.path.join(www, "mbtest"), "w") as f:
        f.write("mbtest-http-ok\n")
    log_file = open(os.path.join(workdir, "http.log"), "w")
    network.http_log = log_file
    ns.popen([sys.executable, "-m", "http.server", "--bind", "0.0.0.0", "--directory", www, str(HTTP_PORT)],
             stdout=log_file, stderr=subprocess.STDOUT)
    bootlib.netns.wait_port(ns, "0.0.0.0", HTTP_PORT, timeout=20)


# A full systemd boot under TCG on a shared machine: tens of seconds when idle,
# minutes when not; the unit's own waits (wait-online: 2 min) must fit inside.
TIMEOUT = float(os.environ.get("METABOOT_FULLROOT_TIMEOUT", "900"))


# The other clouds' boots (issue 17 item 6): one NIC, the cloud's DMI, its
# DHCP answer and its metadata service, as tests/boot/test_boot.py sets them.
CLOUDS = {
    "ec2": {"smbios": bootlib.EC2_SMBIOS, "network": {"nics": 2}},
    "azure": {"smbios": bootlib.AZURE_SMBIOS, "network": {"dhcp_extra": ["--dhcp-option-force=245,168.63.129.16"]}},
    "gce": {"smbios": bootlib.GCE_SMBIOS, "network": {"gce": {}}},
}


def boot(ctx, image, workdir, name, extra_cmdline=(), cloud="ec2"):
    """One boot of the image with a cloud's DMI on taps (dnsmasq, the
    metadata emulator, for EC2 with IMDSv2 required, two NICs and the HTTP
    server); returns bootlib's Boot and the network (closed; its logs stay
    in workdir)."""
    network = bootlib.TapNetwork(ctx, workdir, **CLOUDS[cloud]["network"])
    try:
        if cloud == "ec2":
            serve_http(network, workdir)
        result = bootlib.boot(image, image.initrd, image.rootimg, cmdline(image.stack, extra_cmdline), network, workdir,
                              smbios=CLOUDS[cloud]["smbios"], name=name, drive=",snapshot=on",
                              memory=1024, timeout=TIMEOUT, nice=5)
    finally:
        network.close()
        if getattr(network, "http_log", None):
            network.http_log.close()
    return result, network


class Report:
    """The `mbtest:` lines of one boot."""

    def __init__(self, result):
        self.result = result

    def one(self, name):
        value = self.result.mark(name)
        assert value is not None, "no `mbtest: %s` line:\n%s" % (name, self.result.tail(120))
        return value

    def json(self, name):
        return json.loads(self.one(name))

    def names(self):
        """{mac: name} as the real root's kernel shows them."""
        found = {}
        for value in self.result.marks("mac"):
            name, mac = value.split()
            found[mac] = name
        return found

    def files(self):
        out = {}
        for value in self.result.marks("file"):
            path, _, data = value.partition(" ")
            out[path] = base64.b64decode(data).decode()
        return out

    def units(self):
        """{unit: (ActiveEnterTimestampMonotonic in us, ActiveState)}"""
        out = {}
        for value in self.result.marks("unit"):
            parts = value.split()
            out[parts[0]] = (int(parts[1]) if len(parts) > 2 and parts[1].isdigit() else 0, parts[-1])
        return out

    def timings(self):
        """Guest-clock seconds from kernel start: switch_root (systemd's start
        in the real root), network-online.target, the test unit; and the host's
        wall time of the whole boot."""
        units = self.units()
        userspace = (self.result.mark("userspace") or "").split()

        def seconds(usec):
            return round(usec / 1e6, 2) if usec else None
        return {"switch_root_s": seconds(int(userspace[0])) if userspace and userspace[0].isdigit() else None,
                "network_online_s": seconds(units.get("network-online.target", (0, ""))[0]),
                "test_unit_s": seconds(units.get("mbtest.service", (0, ""))[0]),
                "host_s": round(self.result.seconds, 1)}
