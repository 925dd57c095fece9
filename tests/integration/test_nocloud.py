"""NoCloud over HTTP in namespaces: dnsmasq hands out a lease, a plain Python
HTTP server (http.server, as a provisioning host might run it) serves a seed
directory at 198.18.0.1, and metaboot, given only a kernel command line that
names the seed (ds=nocloud;s=http://198.18.0.1:8000/seed/), detects NoCloud,
fetches meta-data, network-config and user-data, writes the network config
and tears the lease down. Nothing leaves the test's namespaces."""
import json
import os
import shutil
import tempfile

import netns
import peers
from netns import Topology
from test_run import ifquery, make_root, netplan_generate, read, run as run_ec2

SEED_HOST = "198.18.0.1"
PORT = 8000
MAC = "02:00:00:00:00:01"  # Topology's first client NIC, eth0
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG5vY2xvdWQtaW50ZWdyYXRpb24ta2V5LW9uZQ seed@example"
META_DATA = "instance-id: iid-nocloud-7\nlocal-hostname: seeded-host\npublic-keys:\n  - %s\n" % KEY
USER_DATA = "#cloud-config\nhostname: seeded\n"
NETWORK_V1 = """version: 1
config:
  - type: physical
    name: eth0
    mac_address: "%s"
    subnets:
      - type: dhcp
      - type: static
        address: 198.18.0.77/24
        dns_nameservers: [198.18.0.53]
  - type: bond
    name: bond0
""" % MAC


def serve_seed(t, files):
    """The seed as files under a directory, served by http.server from the
    server namespace; its request log (stderr) is kept."""
    work = tempfile.mkdtemp(prefix="mbt-seed-")
    seed = os.path.join(work, "seed")
    os.makedirs(seed)
    for name, text in files.items():
        with open(os.path.join(seed, name), "w") as f:
            f.write(text)
    log = open(os.path.join(work, "requests.log"), "w")
    proc = t.server.popen(["python3", "-m", "http.server", "--bind", SEED_HOST, "--directory", work, str(PORT)],
                          stderr=log)
    netns.wait_port(t.server, SEED_HOST, PORT)
    proc.workdir = work
    proc.log_path = log.name
    return proc


def requests_of(server):
    with open(server.log_path) as f:
        return [line for line in f if '"' in line]


def nocloud_run(t, ctx, root, cmdline_text, *flags):
    work = tempfile.mkdtemp(prefix="mbt-cmdline-")
    cmdline = os.path.join(work, "cmdline")
    with open(cmdline, "w") as f:
        f.write(cmdline_text + "\n")
    # test_run's run() says --provider ec2; auto (a later flag) detects.
    return run_ec2(t, ctx, root, "--provider", "auto", "--cmdline", cmdline, *flags)


def test_nocloud_seed_over_http_with_network_config_v1(ctx):
    netns.require_root()
    root = make_root()
    try:
        with Topology() as t:
            peers.start_dnsmasq(t, options=["option:router,198.18.0.1"])
            server = serve_seed(t, {"meta-data": META_DATA, "user-data": USER_DATA, "network-config": NETWORK_V1})
            before = t.client.snapshot()
            proc = nocloud_run(t, ctx, root, "BOOT_IMAGE=/vmlinuz root=/dev/vda1 ds=nocloud;s=http://%s:%d/seed/ quiet" % (SEED_HOST, PORT))
            assert proc.returncode == 0, (proc.returncode, proc.stderr)
            assert t.client.snapshot() == before
            # Three GETs under the seed, and nothing else.
            lines = requests_of(server)
            paths = sorted(line.split('"')[1] for line in lines)
            assert paths == ["GET /seed/meta-data HTTP/1.1", "GET /seed/network-config HTTP/1.1", "GET /seed/user-data HTTP/1.1"], lines
            meta = json.load(open(os.path.join(proc.state, "metadata.json")))
            assert meta["provider"] == "nocloud", meta
            assert meta["instance_id"] == "iid-nocloud-7" and meta["local_hostname"] == "seeded-host", meta
            assert meta["public_keys"] == [KEY], meta
            with open(os.path.join(proc.state, "user-data")) as f:
                assert f.read() == USER_DATA
            instance_data = json.load(open(os.path.join(proc.state, "instance-data.json")))
            v1 = instance_data["v1"]
            # DataSourceNoCloud: cloud_name "unknown", so cloud_id is the platform.
            assert (v1["cloud_name"], v1["platform"], v1["cloud_id"]) == ("unknown", "nocloud", "nocloud"), v1
            # The seed's v1: DHCP and a static address on eth0, matched by MAC;
            # the bond skipped with a warning.
            assert "bond0" in proc.stderr, proc.stderr
            netplan = read(root, "etc/netplan/50-cloud-init.yaml")
            assert "dhcp4: true" in netplan and "198.18.0.77/24" in netplan and "198.18.0.53" in netplan, netplan
            assert '"%s"' % MAC in netplan and 'set-name: "eth0"' in netplan, netplan
            networkd = netplan_generate(root)
            text = "".join(networkd.values())
            assert "DHCP=ipv4" in text and "Address=198.18.0.77/24" in text and "DNS=198.18.0.53" in text, networkd
            stanza, listed = ifquery(root, "eth0")
            assert "eth0" in listed, listed
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_nocloud_without_network_config_takes_cloud_init_fallback(ctx):
    netns.require_root()
    root = make_root()
    try:
        with Topology() as t:
            peers.start_dnsmasq(t, options=["option:router,198.18.0.1"])
            # No network-config and no user-data: 404s, as http.server gives.
            server = serve_seed(t, {"meta-data": "instance-id: iid-2\n"})
            before = t.client.snapshot()
            proc = nocloud_run(t, ctx, root, "ds=nocloud-net;seedfrom=http://%s:%d/seed" % (SEED_HOST, PORT))
            assert proc.returncode == 0, (proc.returncode, proc.stderr)
            assert t.client.snapshot() == before
            # A seed URL without a trailing '/' gets one, as cloud-init adds it.
            assert all('"GET /seed/' in line for line in requests_of(server)), requests_of(server)
            meta = json.load(open(os.path.join(proc.state, "metadata.json")))
            assert meta["instance_id"] == "iid-2", meta
            assert not os.path.exists(os.path.join(proc.state, "user-data"))
            # cloud-init's fallback: dhcp4 and dhcp6 on eth0, by MAC.
            netplan = read(root, "etc/netplan/50-cloud-init.yaml")
            assert "dhcp4: true" in netplan and "dhcp6: true" in netplan and '"%s"' % MAC in netplan, netplan
            netplan_generate(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_nocloud_seed_that_metaboot_cannot_fetch_is_refused_before_any_dhcp(ctx):
    netns.require_root()
    for cmdline, code, text in (("ds=nocloud;s=https://%s/seed/" % SEED_HOST, 3, "no TLS"),
                                ("ds=nocloud;s=http://seed.example/seed/", 3, "IPv4"),
                                ("ds=nocloud;s=file:///var/seed/", 3, "file system"),
                                ("ds=nocloud", 6, "without a seed URL")):
        with Topology() as t:
            dnsmasq = peers.start_dnsmasq(t, options=["option:router,198.18.0.1"])
            before = t.client.snapshot()
            proc = nocloud_run(t, ctx, None, cmdline, "--output", "none")
            assert proc.returncode == code, (cmdline, proc.returncode, proc.stderr)
            assert text in proc.stderr, (cmdline, proc.stderr)
            assert t.client.snapshot() == before
            with open(os.path.join(dnsmasq.workdir, "log")) as f:
                assert "DHCPDISCOVER" not in f.read(), cmdline
