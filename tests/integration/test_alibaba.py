"""Alibaba Cloud ECS end to end in namespaces: dnsmasq leases 198.18.0.x with
a router, 198.18.0.1, named only through a classless route to another
subnet (no default route, RFC 3442), so 100.100.100.200 on the router's
loopback is reached only through the host route the row's reach kind
(routed) adds; the emulator (imds_emulator.py --alibaba) serves the token
under Alibaba's names and meta-data/all there. No --metadata-url and no
--reach: the row's. Checked: the files (netplan generate, ifquery), the
state, the requests (the token PUT, GETs), and the client namespace as it
was."""
import json
import os
import shutil
import sys

import netns
import peers
from netns import Topology

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_digitalocean import MAC1, MAC2, requests_of, section
from test_run import IFUPDOWN, NETPLAN, ifquery, make_root, netplan_generate, read, run

SERVICE = "100.100.100.200"


def logged(emulator, count):
    """The emulator's log once it holds `count` requests: it logs after
    answering, so the last line can trail metaboot's exit."""
    netns.wait_for(lambda: len(requests_of(emulator)) >= count, 5.0, what="%d logged requests" % count)
    return requests_of(emulator)


def routed_service(t, *flags):
    t.server.run(["ip", "addr", "add", SERVICE + "/32", "dev", "lo"])
    peers.start_dnsmasq(t, options=["option:router,198.18.0.1", "option:classless-static-route,198.18.2.0/24,198.18.0.1"])
    return peers.start_emulator(t, "--alibaba", "--tokens", "required", *flags, bind=SERVICE)


def test_alibaba_full_run_two_nics_through_the_routed_service(ctx):
    netns.require_root()
    root = make_root()
    try:
        with Topology(nics=2) as t:
            emulator = routed_service(t, "--nics", "2")
            before = t.client.snapshot()
            proc = run(t, ctx, root, "--provider", "alibaba")
            assert proc.returncode == 0, proc.stderr
            assert proc.result["lease"]["reach"] == "routed", proc.result["lease"]
            assert t.client.snapshot() == before
            netplan = read(root, NETPLAN)
            eth0, eth1 = section(netplan, "eth0", "eth1"), section(netplan, "eth1")
            # cloud-init's convert_ecs_metadata_network_config: in name
            # order, metrics 100 and 200, DHCPv6 where ipv6s.
            assert '"%s"' % MAC1 in eth0 and "route-metric: 100" in eth0 and "dhcp6: true" in eth0, netplan
            assert '"%s"' % MAC2 in eth1 and "route-metric: 200" in eth1, netplan
            assert "routing-policy" not in netplan, netplan
            networkd = netplan_generate(root)
            assert any(name.endswith("eth1.network") for name in networkd), networkd
            _, listed = ifquery(root, "eth1")
            assert listed == ["lo", "eth0", "eth1"], listed
            meta = json.load(open(os.path.join(proc.state, "metadata.json")))
            assert meta["instance_id"] == "i-0123456789abcdef0" and meta["hostname"] == "ip-198-18-0-10.ec2.internal", meta
            data = json.load(open(os.path.join(proc.state, "instance-data.json")))
            assert data["v1"]["cloud_name"] == "aliyun" and data["v1"]["platform"] == "aliyun", data["v1"]
            assert "100.100.100.200" in data["v1"]["subplatform"], data["v1"]
            requests = [(r["method"], r["path"], r["status"], r["token"], r["host"]) for r in logged(emulator, 3)]
            assert requests == [("PUT", "/latest/api/token", 200, False, SERVICE),
                                ("GET", "/2016-01-01/meta-data/all", 200, True, SERVICE),
                                ("GET", "/2016-01-01/user-data", 200, True, SERVICE)], requests
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_alibaba_service_turned_off_is_no_metadata_and_nothing_written(ctx):
    netns.require_root()
    root = make_root()
    try:
        with Topology(nics=1) as t:
            emulator = routed_service(t, "--tokens", "disabled")
            before = t.client.snapshot()
            proc = run(t, ctx, root, "--provider", "alibaba")
            assert proc.returncode == 3, proc.stderr
            assert "403" in proc.stderr, proc.stderr
            assert not os.path.exists(os.path.join(root, NETPLAN)), os.listdir(root)
            assert [(r["method"], r["path"]) for r in logged(emulator, 1)] == [("PUT", "/latest/api/token")]
            assert t.client.snapshot() == before
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_alibaba_older_service_without_meta_data_all_is_no_metadata(ctx):
    """cloud-init reads EC2's tree key by key there; metaboot does not
    (src/clouds/alibaba/detect.cpp says why) and writes nothing."""
    netns.require_root()
    root = make_root()
    try:
        with Topology(nics=1) as t:
            emulator = routed_service(t, "--alibaba-no-all")
            before = t.client.snapshot()
            proc = run(t, ctx, root, "--provider", "alibaba", "--output", "netplan")
            assert proc.returncode == 3, proc.stderr
            assert "meta-data/all" in proc.stderr, proc.stderr
            assert not os.path.exists(os.path.join(root, NETPLAN))
            assert [(r["method"], r["path"], r["status"]) for r in logged(emulator, 2)] == [
                ("PUT", "/latest/api/token", 200), ("GET", "/2016-01-01/meta-data/all", 404)]
            assert t.client.snapshot() == before
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_alibaba_metadata_url_given_wins_over_the_rows(ctx):
    """--metadata-url names the service for every reach kind: here the
    emulator on 169.254.169.254, on the link, and nothing at the row's
    100.100.100.200."""
    netns.require_root()
    with Topology(nics=1) as t:
        peers.start_dnsmasq(t, options=["option:router,198.18.0.1"])
        emulator = peers.start_emulator(t, "--alibaba", "--tokens", "required")
        before = t.client.snapshot()
        proc = run(t, ctx, None, "--provider", "alibaba", "--output", "none", "--metadata-url", "http://169.254.169.254")
        assert proc.returncode == 0, proc.stderr
        assert {r["host"] for r in logged(emulator, 3)} == {"169.254.169.254"}
        assert t.client.snapshot() == before
