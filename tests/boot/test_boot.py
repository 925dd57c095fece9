"""End-to-end boots: a real Debian kernel and initramfs (dracut with a shell
/init or with systemd, initramfs-tools) with metaboot in it, under QEMU/TCG,
against dnsmasq and the metadata emulator on tap devices inside a test
namespace, or QEMU's user network. The disk is read back from the host.

Each boot prints one `boot:` line with its timings (see README.md).
The harness_* tests check the harness itself from inside the guest, without
metaboot, so a failure there points at the harness, not at the binary.
"""
import contextlib
import json
import os
import re
import shutil
import sys
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bootlib  # noqa: E402
import netns  # noqa: E402
from bootlib import log  # noqa: E402

NETPLAN = "etc/netplan/50-cloud-init.yaml"
IFUPDOWN = "etc/network/interfaces.d/50-cloud-init"

_assets = {}


def assets(ctx, workdir):
    """Kernel, tools and both images: prepared once per run, cached across runs."""
    bootlib.require_host()
    if not os.path.exists(ctx["binary"]):
        raise AssertionError("no binary at %s (make first)" % ctx["binary"])
    if "kernel" not in _assets:
        if ctx.get("build") and os.path.isdir(ctx["build"]):
            _assets["timings"] = os.path.join(ctx["build"], "boot-timings.jsonl")
            open(_assets["timings"], "w").close()
        _assets["kernel"] = bootlib.prepare_kernel()
        _assets["tools"] = bootlib.prepare_tools()
        _assets["busybox"] = bootlib.prepare_busybox()
    return _assets["kernel"], _assets["tools"], _assets["busybox"]


# What each kind of image must hold of ours beyond the binary: systemd
# initramfs images run metaboot.service, enabled for initrd.target; the
# shell ones source the pre-pivot hook.
NEEDED = {
    "dracut-plain": (),
    "dracut": ("metaboot-pre-pivot.sh",),
    "dracut-systemd": ("usr/lib/systemd/system/metaboot.service", "initrd.target.wants/metaboot.service",
                       "initrd.target.wants/metaboot-root-ready.service"),
    "initramfs-tools": ("scripts/init-bottom/metaboot",),
}


def image(kind, ctx, kernel, tools, workdir):
    path, _ = bootlib.initramfs(kind, ctx, kernel, tools, workdir, needed=NEEDED[kind])
    if kind == "dracut-systemd":
        contents = bootlib.run(["sh", "-c", bootlib.listing_command(path)]).stdout
        assert "metaboot-pre-pivot.sh" not in contents, "the systemd image also carries the shell hook"
    return path


def report(kind, scenario, result):
    """One `boot:` line per boot, and one JSON line in $BUILD/boot-timings.jsonl
    (rewritten by each run) for whoever writes up the timings."""
    summary = result.summary()
    if _assets.get("timings"):
        record = dict(image=kind, scenario=scenario, host_s=round(result.seconds, 2),
                      first_output_s=round(result.first_output, 2) if result.first_output else None,
                      summary=summary, **result.phases())
        with open(_assets["timings"], "a") as f:
            f.write(json.dumps(record) + "\n")
    before = " (first console output after %.1f s)" % result.first_output if result.first_output else ""
    log("%s %s: %.1f s host wall%s; guest clock: %s; summary: %s"
        % (kind, scenario, result.seconds, before, result.timeline(), summary or "(none)"))


def check_parsers(rootimg, workdir, nic):
    """The real netplan and ifupdown read what the boot wrote."""
    for tool in ("netplan", "ifquery"):
        if not shutil.which(tool):
            raise AssertionError("no %s (scripts/install-test-packages.sh installs it)" % tool)
    tree = os.path.join(workdir, "parsed")
    shutil.rmtree(tree, ignore_errors=True)
    for path, mode in ((NETPLAN, 0o600), (IFUPDOWN, 0o644)):
        target = os.path.join(tree, path)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as f:
            f.write(bootlib.read_image_file(rootimg, path))
        os.chmod(target, mode)
    proc = bootlib.run(["netplan", "generate", "--root-dir", tree], check=False)
    assert proc.returncode == 0, "netplan generate refused the boot's file: %s" % proc.stderr
    networkd = os.path.join(tree, "run", "systemd", "network")
    generated = sorted(os.listdir(networkd)) if os.path.isdir(networkd) else []
    assert any(nic in name for name in generated), "netplan generated nothing for %s: %s" % (nic, generated)
    eni = os.path.join(tree, IFUPDOWN)
    proc = bootlib.run(["ifquery", "-i", eni, "--list", "--allow", "auto"], check=False)
    assert proc.returncode == 0 and nic in proc.stdout.split(), "ifquery: %s%s" % (proc.stdout, proc.stderr)


def boot_cloud(ctx, kind, network_kind, extra_cmdline=(), smbios=()):
    with bootlib.Workdir() as workdir:
        kernel, tools, busybox = assets(ctx, workdir)
        initrd = image(kind, ctx, kernel, tools, workdir)
        rootimg = os.path.join(workdir, "root.img")
        bootlib.make_rootfs(rootimg, busybox, workdir)
        network = (bootlib.TapNetwork if network_kind == "tap" else bootlib.UserNetwork)(ctx, workdir)
        try:
            result = bootlib.boot(kernel, initrd, rootimg, bootlib.cmdline(kind, extra_cmdline),
                                  network, workdir, smbios=smbios, name=kind)
        finally:
            network.close()
        report(kind, network_kind, result)
        if result.mark("timings"):
            log("%s %s: /run/metaboot/timings.json %s" % (kind, network_kind, result.mark("timings")))
        check_reached_init(result)
        check_predictable_name(result)
        check_full_run(rootimg, workdir, result, network)
        return result


def check_full_run(rootimg, workdir, result, network):
    """What a whole run leaves: a clean root, the summary, no lease left, the
    files written and accepted by their parsers, IMDSv2 used."""
    check_clean(rootimg)
    check_summary(result)
    check_no_leftover_address(result)
    check_written(rootimg, result, network.secondary)
    check_parsers(rootimg, workdir, result.nic_name(bootlib.GUEST_MAC))
    check_imdsv2(network)


