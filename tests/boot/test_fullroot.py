"""Real Debian 12 roots (fullroot.py) booted under QEMU/TCG with EC2's DMI and
two NICs, each on its own subnet, against dnsmasq and the metadata emulator
(IMDSv2 required, a secondary address on the first NIC): the real root's own
udev names the NICs and its own network stack (netplan with networkd, or
ifupdown with dhclient) brings them up from the files metaboot wrote in the
initramfs. Everything is checked from inside the real root: the test unit
prints `mbtest:` lines on the serial console after network-online.target.

Two boots, one per stack; each takes one to a few minutes under TCG, the
first run builds the images (see fullroot.py).
"""
import configparser
import os
import re
import sys

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bootlib  # noqa: E402
import fullroot  # noqa: E402
from bootlib import log  # noqa: E402

MACS = bootlib.guest_macs(2)
HOST = bootlib.TAP_GUEST.rsplit(".", 1)[1]
EXPECTED = {MACS[0]: {"198.18.0.%s/24" % HOST, "%s/24" % bootlib.emulator_secondary(bootlib.TAP_GUEST)},
            MACS[1]: {"198.18.1.%s/24" % HOST}}


def boot_fullroot(ctx, stack):
    bootlib.require_host()
    fullroot.require_tools()
    if not os.path.exists(ctx["binary"]):
        raise AssertionError("no binary at %s (make first)" % ctx["binary"])
    with bootlib.Workdir() as workdir:
        image = fullroot.build_image(ctx, stack, workdir)
        result, network = fullroot.boot(ctx, image, workdir, "fullroot-" + stack)
        report = fullroot.Report(result)
        log_timings(stack, result, report)
        check_reached(result, report)
        names = check_names(fullroot.OUTPUT[stack], report)
        check_addresses(report, names)
        check_routes(report, names)
        check_metadata(report, network)
        check_policy_routing(report, names)
        return result


def log_timings(stack, result, report):
    t = report.timings()
    log("fullroot %s: %.1f s host wall; guest clock: switch_root %s s, network-online %s s, test unit %s s; %s; metaboot: %s"
        % (stack, result.seconds, *("%.2f" % v if v is not None else "?"
                                    for v in (t["switch_root_s"], t["network_online_s"], t["test_unit_s"])),
           result.mark("analyze") or "(no systemd-analyze)", result.summary() or "(no summary)"))


def check_reached(result, report):
    assert result.mark("done") is not None, "the test unit never finished:\n" + result.tail(120)
    assert not result.hook_warning(), "the hook saw a failure: %s" % result.hook_warning()
    assert result.summary(), "no metaboot summary on the console:\n" + result.tail(120)
    assert "lease.json" in report.one("metaboot-state").split(), report.one("metaboot-state")
    assert report.one("network-online") == "active", "network-online.target is %s" % report.one("network-online")
    stamp, state = report.units()["network-online.target"]
    assert state == "active" and stamp > 0, report.units()
    failed = report.one("failed") if result.mark("failed") else ""
    assert not failed.strip(), "failed units in the real root: %s\n%s" % (failed, "\n".join(result.marks("journal")))


def netplan_names(text):
    """{mac: set-name} from the netplan file metaboot wrote."""
    doc = yaml.safe_load(text)
    out = {}
    for key, nic in (doc.get("network", {}).get("ethernets") or {}).items():
        mac = (nic.get("match") or {}).get("macaddress")
        out[mac] = nic.get("set-name") or key
    return out


NETPLAN_FILE = "/etc/netplan/50-cloud-init.yaml"
IFUPDOWN_FILE = "/etc/network/interfaces.d/50-cloud-init"
KEYFILE_FOLDER = "/etc/NetworkManager/system-connections/"


def keyfile_bindings(files):
    """[(mac, name)] of the NetworkManager keyfiles metaboot wrote, None for
    what a profile leaves open: bound to a name (connection.interface-name;
    a rename's .link file gives the NIC that name) or to a MAC
    (ethernet.mac-address, any name)."""
    out = []
    for path, text in sorted(files.items()):
        if not path.startswith(KEYFILE_FOLDER):
            continue
        keyfile = configparser.ConfigParser(interpolation=None)
        keyfile.read_string(text)
        mac = keyfile.get("ethernet", "mac-address", fallback=None)
        name = keyfile.get("connection", "interface-name", fallback=None)
        assert mac or name, "%s binds no NIC:\n%s" % (path, text)
        out.append((mac.lower() if mac else None, name))
    return out


