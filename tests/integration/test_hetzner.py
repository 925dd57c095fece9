"""Hetzner Cloud end to end in namespaces: dnsmasq serves DHCPv4 on the
first NIC's network (cloud-init 25.1.4's DataSourceHetzner takes an
EphemeralDHCPv4 lease the same way), the emulator
(tests/tools/hetzner_vultr.py) serves /hetzner/v1/ at 169.254.169.254, and
metaboot's whole run writes into a temporary root. Checked: detection from
a fake DMI tree (sys_vendor Hetzner, the serial = the instance id), the
files written (netplan generate, ifquery: DHCPv4, the static IPv6 via
fe80::1 named with its interface), the state, GETs only, the client
namespace left as it was, the serial check, and the identity cloud-init's
own DataSourceHetzner reads from the same service."""
import json
import os
import shutil
import tempfile

import netns
import peers
from netns import Topology
from test_digitalocean import KEY, MAC1, USER_DATA, requests_of, section
from test_run import IFUPDOWN, NETPLAN, ifquery, make_root, netplan_generate, read, run


def serve(t, nics, settings=None, flags=()):
    peers.start_dnsmasq(t, iface="veth0", subnet=0, options=["option:router,198.18.0.1"])
    return peers.start_emulator(t, "--nics", str(nics), "--metadata-v1", json.dumps(dict(settings or {}, cloud="hetzner")), *flags)


def fake_sysfs(vendor, serial, cmdline="BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro"):
    """A DMI tree, and a kernel command line beside it (--cmdline)."""
    sysfs = tempfile.mkdtemp(prefix="mbt-sysfs-")
    dmi = os.path.join(sysfs, "class/dmi/id")
    os.makedirs(dmi)
    for key, value in (("sys_vendor", vendor), ("product_name", "vServer"), ("product_serial", serial)):
        with open(os.path.join(dmi, key), "w") as f:
            f.write(value + "\n")
    with open(os.path.join(sysfs, "cmdline"), "w") as f:
        f.write(cmdline + "\n")
    return sysfs


def run_detected(t, ctx, root, sysfs, *flags):
    """metaboot without --provider: the cloud from the fake DMI tree."""
    state = tempfile.mkdtemp(prefix="mbt-state-")
    proc = t.client.run([ctx["binary"], "--root", root, "--sysfs", sysfs, "--cmdline", os.path.join(sysfs, "cmdline"),
                         "--state-dir", state, "--json", "--timeout", "10"] + list(flags), check=False)
    proc.state = state
    return proc


# cloud-init's own DataSourceHetzner._get_data() over the same service, from
# the client namespace: the DMI read and the ephemeral lease replaced (the
# test gives the namespace an address).
CLOUD_INIT_GET_DATA = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
from unittest import mock
from cloudinit.sources import DataSourceHetzner as hz
ds = hz.DataSourceHetzner({"datasource": {"Hetzner": {"retries": 0, "timeout": 5}}}, mock.MagicMock(), mock.MagicMock())
with mock.patch.object(hz, "get_hcloud_data", return_value=(True, sys.argv[2])), \
        mock.patch.object(hz, "EphemeralDHCPv4"), mock.patch.object(hz.net, "find_fallback_nic", return_value="eth0"):
    assert ds._get_data()
print(json.dumps({"instance_id": ds.get_instance_id(), "local_hostname": ds.metadata["local-hostname"],
                  "availability_zone": ds.availability_zone, "region": ds.region,
                  "public_keys": ds.get_public_ssh_keys(), "user_data": ds.userdata_raw.decode()}))