def check_reached_init(result):
    assert result.mark("done") is not None, "the real root's init never ran:\n" + result.tail()
    assert result.ip_section() is not None, "no ip output from the real root:\n" + result.tail()
    options = result.mark("root-options") or ""
    assert options.split(",")[0] == "ro", "root not read-only at switch_root: %r" % options


def check_predictable_name(result):
    """The NIC has the name the real root's udev gives it (99-default.link's
    NamePolicy: ens<slot> on QEMU's PCI bus), not the kernel's eth0, in every
    kind of image: metaboot writes the name it sees, and the root's stack
    matches on it (ifupdown only by name)."""
    nic = result.nic_name(bootlib.GUEST_MAC)
    assert nic and re.match(r"^ens\d+$", nic), "the NIC is %r in the initramfs, not its predictable name:\n%s" % (nic, result.ip_section())


def check_clean(rootimg):
    proc = bootlib.fsck(rootimg)
    assert proc.returncode == 0, "e2fsck -fn: %d\n%s%s" % (proc.returncode, proc.stdout, proc.stderr)


def check_summary(result):
    assert not result.hook_warning(), "the hook saw a failure: %s\n%s" % (result.hook_warning(), result.tail())
    assert result.summary(), "no `metaboot: ... ms` summary on the console:\n" + result.tail()


def check_no_leftover_address(result):
    nic = result.nic_name(bootlib.GUEST_MAC)
    assert nic, "the NIC is missing: %s" % result.ip_section()
    assert not result.nic_ipv4(), "IPv4 address left on the NIC at switch_root: %s" % result.nic_ipv4()
    assert not result.nic_routes(nic), "routes left at switch_root: %s" % result.nic_routes(nic)
    # Nothing in these initramfs images brings the NIC up, so neither may metaboot's teardown.
    assert not result.nic_up(nic), "the NIC was left up: %s" % result.ip_section()
    assert not result.extra_rules(), "policy rules left at switch_root: %s" % result.extra_rules()


def check_written(rootimg, result, secondary):
    netplan = bootlib.read_image_file(rootimg, NETPLAN)
    assert netplan is not None, "%s not written" % NETPLAN
    text = netplan.decode()
    assert re.search(r"^network:", text, re.M) and re.search(r"^\s+version: 2\b", text, re.M), text
    assert re.search(r"macaddress: ['\"]?%s" % bootlib.GUEST_MAC, text), "netplan does not match our MAC:\n" + text
    assert re.search(r"dhcp4: true", text), text
    assert "metaboot" in text.split("network:")[0], "no metaboot header comment:\n" + text
    name = re.search(r"set-name: ['\"]?([\w.-]+)", text)
    assert name, "netplan has no set-name:\n" + text
    # set-name is the kernel's name for the NIC in this very boot.
    assert name.group(1) == result.nic_name(bootlib.GUEST_MAC), (name.group(1), result.ip_section())
    mode = bootlib.image_mode(rootimg, NETPLAN)
    assert mode == 0o600, "%s has mode %o, not 0600" % (NETPLAN, mode)
    eni = bootlib.read_image_file(rootimg, IFUPDOWN)
    assert eni is not None, "%s not written" % IFUPDOWN
    eni = eni.decode()
    assert re.search(r"^auto %s$" % re.escape(name.group(1)), eni, re.M), eni
    assert re.search(r"^iface %s inet dhcp$" % re.escape(name.group(1)), eni, re.M), eni
    interfaces = bootlib.read_image_file(rootimg, "etc/network/interfaces").decode()
    assert interfaces.startswith(bootlib.INTERFACES), "etc/network/interfaces lost its content:\n" + interfaces
    assert re.search(r"^source(-directory)? /etc/network/interfaces\.d", interfaces, re.M), interfaces
    # The emulator's NIC has IPv6 and a secondary address (cloud-init's EC2
    # semantics: a static address with the subnet's prefix, dhcp6 for a NIC
    # with ipv6s).
    assert re.search(r"dhcp6: true", text), text
    assert re.search(r"^\s+- ['\"]?%s/24['\"]?$" % re.escape(secondary), text, re.M), text
    # DHCPv6 started in the background (src/render/ifupdown.cpp), not
    # cloud-init's blocking `inet6 dhcp`.
    assert re.search(r"^iface %s inet6 manual\n(    .*\n)*    up \(/lib/ifupdown/wait-for-ll6.sh && exec dhclient -6 " % re.escape(name.group(1)), eni, re.M), eni
    assert re.search(r"^iface %s inet static$" % re.escape(name.group(1)), eni, re.M), eni
    assert re.search(r"^\s+address %s/" % re.escape(secondary), eni, re.M), eni
    state = (result.mark("state") or "").split()
    for name in ("metadata.json", "lease.json", "timings.json"):
        assert name in state, "/run/metaboot lacks %s: %s" % (name, state)


def check_imdsv2(network):
    """A token was fetched, and every GET carried it."""
    requests = bootlib.metadata_requests(network.requests_log)
    assert any(r["method"] == "PUT" and r["status"] == 200 for r in requests), requests
    gets = [r for r in requests if r["method"] == "GET"]
    assert gets and all(r.get("token") for r in gets), "GETs without an IMDSv2 token: %s" % gets
    log("metadata: %d requests" % len(requests))