def check_names(output, report):
    """The real root's udev named each NIC as metaboot's file does, and
    metaboot wrote the one format the root runs."""
    names = report.names()
    for mac in MACS:
        assert mac in names, "no NIC with %s in the real root: %s" % (mac, names)
    files = report.files()
    written = {"netplan": NETPLAN_FILE in files, "ifupdown": IFUPDOWN_FILE in files,
               "networkmanager": any(p.startswith(KEYFILE_FOLDER) for p in files)}
    assert [f for f, present in written.items() if present] == [output], \
        "expected %s alone, the root has %s" % (output, sorted(files))
    if output == "netplan":
        text = files[NETPLAN_FILE]
        netplan = netplan_names(text)
        for mac in MACS:
            assert netplan.get(mac) == names[mac], "netplan names %s %r, the real root %r:\n%s" % (
                mac, netplan.get(mac), names[mac], text)
    elif output == "ifupdown":
        text = files[IFUPDOWN_FILE]
        for mac in MACS:
            assert re.search(r"^auto %s$" % re.escape(names[mac]), text, re.M), "ifupdown does not name %s:\n%s" % (names[mac], text)
            assert re.search(r"^iface %s inet dhcp$" % re.escape(names[mac]), text, re.M), text
    else:
        bindings = keyfile_bindings(files)
        assert len(bindings) == len(MACS), "keyfiles: %s" % bindings
        for mac in MACS:
            profiles = [b for b in bindings if b[0] in (None, mac) and b[1] in (None, names[mac])]
            assert len(profiles) == 1, "%s (%s) is bound by %s of the keyfiles %s" % (names[mac], mac, profiles, bindings)
    for mac in MACS:
        assert re.match(r"^ens\d+$", names[mac]), "not a predictable name: %s" % names
    return names


def check_addresses(report, names):
    """Both NICs up with their addresses, the secondary included, each address
    once: no second copy of a lease address."""
    links = {link["ifname"]: link for link in report.json("ip-addr")}
    seen = []
    for mac, expected in EXPECTED.items():
        link = links[names[mac]]
        assert "UP" in link["flags"] and link.get("operstate") == "UP", link
        have = ["%s/%d" % (a["local"], a["prefixlen"]) for a in link.get("addr_info", []) if a.get("family") == "inet"]
        assert set(have) == expected and len(have) == len(expected), "%s has %s, expected %s" % (names[mac], have, sorted(expected))
        seen += have
        # The leased address belongs to the real root's DHCP client (a lease
        # lifetime), not to an address metaboot's lease left behind (forever).
        leased = [a for a in link["addr_info"] if a.get("family") == "inet" and a["local"].endswith("." + HOST)]
        assert leased and leased[0].get("dynamic") and leased[0].get("valid_life_time", 0) < 4294967295, \
            "%s's leased address is not the root's DHCP client's: %s" % (names[mac], leased)
        assert link.get("mtu") == 9001, "%s MTU %s (option 26 says 9001)" % (names[mac], link.get("mtu"))
    others = [(l["ifname"], a["local"]) for l in links.values() if l["ifname"] not in names.values()
              for a in l.get("addr_info", []) if a.get("family") == "inet" and l["ifname"] != "lo"]
    assert not others, others


def check_routes(report, names):
    """No route twice (a left-over of the lease beside the real stack's own)
    and nothing on a NIC outside the tables the files ask for. A route is
    told apart by its preferred source too: NetworkManager gives each
    address of a subnet its own prefix route (the secondary's and the
    lease's), two routes the kernel keeps side by side."""
    routes = report.json("ip-route")
    keys = []
    sources = []
    for r in routes:
        if r.get("dev") not in names.values() or r.get("type") in ("local", "broadcast"):
            continue
        keys.append((r.get("table", "main"), r["dst"], r.get("dev"), r.get("gateway")))
        sources.append(keys[-1] + (r.get("prefsrc"),))
    dups = sorted({k for k in sources if sources.count(k) > 1})
    assert not dups, "routes twice: %s\n%s" % (dups, routes)
    first, second = names[MACS[0]], names[MACS[1]]
    defaults = [k for k in keys if k[1] == "default" and k[0] == "main"]
    assert ("main", "default", first, "198.18.0.1") in defaults, defaults
    rules = [r for r in report.json("ip-rule") if r.get("priority") not in (0, 32766, 32767)]
    sources = [r.get("src") for r in rules]
    assert sources == [fullroot.SECOND_NIC_ADDRESS], "policy rules: %s" % rules
    table = rules[0]["table"]
    assert ("%s" % table, "default", second, "198.18.1.1") in keys, "table %s has no default via the second NIC: %s" % (table, keys)


def check_metadata(report, network):
    assert int(report.one("imds-token-length")) > 0, "no IMDSv2 token from the real root"
    assert report.one("imds-instance-id") == "i-0123456789abcdef0", report.one("imds-instance-id")
    puts = [r for r in bootlib.metadata_requests(network.requests_log) if r.get("method") == "PUT"]
    assert len(puts) >= 2, "the emulator saw %d token requests (metaboot's and the real root's)" % len(puts)


