"""DigitalOcean end to end in namespaces: dnsmasq serves DHCPv4 on the first
NIC's network (the issue's "DHCP when the image's network has it"; stock
droplets have none, and the link-local reach is not built yet), the
emulator (tests/tools/metadata_v1.py) serves /metadata/v1.json at
169.254.169.254, and metaboot's whole run writes into a temporary root.
Each test checks what was written (through netplan generate and ifquery),
the state, the requests the service saw (GETs only), and that the client
namespace is left exactly as it was. The identity is compared with what
cloud-init's own DataSourceDigitalOcean reads from the same service."""
import json
import os
import shutil

import netns
import peers
from netns import Topology
from test_run import NETPLAN, ifquery, make_root, netplan_generate, read, run

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG1ldGFkYXRhLXYxLWVtdWxhdG9yLWtleQ emulated@example"
USER_DATA = "#cloud-config\nhostname: emulated\n"
MAC1, MAC2 = "02:00:00:00:00:01", "02:00:00:00:00:02"


def requests_of(emulator):
    with open(emulator.request_log) as f:
        return [json.loads(line) for line in f if line.strip()]


def serve(t, cloud, nics, flags=(), settings=None):
    peers.start_dnsmasq(t, iface="veth0", subnet=0, options=["option:router,198.18.0.1"])
    return peers.start_emulator(t, "--nics", str(nics), "--metadata-v1", json.dumps(dict(settings or {}, cloud=cloud)), *flags)


def section(netplan, name, following=None):
    start = netplan.index('"%s":' % name)
    return netplan[start:netplan.index('"%s":' % following)] if following else netplan[start:]


# cloud-init's own datasource over the same service, from the client
# namespace: its _get_data() with the DMI read replaced and no link-local
# address of its own (the test gives the namespace an address).
CLOUD_INIT_GET_DATA = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
from unittest import mock
from cloudinit.sources import DataSourceDigitalOcean as do, DataSourceUpCloud as uc
if sys.argv[2] == "digitalocean":
    cls, key = do.DataSourceDigitalOcean, "DigitalOcean"
else:
    cls, key = uc.DataSourceUpCloud, "UpCloud"
cfg = {"datasource": {key: {"use_ip4LL": False, "retries": 0, "timeout": 5}}}
ds = cls(cfg, mock.MagicMock(), mock.MagicMock())
with mock.patch.object(ds, "_get_sysinfo", return_value=(True, "from-dmi")):
    assert ds._get_data()
print(json.dumps({"instance_id": ds.get_instance_id(), "local_hostname": ds.metadata["local-hostname"],
                  "availability_zone": ds.availability_zone, "region": ds.region,
                  "public_keys": ds.get_public_ssh_keys(), "user_data": ds.userdata_raw}))