def boot_not_cloud(ctx, kind, quiet=False):
    """Plain QEMU DMI, no forced provider: metaboot must do nothing, at once;
    with `quiet` on the kernel command line, without a line on the console."""
    with bootlib.Workdir() as workdir:
        kernel, tools, busybox = assets(ctx, workdir)
        initrd = image(kind, ctx, kernel, tools, workdir)
        rootimg = os.path.join(workdir, "root.img")
        bootlib.make_rootfs(rootimg, busybox, workdir)
        # dnsmasq is there, so a metaboot that ignored the platform would get a lease.
        network = bootlib.TapNetwork(ctx, workdir, metadata=False)
        try:
            result = bootlib.boot(kernel, initrd, rootimg, bootlib.cmdline(kind, ["quiet"] if quiet else []), network, workdir,
                                  name=kind + "-not-cloud")
            leases = open(network.dnsmasq_log).read() if os.path.exists(network.dnsmasq_log) else ""
        finally:
            network.close()
        report(kind, "not-cloud", result)
        check_reached_init(result)
        check_clean(rootimg)
        for path in (NETPLAN, IFUPDOWN):
            assert bootlib.read_image_file(rootimg, path) is None, "%s written on a non-cloud machine" % path
        assert bootlib.read_image_file(rootimg, "etc/network/interfaces").decode() == bootlib.INTERFACES
        assert not result.nic_ipv4(), result.ip_section()
        assert "DHCPDISCOVER" not in leases, "metaboot ran DHCP on a non-cloud machine:\n" + leases
        # Needs the full binary: exit 6 is silent in the hooks, any other status warns.
        assert not result.hook_warning(), "metaboot failed on a non-cloud machine: %s" % result.hook_warning()
        if quiet:
            # Not a line from metaboot on the console (the root's init shows
            # the kernel log's own copy, as `mbtest: kmsg`).
            shown = [l for l in result.lines if "metaboot" in l and not l.startswith("mbtest:")]
            assert not shown, "metaboot printed on a quiet non-cloud boot:\n" + "\n".join(shown)
            assert any("not a cloud platform" in l for l in result.marks("kmsg")), result.tail()
            return
        # ... and it said so, at once (DMI is a few sysfs reads; 2 s is TCG's slack).
        summary = result.summary()
        assert summary and "cloud" in summary, "no not-a-cloud line:\n" + result.tail()
        took = re.search(r"(\d+) ms", summary)
        assert took and int(took.group(1)) < 2000, summary


def probe(ctx, kind, network_kind, smbios=(), mode="mbtest.probe"):
    """A boot where the root's init checks the harness (mbtest.probe) or runs
    `metaboot lease` itself (mbtest.lease)."""
    with bootlib.Workdir() as workdir:
        kernel, tools, busybox = assets(ctx, workdir)
        initrd = image(kind, ctx, kernel, tools, workdir)
        rootimg = os.path.join(workdir, "root.img")
        bootlib.make_rootfs(rootimg, busybox, workdir, binary=ctx["binary"] if mode == "mbtest.lease" else None)
        network = (bootlib.TapNetwork if network_kind == "tap" else bootlib.UserNetwork)(ctx, workdir)
        try:
            # rd.metaboot=0: the initramfs's metaboot stays out of the way.
            result = bootlib.boot(kernel, initrd, rootimg, bootlib.cmdline(kind, ["rd.metaboot=0", mode]),
                                  network, workdir, smbios=smbios, name="%s-%s" % (kind, mode))
        finally:
            network.close()
        report(kind, "%s %s" % (network_kind, mode), result)
        check_reached_init(result)
        # The initramfs's metaboot saw rd.metaboot=0 and did nothing.
        assert any("disabled" in l for l in result.metaboot_lines()), "rd.metaboot=0 not honoured:\n" + result.tail()
        assert not result.hook_warning(), result.hook_warning()
        return result


def test_harness_tap_network_from_guest(ctx):
    result = probe(ctx, "initramfs-tools", "tap", smbios=bootlib.EC2_SMBIOS)
    lease = result.mark("probe-lease") or ""
    assert "ip=%s " % bootlib.TAP_GUEST in lease, "no lease from dnsmasq: %r\n%s" % (lease, result.tail())
    assert "mtu=9001" in lease, lease
    assert "169.254.169.254/32 %s" % bootlib.TAP_SERVER in lease, "no option 121 route: " + lease
    assert int(result.mark("probe-token-length") or 0) > 0, result.tail()
    assert result.mark("probe-instance-id").startswith("i-"), result.tail()
    # QEMU's -smbios override is what the guest's DMI shows.
    assert result.mark("dmi") == "Amazon EC2|t3.micro", result.mark("dmi")


def test_harness_user_network_from_guest(ctx):
    result = probe(ctx, "dracut", "user")
    lease = result.mark("probe-lease") or ""
    assert "ip=%s " % bootlib.USERNET_GUEST in lease, "no lease from QEMU's DHCP: %r\n%s" % (lease, result.tail())
    assert int(result.mark("probe-token-length") or 0) > 0, result.tail()
    assert result.mark("probe-instance-id").startswith("i-"), result.tail()
    assert "QEMU" in (result.mark("dmi") or ""), result.mark("dmi")


def test_lease_subcommand_in_guest(ctx):
    """`metaboot lease` on the guest's virtio NIC against dnsmasq, and its teardown."""
    result = probe(ctx, "initramfs-tools", "tap", mode="mbtest.lease")
    output = "\n".join(result.section("lease") or [])
    assert result.mark("lease-rc") == "0", "metaboot lease failed (%s):\n%s" % (result.mark("lease-rc"), output)
    assert bootlib.TAP_GUEST in output, "the lease is not dnsmasq's:\n" + output
    assert "9001" in output, "no MTU 9001 in the lease:\n" + output
    assert "169.254.169.254" in output, "no option 121 route in the lease:\n" + output
    assert result.mark("after-lease") == "|", "lease left behind: %r" % result.mark("after-lease")
    flags = re.search(r"<([^>]*)>", result.mark("after-lease-link") or "")
    assert flags and "UP" not in flags.group(1).split(","), "NIC left up: %s" % result.mark("after-lease-link")


def test_dracut_ec2_forced_provider(ctx):
    boot_cloud(ctx, "dracut", "tap", extra_cmdline=["rd.metaboot.provider=ec2"])


def test_initramfs_tools_ec2_dmi(ctx):
    # No rd.metaboot.provider: the platform is found from EC2's DMI strings.
    boot_cloud(ctx, "initramfs-tools", "tap", smbios=bootlib.EC2_SMBIOS)