def check_policy_routing(report, names):
    """From the second NIC's address: a host on its subnet, and one behind its
    gateway, which answers only when the packets leave by that NIC."""
    assert report.one("http-subnet") == "mbtest-http-ok", report.one("http-subnet")
    route = report.one("route-get-remote")
    assert re.search(r"\bdev %s\b" % re.escape(names[MACS[1]]), route), "the second address's traffic goes: %s" % route
    assert report.one("http-remote") == "mbtest-http-ok", "from %s to %s: %s" % (
        fullroot.SECOND_NIC_ADDRESS, fullroot.REMOTE_HOST, report.one("http-remote"))
    # The control, run last in the guest: with the rule taken out the same
    # request must fail, or the check above proves nothing.
    control = report.one("http-remote-without-rule")
    assert "mbtest-http-ok" not in control, "the remote host answered without policy routing: %s" % control


def test_fullroot_netplan(ctx):
    boot_fullroot(ctx, "netplan")


def test_fullroot_ifupdown(ctx):
    boot_fullroot(ctx, "ifupdown")


def test_fullroot_dracut(ctx):
    """The netplan root with its initramfs built by its own dracut: udev in
    the initramfs must name the NICs as the real root's udev does."""
    boot_fullroot(ctx, "dracut")


def test_fullroot_networkmanager(ctx):
    boot_fullroot(ctx, "networkmanager")


def boot_other_cloud(ctx, cloud):
    """The netplan image on Azure's or GCE's DMI, DHCP and metadata service,
    one NIC: the real root comes up on the file metaboot wrote (the NIC's
    name as the file gives it, its lease from the root's own DHCP client)
    and reaches the cloud's metadata service with the cloud's header."""
    bootlib.require_host()
    fullroot.require_tools()
    with bootlib.Workdir() as workdir:
        image = fullroot.build_image(ctx, "netplan", workdir)
        result, network = fullroot.boot(ctx, image, workdir, "fullroot-" + cloud, cloud=cloud)
        report = fullroot.Report(result)
        log_timings("netplan on " + cloud, result, report)
        check_reached(result, report)
        names = report.names()
        files = report.files()
        assert list(files) == [NETPLAN_FILE], sorted(files)
        netplan = netplan_names(files[NETPLAN_FILE])
        mac = MACS[0]
        assert netplan.get(mac) == names.get(mac), "netplan names %s %r, the real root %r:\n%s" % (
            mac, netplan.get(mac), names.get(mac), files[NETPLAN_FILE])
        link = {l["ifname"]: l for l in report.json("ip-addr")}[names[mac]]
        assert "UP" in link["flags"] and link.get("operstate") == "UP", link
        leased = [a for a in link.get("addr_info", []) if a.get("family") == "inet" and a["local"] == bootlib.TAP_GUEST]
        assert leased and leased[0].get("dynamic"), "%s has no lease of the root's own: %s" % (names[mac], link)
        return result, report, names[mac], link, files[NETPLAN_FILE]


def test_fullroot_azure(ctx):
    """Azure: eth0 by the file's set-name (cloud-init's Azure naming), the
    IMDS secondary address beside the lease, the service with `Metadata:
    true` from the real root."""
    result, report, nic, link, netplan = boot_other_cloud(ctx, "azure")
    assert nic == "eth0", "Azure's NIC is %s in the real root:\n%s" % (nic, netplan)
    have = {"%s/%d" % (a["local"], a["prefixlen"]) for a in link["addr_info"] if a.get("family") == "inet"}
    secondary = "%s/24" % bootlib.emulator_secondary(bootlib.TAP_GUEST)
    assert have == {bootlib.TAP_GUEST + "/24", secondary}, have
    assert report.one("azure-vmid").endswith('"02aab8a4-74ef-476e-8182-f6d2ba4166a6"'), report.one("azure-vmid")


def test_fullroot_gce(ctx):
    """GCE: the /32 lease with its on-link gateway and MTU 1460 from the
    root's own DHCP client (cloud-init's fallback, dhcp4 and dhcp6 by MAC),
    network-online reached without a DHCPv6 server, the service with
    `Metadata-Flavor: Google` from the real root."""
    result, report, nic, link, netplan = boot_other_cloud(ctx, "gce")
    assert re.match(r"^ens\d+$", nic), nic
    assert link.get("mtu") == 1460, "MTU %s (GCE's DHCP says 1460)" % link.get("mtu")
    have = ["%s/%d" % (a["local"], a["prefixlen"]) for a in link["addr_info"] if a.get("family") == "inet"]
    assert have == [bootlib.TAP_GUEST + "/32"], have
    routes = [r for r in report.json("ip-route") if r.get("dev") == nic and r.get("table", "main") == "main"]
    assert any(r["dst"] == "default" and r.get("gateway") == "198.18.0.1" for r in routes), routes
    assert report.one("gce-id") == "4520031799277581759", report.one("gce-id")
