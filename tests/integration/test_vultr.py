"""Vultr end to end in namespaces: dnsmasq serves DHCPv4 on the first NIC's
network (cloud-init 25.1.4's helpers/vultr.py takes an EphemeralDHCPv4 lease
NIC by NIC), the emulator (tests/tools/hetzner_vultr.py) serves /v1.json at
169.254.169.254, and metaboot's whole run writes into a temporary root.
Checked: detection from a fake DMI tree and from the `vultr` kernel
argument, cloud-init's generate_network_config() (public DHCP and SLAAC
with an additional address, a private static address with its MTU and
route) and cloud_interfaces, the Metadata-Token header cloud-init sends,
GETs only, the client namespace left as it was, and the identity
cloud-init's own DataSourceVultr reads from the same service."""
import json
import os
import shutil

import netns
import peers
from netns import Topology
from test_digitalocean import KEY, MAC1, MAC2, USER_DATA, requests_of, section
from test_hetzner import check_identity_matches_cloud_init, fake_sysfs, run_detected
from test_run import NETPLAN, ifquery, make_root, netplan_generate, read, run


def serve(t, nics, settings=None):
    peers.start_dnsmasq(t, iface="veth0", subnet=0, options=["option:router,198.18.0.1"])
    return peers.start_emulator(t, "--nics", str(nics), "--metadata-v1", json.dumps(dict(settings or {}, cloud="vultr")))


# cloud-init's own DataSourceVultr._get_data() over the same service, from
# the client namespace: the ephemeral lease replaced (the test gives the
# namespace an address) and the NIC map answered with the test's NICs.
CLOUD_INIT_GET_DATA = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
from unittest import mock
from cloudinit.sources import DataSourceVultr as dv
from cloudinit.sources.helpers import vultr
distro = mock.MagicMock()
distro.get_tmp_exec_path.return_value = "/tmp"
ds = dv.DataSourceVultr({"datasource": {"Vultr": {"retries": 0, "timeout": 5}}}, distro, mock.MagicMock())
with mock.patch.object(vultr, "EphemeralDHCPv4"), mock.patch.object(vultr, "get_interface_list", return_value=["eth0"]), \
        mock.patch.object(vultr.net, "get_interfaces_by_mac", return_value=json.loads(sys.argv[2])):
    assert ds._get_data()
print(json.dumps({"instance_id": ds.get_instance_id(), "local_hostname": ds.metadata["local-hostname"],
                  "availability_zone": ds.availability_zone, "region": ds.region,
                  "public_keys": ds.get_public_ssh_keys(), "user_data": ds.userdata_raw}))