def test_dracut_systemd_ec2_dmi(ctx):
    # systemd as the initramfs's init: metaboot runs as metaboot.service.
    result = boot_cloud(ctx, "dracut-systemd", "tap", smbios=bootlib.EC2_SMBIOS)
    # systemd's own status line for the unit (colours and all), before switch_root.
    assert re.search(r"Finished \S*metaboot\.service", result.console), result.tail()
    # Started early, it waited for the root-ready unit (the only maker of
    # the marker) before it took the lease (rd.metaboot.overlap=1 is the
    # bench's "overlap" part).
    ready = result.console.find("the root is ready (/run/metaboot-root-ready)")
    assert ready >= 0, result.tail()
    assert ready < result.console.find(": leased "), result.tail()


def test_root_mode_from_the_roots_own_init_script(ctx):
    """An image without an initramfs hook (dracut without our module): the
    root's early boot runs metaboot through rootfs/metaboot.init, on the root
    it booted (read-only, remounted for the writes), before anything else."""
    kind = "dracut-plain"
    with bootlib.Workdir() as workdir:
        kernel, tools, busybox = assets(ctx, workdir)
        initrd = image(kind, ctx, kernel, tools, workdir)
        rootimg = os.path.join(workdir, "root.img")
        bootlib.make_rootfs(rootimg, busybox, workdir, binary=ctx["binary"],
                            init_script=os.path.join(ctx["root"], "rootfs", "metaboot.init"))
        network = bootlib.TapNetwork(ctx, workdir)
        try:
            result = bootlib.boot(kernel, initrd, rootimg, bootlib.cmdline(kind, ["mbtest.rootmode", "rd.metaboot.provider=ec2"]),
                                  network, workdir, name="root-mode")
        finally:
            network.close()
        report(kind, "root-mode", result)
        check_reached_init(result)
        check_full_run(rootimg, workdir, result, network)


def test_dracut_boot_survives_metaboot_failure(ctx):
    """A cloud with no metadata service: metaboot gets a lease, fails to fetch,
    must tear the lease down and exit non-zero, and the boot must go on."""
    kind = "dracut"
    with bootlib.Workdir() as workdir:
        kernel, tools, busybox = assets(ctx, workdir)
        initrd = image(kind, ctx, kernel, tools, workdir)
        rootimg = os.path.join(workdir, "root.img")
        bootlib.make_rootfs(rootimg, busybox, workdir)
        network = bootlib.TapNetwork(ctx, workdir, metadata=False)
        try:
            result = bootlib.boot(kernel, initrd, rootimg,
                                  bootlib.cmdline(kind, ["rd.metaboot.provider=ec2", "rd.metaboot.timeout=6"]),
                                  network, workdir, name=kind + "-no-metadata")
        finally:
            network.close()
        report(kind, "no metadata", result)
        check_reached_init(result)
        check_clean(rootimg)
        assert result.hook_warning(), "the hook did not report metaboot's failure:\n" + result.tail()
        for path in (NETPLAN, IFUPDOWN):
            assert bootlib.read_image_file(rootimg, path) is None, "%s written without metadata" % path
        assert bootlib.read_image_file(rootimg, "etc/network/interfaces").decode() == bootlib.INTERFACES
        # Needs the full binary: exit 3 (no metadata), and the lease it took is gone.
        assert any("status 3" in line for line in result.hook_warning()), result.hook_warning()
        check_no_leftover_address(result)


def test_initramfs_tools_ec2_two_nics(ctx):
    """Two ENIs: DHCP on both at once, one lease kept for the fetch; cloud-init's
    multi-NIC semantics in the files (route metrics, policy routing for the
    secondary in table 101); both NICs left bare, no rule left behind."""
    kind = "initramfs-tools"
    with bootlib.Workdir() as workdir:
        kernel, tools, busybox = assets(ctx, workdir)
        initrd = image(kind, ctx, kernel, tools, workdir)
        rootimg = os.path.join(workdir, "root.img")
        bootlib.make_rootfs(rootimg, busybox, workdir)
        network = bootlib.TapNetwork(ctx, workdir, nics=2)
        try:
            result = bootlib.boot(kernel, initrd, rootimg, bootlib.cmdline(kind), network, workdir,
                                  smbios=bootlib.EC2_SMBIOS, name=kind + "-two-nics")
        finally:
            network.close()
        report(kind, "tap, 2 NICs", result)
        check_reached_init(result)
        check_clean(rootimg)
        check_summary(result)
        assert not result.nic_ipv4(), "IPv4 left at switch_root: %s" % result.nic_ipv4()
        assert not result.extra_rules(), "policy rules left at switch_root: %s" % result.extra_rules()
        names = [result.nic_name(mac) for mac in network.macs]
        assert all(names), (names, result.ip_section())
        for nic in names:
            assert not result.nic_routes(nic) and not result.nic_up(nic), result.ip_section()
        netplan = (bootlib.read_image_file(rootimg, NETPLAN) or b"").decode()
        eni = (bootlib.read_image_file(rootimg, IFUPDOWN) or b"").decode()
        for mac, nic in zip(network.macs, names):
            assert re.search(r"macaddress: ['\"]?%s" % mac, netplan), netplan
            assert re.search(r"set-name: ['\"]?%s['\"]?$" % nic, netplan, re.M), netplan
            assert re.search(r"^iface %s inet dhcp$" % nic, eni, re.M), eni
        assert re.search(r"route-metric: 100$", netplan, re.M) and re.search(r"route-metric: 200$", netplan, re.M), netplan
        assert re.search(r"table: 101$", netplan, re.M) and "routing-policy:" in netplan, netplan
        assert re.search(r"to: ['\"]?198\.18\.1\.0/24", netplan), netplan
        check_imdsv2(network)