"""


def check_identity_matches_cloud_init(t, proc, script, *args):
    from test_cloud_init_handoff import _cloud_init
    meta = json.load(open(os.path.join(proc.state, "metadata.json")))
    user_data = os.path.join(proc.state, "user-data")
    ours = {key: meta[key] or None for key in ("instance_id", "local_hostname", "availability_zone", "region")}
    ours["public_keys"] = meta["public_keys"]
    ours["user_data"] = open(user_data).read() if os.path.exists(user_data) else None
    t.client.run(["ip", "addr", "add", "198.18.0.2/24", "dev", "eth0"])
    t.client.run(["ip", "link", "set", "eth0", "up"])
    t.client.run(["ip", "route", "add", "169.254.169.254/32", "dev", "eth0"])
    out = t.client.run(["/usr/bin/python3", "-c", script, _cloud_init()] + list(args), check=False)
    assert out.returncode == 0, out.stderr
    theirs = json.loads(out.stdout.strip().splitlines()[-1])
    assert ours == theirs, (ours, theirs)


def test_hetzner_detected_from_dmi_full_run(ctx):
    netns.require_root()
    root = make_root()
    sysfs = fake_sysfs("Hetzner", "42424242")
    try:
        with Topology(nics=2) as t:
            emulator = serve(t, 2)
            before = t.client.snapshot()
            proc = run_detected(t, ctx, root, sysfs, "--output", "netplan,ifupdown")
            assert proc.returncode == 0, proc.stderr
            assert t.client.snapshot() == before
            netplan = read(root, NETPLAN)
            eth0 = section(netplan, "eth0")
            assert '"%s"' % MAC1 in eth0 and 'set-name: "eth0"' in eth0 and "dhcp4: true" in eth0, netplan
            assert '"2001:db8:4f8:c17::1/64"' in eth0 and 'via: "fe80::1"' in eth0 and '"2001:db8:ff00::add:2"' in eth0, netplan
            # private-networks is not read (cloud-init 25.1.4 does not): the
            # second NIC is not configured.
            assert '"eth1"' not in netplan, netplan
            networkd = netplan_generate(root)
            net0 = [text for name, text in networkd.items() if name.endswith("eth0.network")]
            assert net0 and "Gateway=fe80::1" in net0[0] and "Address=2001:db8:4f8:c17::1/64" in net0[0], networkd
            out, listed = ifquery(root, "eth0")
            assert listed == ["lo", "eth0"], listed
            assert "up: ip -6 route add default via fe80::1 dev eth0 || true" in out.splitlines(), out
            meta = json.load(open(os.path.join(proc.state, "metadata.json")))
            assert meta["provider"] == "hetzner" and meta["instance_id"] == "42424242", meta
            assert meta["hostname"] == "metaboot-hetzner" and meta["public_keys"] == [KEY], meta
            assert read(proc.state, "user-data") == USER_DATA
            # The user-data (and a document that carries it) stays out of the
            # world-readable metadata.json.
            assert "hostname: emulated" not in read(proc.state, "metadata.json")
            data = json.load(open(os.path.join(proc.state, "instance-data.json")))
            assert data["v1"]["cloud_name"] == "hetzner" and data["v1"]["platform"] == "hetzner", data["v1"]
            assert [(r["method"], r["path"], r["status"]) for r in requests_of(emulator)] == [
                ("GET", "/hetzner/v1/metadata", 200), ("GET", "/hetzner/v1/userdata", 200)]
            check_identity_matches_cloud_init(t, proc, CLOUD_INIT_GET_DATA, "42424242")
    finally:
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(sysfs, ignore_errors=True)


def test_hetzner_serial_mismatch_is_no_metadata(ctx):
    """cloud-init: "SMBIOS serial does not match instance ID from metadata"
    fails the datasource; metaboot writes nothing and exits 3."""
    netns.require_root()
    root = make_root()
    sysfs = fake_sysfs("Hetzner", "1234")
    try:
        with Topology(nics=1) as t:
            emulator = serve(t, 1)
            before = t.client.snapshot()
            proc = run_detected(t, ctx, root, sysfs, "--output", "netplan")
            assert proc.returncode == 3, (proc.returncode, proc.stderr)
            assert "1234" in proc.stderr and "42424242" in proc.stderr, proc.stderr
            assert t.client.snapshot() == before
            assert not os.listdir(os.path.join(root, "etc/netplan"))
            assert [(r["method"], r["path"]) for r in requests_of(emulator)] == [("GET", "/hetzner/v1/metadata")]
    finally:
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(sysfs, ignore_errors=True)


def test_hetzner_forced_no_user_data_and_bad_documents(ctx):
    """--provider hetzner (no DMI serial to check), user-data 204: none
    written; then documents that are not the metadata: exit 3."""
    netns.require_root()
    root = make_root()
    try:
        with Topology(nics=1) as t:
            emulator = serve(t, 1, {"user_data": None})
            before = t.client.snapshot()
            proc = run(t, ctx, root, "--provider", "hetzner", "--output", "netplan")
            assert proc.returncode == 0, proc.stderr
            assert t.client.snapshot() == before
            assert not os.path.exists(os.path.join(proc.state, "user-data"))
            assert [(r["path"], r["status"]) for r in requests_of(emulator)] == [("/hetzner/v1/metadata", 200), ("/hetzner/v1/userdata", 204)]
            assert "2001:db8:4f8:c17::1/64" in read(root, NETPLAN)
        for document in ("- a\n- b\n", "instance-id: [1\n", "hostname: x\n"):
            with Topology(nics=1) as t:
                serve(t, 1, {"document": document})
                before = t.client.snapshot()
                empty = make_root()
                proc = run(t, ctx, empty, "--provider", "hetzner", "--output", "netplan")
                assert proc.returncode == 3, (document, proc.returncode, proc.stderr)
                assert t.client.snapshot() == before
                assert not os.listdir(os.path.join(empty, "etc/netplan")), document
                shutil.rmtree(empty, ignore_errors=True)
        # A network-config the mapper refuses: DHCP on the leased NIC.
        with Topology(nics=1) as t:
            serve(t, 1, {"set": {"network-config": {"version": 1, "config": [{"type": "bond", "name": "bond0"}]}}})
            proc = run(t, ctx, root, "--provider", "hetzner", "--output", "netplan")
            assert proc.returncode == 0, proc.stderr
            assert "network metadata refused" in proc.stderr, proc.stderr
            netplan = read(root, NETPLAN)
            assert "dhcp4: true" in netplan and "2001:db8" not in netplan, netplan
    finally:
        shutil.rmtree(root, ignore_errors=True)