"""


def check_identity_matches_cloud_init(t, proc, cloud):
    """metaboot's state against cloud-init's reading of the same service."""
    from test_cloud_init_handoff import _cloud_init
    meta = json.load(open(os.path.join(proc.state, "metadata.json")))
    user_data = os.path.join(proc.state, "user-data")
    ours = {key: meta[key] or None for key in ("instance_id", "local_hostname", "availability_zone", "region")}
    ours["public_keys"] = meta["public_keys"]
    ours["user_data"] = open(user_data).read() if os.path.exists(user_data) else None
    t.client.run(["ip", "addr", "add", "198.18.0.2/24", "dev", "eth0"])
    t.client.run(["ip", "link", "set", "eth0", "up"])
    t.client.run(["ip", "route", "add", "169.254.169.254/32", "dev", "eth0"])
    out = t.client.run(["/usr/bin/python3", "-c", CLOUD_INIT_GET_DATA, _cloud_init(), cloud], check=False)
    assert out.returncode == 0, out.stderr
    theirs = json.loads(out.stdout.strip().splitlines()[-1])
    assert ours == theirs, (ours, theirs)


def test_digitalocean_full_run_public_and_private_renamed(ctx):
    netns.require_root()
    root = make_root()
    try:
        with Topology(nics=2) as t:
            # The public NIC is the client's eth1 and the private its eth0:
            # cloud-init's names (public eth0, private eth1) come from the
            # metadata's types, not from the kernel's order.
            emulator = serve(t, "digitalocean", 2, ["--macs", MAC2 + "," + MAC1])
            before = t.client.snapshot()
            proc = run(t, ctx, root, "--provider", "digitalocean")
            assert proc.returncode == 0, proc.stderr
            assert t.client.snapshot() == before
            assert proc.result["lease"]["interface"] == "eth0", proc.result
            netplan = read(root, NETPLAN)
            public, private = section(netplan, "eth0", "eth1"), section(netplan, "eth1")
            assert '"%s"' % MAC2 in public and 'set-name: "eth0"' in public, netplan
            for text in ('"198.18.50.93/24"', '"2001:db8:50::93/64"', '"198.19.0.9/16"', 'via: "198.18.50.1"', 'via: "2001:db8:50::1"'):
                assert text in public, (text, netplan)
            assert '"%s"' % MAC1 in private and 'set-name: "eth1"' in private and '"198.18.132.75/16"' in private, netplan
            # The gateway only on the public, non-anchor subnets.
            assert "routes:" not in private and "198.19.0.1" not in netplan and "198.18.0.1" not in netplan, netplan
            assert "dhcp4: true" not in netplan, netplan
            assert netplan.count('"198.18.77.1"') == 2, netplan
            networkd = netplan_generate(root)
            eth0 = [text for name, text in networkd.items() if name.endswith("eth0.network")]
            assert eth0 and "Address=198.19.0.9/16" in eth0[0] and "Gateway=198.18.50.1" in eth0[0], networkd
            out, listed = ifquery(root, "eth1")
            assert listed == ["lo", "eth0", "eth1"], listed
            assert "address: 198.18.132.75" in out and "netmask: 255.255.0.0" in out, out
            meta = json.load(open(os.path.join(proc.state, "metadata.json")))
            assert meta["instance_id"] == "2756294" and meta["hostname"] == "metaboot-droplet", meta
            assert meta["availability_zone"] == "ams3" and meta["public_keys"] == [KEY], meta
            assert read(proc.state, "user-data") == USER_DATA
            data = json.load(open(os.path.join(proc.state, "instance-data.json")))
            assert data["v1"]["cloud_name"] == "digitalocean" and data["v1"]["platform"] == "digitalocean", data["v1"]
            # One GET, no header asked or sent beyond HTTP's own.
            assert [(r["method"], r["path"], r["status"]) for r in requests_of(emulator)] == [("GET", "/metadata/v1.json", 200)]
            check_identity_matches_cloud_init(t, proc, "digitalocean")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_digitalocean_unknown_mac_refused_dhcp_written_instead(ctx):
    """cloud-init raises on a metadata NIC that is not on the system; metaboot
    refuses the network metadata the same way and, as for any refused
    network metadata, writes DHCP on the leased NIC."""
    netns.require_root()
    root = make_root()
    try:
        with Topology(nics=1) as t:
            emulator = serve(t, "digitalocean", 2)
            before = t.client.snapshot()
            proc = run(t, ctx, root, "--provider", "digitalocean", "--output", "netplan")
            assert proc.returncode == 0, proc.stderr
            assert t.client.snapshot() == before
            assert "network metadata refused" in proc.stderr and MAC2 in proc.stderr, proc.stderr
            netplan = read(root, NETPLAN)
            assert "dhcp4: true" in netplan and "198.18.50.93" not in netplan, netplan
            assert all(r["method"] == "GET" for r in requests_of(emulator))
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_digitalocean_faults_retried_and_bad_documents(ctx):
    netns.require_root()
    root = make_root()
    try:
        with Topology(nics=2) as t:
            emulator = serve(t, "digitalocean", 2, ["--fail-500", "/metadata/v1.json=2"])
            before = t.client.snapshot()
            proc = run(t, ctx, root, "--provider", "digitalocean", "--output", "netplan")
            assert proc.returncode == 0, proc.stderr
            assert t.client.snapshot() == before
            statuses = [(r["method"], r["status"]) for r in requests_of(emulator)]
            assert statuses == [("GET", 500), ("GET", 500), ("GET", 200)], statuses
        # Not JSON, or not an object: no metadata (exit 3), nothing written.
        for document in ("{\"droplet_id\": 1,", "[1, 2]"):
            with Topology(nics=1) as t:
                serve(t, "digitalocean", 1, settings={"document": document})
                before = t.client.snapshot()
                empty = make_root()
                proc = run(t, ctx, empty, "--provider", "digitalocean", "--output", "netplan")
                assert proc.returncode == 3, (document, proc.returncode, proc.stderr)
                assert t.client.snapshot() == before
                assert not os.listdir(os.path.join(empty, "etc/netplan")), document
                shutil.rmtree(empty, ignore_errors=True)
        # Hostile values: a newline and a quote in the hostname, a key that
        # is two lines; dropped with a warning, never written.
        with Topology(nics=2) as t:
            serve(t, "digitalocean", 2, settings={"set": {"hostname": "evil\nhost: x", "region": "ams3\"",
                                                         "public_keys": [KEY + "\n" + KEY, "ssh-rsa \"x\""]}})
            proc = run(t, ctx, root, "--provider", "digitalocean", "--output", "netplan")
            assert proc.returncode == 0, proc.stderr
            meta = json.load(open(os.path.join(proc.state, "metadata.json")))
            assert meta["hostname"] == "" and meta["availability_zone"] == "" and meta["public_keys"] == [KEY, KEY], meta
            assert "dropping" in proc.stderr, proc.stderr
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_digitalocean_over_ipv4_link_local_without_dhcp(ctx):
    """A stock droplet's network: no DHCP server, the service on-link at
    169.254.169.254. The row still says Dhcp4Lease; --reach ipv4ll (the
    order issue 14 wants for the row, cloud-init's use_ip4LL) reaches it
    from a 169.254.x.y/16 and leaves nothing behind."""
    netns.require_root()
    root = make_root()
    try:
        with Topology(nics=1) as t:
            t.server.run(["ip", "route", "add", "169.254.0.0/16", "dev", "veth0"])
            emulator = peers.start_emulator(t, "--nics", "1", "--metadata-v1", json.dumps({"cloud": "digitalocean"}))
            before = t.client.snapshot()
            proc = run(t, ctx, root, "--provider", "digitalocean", "--reach", "ipv4ll", "--output", "netplan")
            assert proc.returncode == 0, proc.stderr
            assert t.client.snapshot() == before
            lease = proc.result["lease"]
            assert lease["reach"] == "ipv4ll" and lease["address"].startswith("169.254.") and lease["prefix"] == 16, lease
            netplan = read(root, NETPLAN)
            assert '"198.18.50.93/24"' in netplan and 'set-name: "eth0"' in netplan and "dhcp4: true" not in netplan, netplan
            assert [(r["method"], r["path"], r["status"]) for r in requests_of(emulator)] == [("GET", "/metadata/v1.json", 200)]
    finally:
        shutil.rmtree(root, ignore_errors=True)