@contextlib.contextmanager
def cloud_boot(ctx, scenario, smbios, cmdline_extra=(), **network_options):
    """A dracut boot with a cloud's SMBIOS strings, its DHCP options and
    metadata service on the tap network (network_options go to TapNetwork),
    checked for what every cloud's boot must show: init reached, the root
    image clean, the summary line, no address left. Yields a namespace with
    result, rootimg, workdir, network and the netplan and ifupdown files."""
    kind = "dracut"
    with bootlib.Workdir() as workdir:
        kernel, tools, busybox = assets(ctx, workdir)
        initrd = image(kind, ctx, kernel, tools, workdir)
        rootimg = os.path.join(workdir, "root.img")
        bootlib.make_rootfs(rootimg, busybox, workdir)
        network = bootlib.TapNetwork(ctx, workdir, **network_options)
        try:
            result = bootlib.boot(kernel, initrd, rootimg, bootlib.cmdline(kind, cmdline_extra), network, workdir,
                                  smbios=smbios, name=kind + "-" + scenario)
        finally:
            network.close()
        report(kind, scenario, result)
        check_reached_init(result)
        check_clean(rootimg)
        check_summary(result)
        check_no_leftover_address(result)
        yield types.SimpleNamespace(
            result=result, rootimg=rootimg, workdir=workdir, network=network,
            netplan=(bootlib.read_image_file(rootimg, NETPLAN) or b"").decode(),
            eni=(bootlib.read_image_file(rootimg, IFUPDOWN) or b"").decode())


def test_dracut_openstack_dmi(ctx):
    """Nova's DMI, the OpenStack metadata service: static IPv4 and routes from
    network_data.json, matched by MAC; the lease is only the way there."""
    with cloud_boot(ctx, "openstack", bootlib.OPENSTACK_SMBIOS) as boot:
        result, rootimg, workdir, network = boot.result, boot.rootimg, boot.workdir, boot.network
        assert result.mark("dmi").endswith("|OpenStack Nova"), result.mark("dmi")
        nic = result.nic_name(bootlib.GUEST_MAC)
        netplan = boot.netplan
        eni = boot.eni
        assert re.search(r"macaddress: ['\"]?%s" % bootlib.GUEST_MAC, netplan), netplan
        assert re.search(r"set-name: ['\"]?%s['\"]?$" % nic, netplan, re.M), netplan
        assert re.search(r"- ['\"]?%s/24" % re.escape(bootlib.TAP_GUEST), netplan), netplan
        assert re.search(r"to: ['\"]?192\.0\.2\.0/24['\"]?$", netplan, re.M), netplan
        assert re.search(r"^iface %s inet static$" % nic, eni, re.M), eni
        assert re.search(r"^\s+address %s/24$" % re.escape(bootlib.TAP_GUEST), eni, re.M), eni
        check_parsers(rootimg, workdir, nic)
        requests = bootlib.metadata_requests(network.requests_log)
        assert any(r["path"].endswith("/network_data.json") and r["status"] == 200 for r in requests), requests


# What OCI VMs report: QEMU's own system strings, and the chassis asset tag
# that cloud-init's DataSourceOracle (and metaboot) go by.
ORACLE_SMBIOS = ("-smbios", "type=3,manufacturer=QEMU,asset=OracleCloud.com")


def test_dracut_oracle_dmi(ctx):
    """OCI's chassis asset tag, its IMDS (/opc/v2/ with its header): the one
    VNIC by DHCP with OCI's MTU 9000, matched by MAC; the lease is gone at
    switch_root."""
    with cloud_boot(ctx, "oracle", ORACLE_SMBIOS) as boot:
        result, rootimg, workdir, network = boot.result, boot.rootimg, boot.workdir, boot.network
        nic = result.nic_name(bootlib.GUEST_MAC)
        netplan = boot.netplan
        eni = boot.eni
        assert re.search(r"macaddress: ['\"]?%s" % bootlib.GUEST_MAC, netplan), netplan
        assert re.search(r"set-name: ['\"]?%s['\"]?$" % nic, netplan, re.M), netplan
        assert re.search(r"^\s+mtu: 9000$", netplan, re.M) and re.search(r"^\s+dhcp4: true$", netplan, re.M), netplan
        assert re.search(r"^iface %s inet dhcp$" % nic, eni, re.M), eni
        assert re.search(r"mtu 9000", eni), eni
        check_parsers(rootimg, workdir, nic)
        # Detected from DMI alone (no rd.metaboot.provider): only OCI's
        # paths, GETs with the header.
        requests = bootlib.metadata_requests(network.requests_log)
        assert [(r["method"], r["path"], r["status"], r["token"]) for r in requests] == [
            ("GET", "/opc/v2/instance/", 200, True), ("GET", "/opc/v2/vnics/", 200, True)], requests


GCE_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGdjZS1ib290LXRlc3Qta2V5LW9uZS1vbmU gce@example"


def test_dracut_gce_dmi(ctx):
    """GCE's DMI and DHCP (a /32, the gateway on-link by option 121, MTU
    1460), GCE's metadata server: cloud-init's fallback (dhcp4 and dhcp6 on
    the NIC, by MAC), the lease's routes and MTU undone, GETs only."""
    gce = {"attributes": {"ssh-keys": "cloudinit:" + GCE_KEY}}
    with cloud_boot(ctx, "gce", bootlib.GCE_SMBIOS, gce=gce) as boot:
        result, rootimg, workdir, network = boot.result, boot.rootimg, boot.workdir, boot.network
        assert result.mark("dmi") == "Google|Google Compute Engine", result.mark("dmi")
        nic = result.nic_name(bootlib.GUEST_MAC)
        link = [line for line in result.ip_section() if re.match(r"^\d+:\s+%s[:@]" % re.escape(nic), line)]
        assert link and " mtu 1500 " in link[0], "the lease's MTU 1460 was left: %s" % link
        netplan = boot.netplan
        eni = boot.eni
        assert re.search(r"macaddress: ['\"]?%s" % bootlib.GUEST_MAC, netplan), netplan
        assert re.search(r"set-name: ['\"]?%s['\"]?$" % nic, netplan, re.M), netplan
        assert "dhcp4: true" in netplan and "dhcp6: true" in netplan, netplan
        assert re.search(r"^iface %s inet dhcp$" % nic, eni, re.M), eni
        check_parsers(rootimg, workdir, nic)
        requests = bootlib.metadata_requests(network.requests_log)
        root = "/computeMetadata/v1/"
        assert [r["path"] for r in requests] == [root + "instance/?recursive=true", root + "instance/id",
                                                 root + "project/attributes/?recursive=true"], requests
        assert all(r["method"] == "GET" and r["token"] and r["status"] == 200 for r in requests), requests