"""


def test_vultr_detected_from_dmi_generated_network(ctx):
    netns.require_root()
    root = make_root()
    sysfs = fake_sysfs("Vultr", "42872224")
    try:
        with Topology(nics=2) as t:
            emulator = serve(t, 2)
            before = t.client.snapshot()
            proc = run_detected(t, ctx, root, sysfs, "--output", "netplan,ifupdown")
            assert proc.returncode == 0, proc.stderr
            assert t.client.snapshot() == before
            netplan = read(root, NETPLAN)
            public, private = section(netplan, "eth0", "eth1"), section(netplan, "eth1")
            assert '"%s"' % MAC1 in public and "dhcp4: true" in public and "accept-ra: true" in public, netplan
            assert '"198.18.9.77/24"' in public and '"108.61.10.10"' in public and '"2001:19f0:300:1704::6"' in public, netplan
            assert '"%s"' % MAC2 in private and '"10.1.112.3/20"' in private and "mtu: 1450" in private, netplan
            assert 'to: "198.18.64.0/18"' in private and 'via: "10.1.112.1"' in private, netplan
            networkd = netplan_generate(root)
            eth1 = [text for name, text in networkd.items() if name.endswith("eth1.network")]
            assert eth1 and "Address=10.1.112.3/20" in eth1[0] and "MTUBytes=1450" in eth1[0], networkd
            out, listed = ifquery(root, "eth1")
            assert listed == ["lo", "eth0", "eth1"], listed
            assert "address: 10.1.112.3" in out and "mtu: 1450" in out, out
            meta = json.load(open(os.path.join(proc.state, "metadata.json")))
            assert meta["provider"] == "vultr" and meta["instance_id"] == "29bea708-2e6e-480a-90ad-0e6b5d5ad62f", meta
            assert meta["hostname"] == "metaboot-vultr" and meta["region"] == "nl" and meta["public_keys"] == [KEY], meta
            assert read(proc.state, "user-data") == USER_DATA
            # The user-data (and a document that carries it) stays out of the
            # world-readable metadata.json.
            assert "hostname: emulated" not in read(proc.state, "metadata.json")
            data = json.load(open(os.path.join(proc.state, "instance-data.json")))
            assert data["v1"]["cloud_name"] == "vultr" and data["v1"]["platform"] == "vultr", data["v1"]
            # One GET, with cloud-init's Metadata-Token header.
            assert [(r["method"], r["path"], r["status"], r["token"]) for r in requests_of(emulator)] == [("GET", "/v1.json", 200, True)]
            check_identity_matches_cloud_init(t, proc, CLOUD_INIT_GET_DATA, json.dumps({MAC1: "eth0", MAC2: "eth1"}))
    finally:
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(sysfs, ignore_errors=True)


def test_vultr_kernel_argument_cloud_interfaces_unconfigured(ctx):
    """Bare metal: DMI is the hardware maker's, `vultr` on the kernel
    command line names the cloud; the network is cloud_interfaces (v1,
    named by MAC)."""
    netns.require_root()
    root = make_root()
    sysfs = fake_sysfs("Supermicro", "S123", cmdline="BOOT_IMAGE=/vmlinuz ro vultr quiet")
    try:
        with Topology(nics=2) as t:
            emulator = serve(t, 2, {"cloud_interfaces": True})
            before = t.client.snapshot()
            proc = run_detected(t, ctx, root, sysfs, "--output", "netplan")
            assert proc.returncode == 0, proc.stderr
            assert t.client.snapshot() == before
            netplan = read(root, NETPLAN)
            public, private = section(netplan, "eth0", "eth1"), section(netplan, "eth1")
            assert "dhcp4: true" in public and "accept-ra: true" in public and "198.18.9.77" not in netplan, netplan
            assert '"10.1.112.3/20"' in private and "mtu: 1450" in private and "routes:" not in private, netplan
            netplan_generate(root)
            assert all(r["method"] == "GET" for r in requests_of(emulator))
    finally:
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(sysfs, ignore_errors=True)


def test_vultr_unconfigured_nic_and_bad_documents(ctx):
    netns.require_root()
    root = make_root()
    try:
        with Topology(nics=2) as t:
            serve(t, 2, {"unconfigured": [1]})
            before = t.client.snapshot()
            proc = run(t, ctx, root, "--provider", "vultr", "--output", "netplan")
            assert proc.returncode == 0, proc.stderr
            assert t.client.snapshot() == before
            netplan = read(root, NETPLAN)
            assert '"eth0"' in netplan and '"eth1"' not in netplan and "10.1.112.3" not in netplan, netplan
        for document in ("{\"hostname\": 1,", "[1, 2]"):
            with Topology(nics=1) as t:
                serve(t, 1, {"document": document})
                before = t.client.snapshot()
                empty = make_root()
                proc = run(t, ctx, empty, "--provider", "vultr", "--output", "netplan")
                assert proc.returncode == 3, (document, proc.returncode, proc.stderr)
                assert t.client.snapshot() == before
                assert not os.listdir(os.path.join(empty, "etc/netplan")), document
                shutil.rmtree(empty, ignore_errors=True)
        # A NIC the metadata names but the system lacks: the network
        # metadata is refused (cloud-init raises), DHCP on the leased NIC.
        with Topology(nics=1) as t:
            serve(t, 2)
            proc = run(t, ctx, root, "--provider", "vultr", "--output", "netplan")
            assert proc.returncode == 0, proc.stderr
            assert "network metadata refused" in proc.stderr and MAC2 in proc.stderr, proc.stderr
            assert "dhcp4: true" in read(root, NETPLAN)
    finally:
        shutil.rmtree(root, ignore_errors=True)
