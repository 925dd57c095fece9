"""UpCloud end to end in namespaces: dnsmasq serves DHCPv4 on the first
NIC's network (cloud-init's DataSourceUpCloudLocal takes a lease the same
way), the emulator (tests/tools/metadata_v1.py) serves /metadata/v1.json at
169.254.169.254, and metaboot's whole run writes into a temporary root.
Checked: what was written (netplan generate, ifquery: DHCP, a floating /32,
a static address with its own DNS, stateless DHCPv6), the state, GETs only,
the client namespace left as it was, and the identity cloud-init's own
DataSourceUpCloud reads from the same service."""
import json
import os
import shutil

import netns
from netns import Topology
from test_digitalocean import KEY, MAC1, MAC2, USER_DATA, check_identity_matches_cloud_init, requests_of, section, serve
from test_run import IFUPDOWN, NETPLAN, ifquery, make_root, netplan_generate, read, run

MAC3 = "02:00:00:00:00:03"


def test_upcloud_full_run_three_nics(ctx):
    netns.require_root()
    root = make_root()
    try:
        with Topology(nics=3) as t:
            emulator = serve(t, "upcloud", 3)
            before = t.client.snapshot()
            proc = run(t, ctx, root, "--provider", "upcloud")
            assert proc.returncode == 0, proc.stderr
            assert t.client.snapshot() == before
            netplan = read(root, NETPLAN)
            public, private, ipv6 = section(netplan, "eth0", "eth1"), section(netplan, "eth1", "eth2"), section(netplan, "eth2")
            # DHCP and the floating /32, with the global DNS (static addresses, none of its own).
            assert '"%s"' % MAC1 in public and "dhcp4: true" in public and '"198.18.105.50/32"' in public, netplan
            assert '"198.18.127.9"' in public and "routes:" not in public, netplan
            # Static with the network's prefix and its own DNS only.
            assert '"%s"' % MAC2 in private and '"198.18.30.10/24"' in private and '"198.18.30.53"' in private, netplan
            assert "198.18.127.9" not in private and "dhcp4: false" in private, netplan
            # Stateless DHCPv6: dhcp6 in netplan, as cloud-init writes.
            assert '"%s"' % MAC3 in ipv6 and "dhcp6: true" in ipv6 and "addresses:" not in ipv6, netplan
            networkd = netplan_generate(root)
            eth1 = [text for name, text in networkd.items() if name.endswith("eth1.network")]
            assert eth1 and "Address=198.18.30.10/24" in eth1[0] and "DNS=198.18.30.53" in eth1[0], networkd
            out, listed = ifquery(root, "eth2")
            assert listed == ["lo", "eth0", "eth1", "eth2"], listed
            assert "dhcp: 0" in out and "exec dhclient -6 -S -pf /run/dhclient6.eth2.pid" in out, out
            assert "iface eth2 inet6 auto\n    dhcp 0\n" in read(root, IFUPDOWN)
            meta = json.load(open(os.path.join(proc.state, "metadata.json")))
            assert meta["instance_id"] == "00322b68-0096-4042-9406-faad61922128", meta
            assert meta["hostname"] == "metaboot-upcloud" and meta["availability_zone"] == "fi-hel2", meta
            assert meta["public_keys"] == [KEY], meta
            assert read(proc.state, "user-data") == USER_DATA
            data = json.load(open(os.path.join(proc.state, "instance-data.json")))
            assert data["v1"]["cloud_name"] == "upcloud" and data["v1"]["platform"] == "upcloud", data["v1"]
            assert [(r["method"], r["path"], r["status"]) for r in requests_of(emulator)] == [("GET", "/metadata/v1.json", 200)]
            check_identity_matches_cloud_init(t, proc, "upcloud")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_upcloud_bad_network_refused_dhcp_written_instead(ctx):
    """An interface whose MAC is not here, or an address without a prefix:
    cloud-init raises or writes a broken config; metaboot refuses the
    network metadata and writes DHCP on the leased NIC, keeping the
    identity."""
    netns.require_root()
    cases = [
        (1, {}, MAC2),
        (3, {"set": {"network": {"dns": [], "interfaces": [{"mac": MAC1, "ip_addresses": [
            {"address": "198.18.0.9", "dhcp": False, "family": "IPv4", "gateway": "", "network": "198.18.0.0"}]}]}}},
         "no network data"),
    ]
    for nics, settings, message in cases:
        root = make_root()
        try:
            with Topology(nics=nics) as t:
                emulator = serve(t, "upcloud", 3, settings=settings)
                before = t.client.snapshot()
                proc = run(t, ctx, root, "--provider", "upcloud", "--output", "netplan")
                assert proc.returncode == 0, proc.stderr
                assert t.client.snapshot() == before
                assert "network metadata refused" in proc.stderr and message in proc.stderr, proc.stderr
                netplan = read(root, NETPLAN)
                assert "dhcp4: true" in netplan and "198.18.105.50" not in netplan and "198.18.0.9" not in netplan, netplan
                meta = json.load(open(os.path.join(proc.state, "metadata.json")))
                assert meta["instance_id"] == "00322b68-0096-4042-9406-faad61922128", meta
                assert all(r["method"] == "GET" for r in requests_of(emulator))
        finally:
            shutil.rmtree(root, ignore_errors=True)


def test_upcloud_stalled_service_gives_up_at_the_deadline(ctx):
    netns.require_root()
    with Topology(nics=1) as t:
        serve(t, "upcloud", 1, ["--stall", "/metadata/v1.json=60"])
        before = t.client.snapshot()
        proc = run(t, ctx, None, "--provider", "upcloud", "--output", "none", timeout="3")
        assert proc.returncode == 3, (proc.returncode, proc.stderr)
        assert proc.elapsed < 4.0, proc.elapsed
        assert t.client.snapshot() == before