def test_dracut_azure_dmi(ctx):
    """Azure's chassis asset tag, its IMDS (the emulator's Azure module) and
    option 245 in the lease: eth<i> names, route metrics, the NIC's driver
    read from sysfs into the match, the wireserver's address in lease.json."""
    with cloud_boot(ctx, "azure", bootlib.AZURE_SMBIOS, dhcp_extra=["--dhcp-option-force=245,168.63.129.16"]) as boot:
        result, rootimg, workdir, network = boot.result, boot.rootimg, boot.workdir, boot.network
        assert result.mark("dmi") == "Microsoft Corporation|Virtual Machine", result.mark("dmi")
        lease = json.loads(result.mark("lease"))
        assert lease["azure_wireserver"] == "168.63.129.16", lease
        netplan = boot.netplan
        assert re.search(r"macaddress: ['\"]?%s" % bootlib.GUEST_MAC, netplan), netplan
        assert re.search(r"driver: ['\"]?virtio_net['\"]?$", netplan, re.M), netplan
        assert re.search(r"set-name: ['\"]?eth0['\"]?$", netplan, re.M), netplan
        assert re.search(r"route-metric: 100$", netplan, re.M), netplan
        assert re.search(r"- ['\"]?%s/24" % re.escape(network.secondary), netplan), netplan
        check_parsers(rootimg, workdir, "eth0")
        requests = bootlib.metadata_requests(network.requests_log)
        assert [(r["method"], r["path"], r["status"]) for r in requests] == [
            ("GET", "/metadata/instance?api-version=2021-08-01&extended=true", 200)], requests


def test_dracut_digitalocean_dmi(ctx):
    """DigitalOcean's DMI (no rd.metaboot.provider) on a network with DHCP
    and the service behind the router: the link-local kind finds no service
    on the link and the lease reaches it; /metadata/v1.json: the public NIC
    all static and renamed eth0, cloud-init's NIC_MAP; one GET."""
    flags = ["--metadata-v1", json.dumps({"cloud": "digitalocean"})]
    with cloud_boot(ctx, "digitalocean", bootlib.DIGITALOCEAN_SMBIOS, emulator_extra=flags) as boot:
        result, rootimg, workdir, network = boot.result, boot.rootimg, boot.workdir, boot.network
        assert result.mark("dmi").startswith("DigitalOcean|"), result.mark("dmi")
        netplan, eni = boot.netplan, boot.eni
        assert re.search(r"macaddress: ['\"]?%s" % bootlib.GUEST_MAC, netplan), netplan
        assert re.search(r"set-name: ['\"]?eth0['\"]?$", netplan, re.M), netplan
        assert re.search(r"- ['\"]?198\.18\.50\.93/24", netplan) and "dhcp4: true" not in netplan, netplan
        assert re.search(r"^iface eth0 inet static$", eni, re.M), eni
        check_parsers(rootimg, workdir, "eth0")
        requests = bootlib.metadata_requests(network.requests_log)
        assert [(r["method"], r["path"], r["status"]) for r in requests] == [("GET", "/metadata/v1.json", 200)], requests


def check_reach_torn_down(result, kind):
    """What every reach kind's boot must show besides cloud_boot's checks:
    metaboot said which kind it used, no IPv6 address or route of the run is
    left, and the NIC's IPv6 settings equal the defaults a new NIC gets
    (the SLAAC kind turns accept_ra and autoconf on for its run)."""
    lease = json.loads(result.mark("lease") or "{}")
    assert lease.get("reach") == kind, "lease.json: %r\n%s" % (lease, result.tail())
    addresses, routes = result.ipv6()
    assert not addresses and not routes, "IPv6 left at switch_root: %r | %r" % (addresses, routes)
    nic = result.nic_name(bootlib.GUEST_MAC)
    sysctls = result.sysctl6()
    assert sysctls.get(nic) and sysctls.get(nic) == sysctls.get("default"), sysctls
    return lease


def check_served_at(network, host):
    """Every metadata request answered, each sent to the service as `host`
    (the Host header the URL gives)."""
    requests = bootlib.metadata_requests(network.requests_log)
    assert requests and all(r["status"] == 200 for r in requests), requests
    assert {r.get("host") for r in requests} == {host}, requests


def test_dracut_digitalocean_link_local_without_dhcp(ctx):
    """DigitalOcean as its stock images meet it: no DHCP server at all, the
    service on the link. The row's first kind, an RFC 3927 address checked
    by ARP, reaches it; no DHCP packet is sent (nothing would answer)."""
    flags = ["--metadata-v1", json.dumps({"cloud": "digitalocean"})]
    with cloud_boot(ctx, "digitalocean-ipv4ll", bootlib.DIGITALOCEAN_SMBIOS, emulator_extra=flags,
                    dhcp=False, service=bootlib.IMDS + "/16") as boot:
        result, network = boot.result, boot.network
        lease = check_reach_torn_down(result, "ipv4ll")
        assert re.match(r"^169\.254\.\d+\.\d+$", lease.get("address", "")) and lease.get("prefix") == 16, lease
        assert not lease.get("routers") and lease.get("server") == "0.0.0.0", lease
        assert re.search(r" 169\.254\.\d+\.\d+/16, digitalocean ", result.summary()), result.summary()
        assert re.search(r"^iface eth0 inet static$", boot.eni, re.M), boot.eni
        requests = bootlib.metadata_requests(network.requests_log)
        assert [(r["method"], r["path"], r["status"]) for r in requests] == [("GET", "/metadata/v1.json", 200)], requests


def test_dracut_ipv6_link_local(ctx):
    """The IPv6 link-local kind, forced: only the NIC's fe80:: address, used
    without DAD, to a service at a scoped fe80:: literal; no DHCP server."""
    with cloud_boot(ctx, "ipv6ll", bootlib.EC2_SMBIOS, dhcp=False, service="fe80::a9fe:a9fe/64",
                    cmdline_extra=["rd.metaboot.reach=ipv6ll", "rd.metaboot.url=http://[fe80::a9fe:a9fe]"]) as boot:
        result, network = boot.result, boot.network
        check_reach_torn_down(result, "ipv6ll")
        check_served_at(network, "[fe80::a9fe:a9fe]")


def test_dracut_slaac_to_ec2s_ipv6_service(ctx):
    """The SLAAC kind, forced, to EC2's IPv6 service fd00:ec2::254 behind a
    router that radvd makes advertise fd00:ec2::/64; no DHCPv4 server."""
    if not os.path.exists(bootlib.RADVD):
        raise netns.Skip("radvd is not installed (scripts/test-packages.txt)")
    with cloud_boot(ctx, "slaac", bootlib.EC2_SMBIOS, dhcp=False, service="fd00:ec2::254/64", radvd_prefix="fd00:ec2::/64",
                    cmdline_extra=["rd.metaboot.reach=slaac", "rd.metaboot.url=http://[fd00:ec2::254]"]) as boot:
        result, network = boot.result, boot.network
        check_reach_torn_down(result, "slaac")
        check_served_at(network, "[fd00:ec2::254]")


def test_dracut_routed_service(ctx):
    """The routed kind, forced: the lease names its router only through a
    classless route to another subnet (RFC 3442: option 3 is then ignored, so
    no default route), and the service, 100.100.100.200 as on Alibaba, is
    reached by the host route metaboot pins through that router."""
    with cloud_boot(ctx, "routed", bootlib.EC2_SMBIOS, service="100.100.100.200/32", classless="198.18.2.0/24,198.18.0.1",
                    cmdline_extra=["rd.metaboot.reach=routed", "rd.metaboot.url=http://100.100.100.200"]) as boot:
        result, network = boot.result, boot.network
        check_reach_torn_down(result, "routed")
        check_served_at(network, "100.100.100.200")


def test_dracut_nocloud_seed_in_the_dmi_serial(ctx):
    """NoCloud's seed named by the system serial (ds=nocloud;i=..;s=URL, as
    QEMU's -smbios sets it for cloud-init), the seed served by a plain
    http.server as a provisioning host would: meta-data, network-config (v2,
    a static address beside DHCP on the NIC matched by MAC) and user-data.
    The serial's i= and the kernel command line's h= win over the seed's
    instance-id and local-hostname, as cloud-init merges them."""
    with bootlib.Workdir() as seed:
        os.makedirs(os.path.join(seed, "seed"))
        files = {
            "meta-data": "instance-id: iid-boot-nocloud\nlocal-hostname: seeded-boot\n",
            "user-data": "#cloud-config\nhostname: seeded-boot\n",
            "network-config": "version: 2\nethernets:\n  nic0:\n    match:\n      macaddress: '%s'\n"
                              "    dhcp4: true\n    addresses: [198.18.0.77/24]\n" % bootlib.GUEST_MAC,
        }
        for name, text in files.items():
            with open(os.path.join(seed, "seed", name), "w") as f:
                f.write(text)
        with cloud_boot(ctx, "nocloud", bootlib.NOCLOUD_SMBIOS, metadata=False, seed_dir=seed,
                        cmdline_extra=["ds=nocloud;h=host-from-cmdline"]) as boot:
            result, network = boot.result, boot.network
            identity = result.mark("identity") or ""
            assert '"instance_id": "iid-from-serial"' in identity and '"local_hostname": "host-from-cmdline"' in identity, identity
            assert re.search(r", nocloud seed, \d+ NICs, 3 requests, ", result.summary()), result.summary()
            assert re.search(r"198\.18\.0\.77/24", boot.netplan) and "dhcp4: true" in boot.netplan, boot.netplan
            with open(network.seed_log) as f:
                served = [line for line in f if '"GET ' in line]
            paths = sorted(re.search(r'"GET (\S+) ', line).group(1) for line in served)
            assert paths == ["/seed/meta-data", "/seed/network-config", "/seed/user-data"], served
            assert all('" 200 ' in line for line in served), served


def test_dracut_upcloud_dmi(ctx):
    """UpCloud's DMI, a DHCPv4 lease as cloud-init's DataSourceUpCloudLocal
    takes, /metadata/v1.json: DHCP and the floating /32 on the NIC, matched
    by MAC under the kernel's name; one GET."""
    flags = ["--metadata-v1", json.dumps({"cloud": "upcloud"})]
    with cloud_boot(ctx, "upcloud", bootlib.UPCLOUD_SMBIOS, emulator_extra=flags) as boot:
        result, rootimg, workdir, network = boot.result, boot.rootimg, boot.workdir, boot.network
        assert result.mark("dmi").startswith("UpCloud|"), result.mark("dmi")
        nic = result.nic_name(bootlib.GUEST_MAC)
        netplan, eni = boot.netplan, boot.eni
        assert re.search(r"macaddress: ['\"]?%s" % bootlib.GUEST_MAC, netplan), netplan
        assert re.search(r"set-name: ['\"]?%s['\"]?$" % nic, netplan, re.M), netplan
        assert "dhcp4: true" in netplan and re.search(r"- ['\"]?198\.18\.105\.50/32", netplan), netplan
        assert re.search(r"^iface %s inet dhcp$" % nic, eni, re.M), eni
        check_parsers(rootimg, workdir, nic)
        requests = bootlib.metadata_requests(network.requests_log)
        assert [(r["method"], r["path"], r["status"]) for r in requests] == [("GET", "/metadata/v1.json", 200)], requests


def test_dracut_not_cloud(ctx):
    boot_not_cloud(ctx, "dracut")


def test_initramfs_tools_not_cloud(ctx):
    boot_not_cloud(ctx, "initramfs-tools", quiet=True)


def test_initramfs_tools_qemu_user_network(ctx):
    # QEMU's own DHCP server (slirp), metadata through guestfwd.
    boot_cloud(ctx, "initramfs-tools", "user", extra_cmdline=["rd.metaboot.provider=ec2"])


def test_integration_scripts_lint(ctx):
    """The dracut module, the initramfs-tools scripts and the root's init
    scripts parse in the shells that run them, and shellcheck finds nothing
    (dracut runs module-setup.sh with bash; the hooks run under the
    initramfs's /bin/sh, the init scripts under the root's)."""
    root = ctx["root"]
    scripts = {"dracut-module/95metaboot/module-setup.sh": "bash",
               "dracut-module/95metaboot/metaboot-pre-pivot.sh": "sh",
               "initramfs-hooks/hooks/metaboot": "sh",
               "initramfs-hooks/scripts/init-bottom/metaboot": "sh",
               "rootfs/metaboot.init": "sh",
               "rootfs/metaboot.openrc": "sh"}
    if not shutil.which("shellcheck"):
        raise AssertionError("no shellcheck (scripts/install-test-packages.sh installs it)")
    for path, shell in scripts.items():
        full = os.path.join(root, path)
        assert os.access(full, os.X_OK), "%s is not executable" % path
        parse = bootlib.run(["bash" if shell == "bash" else "dash", "-n", full], check=False)
        assert parse.returncode == 0, "%s: %s" % (path, parse.stderr)
        # SC1091: the sourced helpers (dracut-lib.sh, hook-functions,
        # /scripts/functions) exist only at build or boot time.
        lint = bootlib.run(["shellcheck", "-s", shell, "-e", "SC1091", full], check=False)
        assert lint.returncode == 0, "%s:\n%s" % (path, lint.stdout)


# The checks themselves, on a canned boot: what a full run should leave, and
# what each kind of leftover looks like. No QEMU; catches a check that could
# never pass (or never fail) before the full binary exists.
CANNED_CONSOLE = """\
[    9.100000] metaboot: ec2 ens2 198.18.0.10/24: dhcp 251 ms, metadata 120 ms, write 30 ms, teardown 9 ms, total 410 ms
mbtest: uptime 10.20
mbtest: root-options ro,relatime
mbtest: dmi Amazon EC2|t3.micro
mbtest: ip-begin
1: lo: <LOOPBACK> mtu 65536 qdisc noop qlen 1000\\    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
2: ens2: <BROADCAST,MULTICAST> mtu 1500 qdisc noop qlen 1000\\    link/ether 52:54:00:12:34:56 brd ff:ff:ff:ff:ff:ff
0:\tfrom all lookup local
32766:\tfrom all lookup main
32767:\tfrom all lookup default
mbtest: ip-end
mbtest: state lease.json metadata.json timings.json user-data
mbtest: done
"""

CANNED_NETPLAN = """# Written by metaboot in the initramfs, from this instance's cloud metadata.
network:
  version: 2
  ethernets:
    "ens2":
      match:
        macaddress: "52:54:00:12:34:56"
      set-name: "ens2"
      dhcp4: true
      dhcp6: true
      addresses:
        - "198.18.0.11/24"
"""

CANNED_ENI = """auto ens2
iface ens2 inet dhcp

iface ens2 inet6 manual
    pre-up echo 1 > /proc/sys/net/ipv6/conf/ens2/accept_ra
    up ip link set dev ens2 up
    up (/lib/ifupdown/wait-for-ll6.sh && exec dhclient -6 -e IF_METRIC=100 -pf /run/dhclient6.ens2.pid -lf /var/lib/dhcp/dhclient6.ens2.leases -I -df /var/lib/dhcp/dhclient.ens2.leases ens2) </dev/null >/dev/null 2>&1 &
    down dhclient -6 -r -pf /run/dhclient6.ens2.pid -lf /var/lib/dhcp/dhclient6.ens2.leases -I -df /var/lib/dhcp/dhclient.ens2.leases ens2 || true

iface ens2 inet static
    address 198.18.0.11/24
"""


def expect_failure(check, *args):
    try:
        check(*args)
    except AssertionError:
        return
    raise AssertionError("%s passed on a bad boot" % check.__name__)


def test_checks_on_canned_boot(ctx):
    with bootlib.Workdir() as workdir:
        tree = os.path.join(workdir, "tree")
        files = {NETPLAN: (CANNED_NETPLAN, 0o600), IFUPDOWN: (CANNED_ENI, 0o644),
                 "etc/network/interfaces": (bootlib.INTERFACES + "source /etc/network/interfaces.d/*\n", 0o644)}
        for rel, (text, mode) in files.items():
            os.makedirs(os.path.dirname(os.path.join(tree, rel)), exist_ok=True)
            with open(os.path.join(tree, rel), "w") as f:
                f.write(text)
            os.chmod(os.path.join(tree, rel), mode)
        image = os.path.join(workdir, "root.img")
        bootlib.run(["mke2fs", "-q", "-F", "-t", "ext4", "-d", tree, image, "8M"])
        good = bootlib.Boot(CANNED_CONSOLE, 1.0, 0)
        check_reached_init(good)
        check_clean(image)
        check_summary(good)
        check_no_leftover_address(good)
        check_written(image, good, "198.18.0.11")
        expect_failure(check_written, image, good, "198.18.0.12")
        assert good.uptime == 10.2
        assert good.printk_time("^metaboot: ") == 9.1

        def bad(old, new):
            assert old in CANNED_CONSOLE
            return bootlib.Boot(CANNED_CONSOLE.replace(old, new), 1.0, 0)
        expect_failure(check_reached_init, bad("ro,relatime", "rw,relatime"))
        expect_failure(check_summary, bad("[    9.100000] metaboot: ec2", "[    9.1] dracut: ec2"))
        expect_failure(check_summary, bad("mbtest: done", "Warning: metaboot exited with status 2; boot continues\nmbtest: done"))
        expect_failure(check_no_leftover_address, bad("mbtest: ip-end", "2: ens2    inet 198.18.0.10/24 scope global ens2\nmbtest: ip-end"))
        expect_failure(check_no_leftover_address, bad("mbtest: ip-end", "default via 198.18.0.1 dev ens2\nmbtest: ip-end"))
        expect_failure(check_no_leftover_address, bad("mbtest: ip-end", "32765:\tfrom 198.18.0.10 lookup 100\nmbtest: ip-end"))
        expect_failure(check_no_leftover_address, bad("<BROADCAST,MULTICAST>", "<BROADCAST,MULTICAST,UP,LOWER_UP>"))
        expect_failure(check_written, image, bad("2: ens2:", "2: eth0:"), "198.18.0.11")
        expect_failure(check_written, image, bad("timings.json ", ""), "198.18.0.11")
