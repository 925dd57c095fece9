"""Links that must get no DHCP (issue: networks as they really are): bridge
ports and other enslaved links, and a second link with the MAC of another.
Each run is in namespaces; the client namespace must be as it was after."""
import os
import shutil

import netns
import peers
from netns import Topology
from test_run import make_root, read, run, serve, NETPLAN


def rx_packets(ns, dev):
    return int(ns.run(["cat", "/sys/class/net/%s/statistics/rx_packets" % dev]).stdout)


def test_a_bridge_port_gets_no_dhcp(ctx):
    netns.require_root()
    root = make_root()
    try:
        with Topology(nics=2) as t:
            serve(t, nics=2)
            t.client.run(["ip", "link", "add", "br0", "type", "bridge"])
            t.client.run(["ip", "link", "set", "eth1", "master", "br0"])
            before = t.client.snapshot()
            seen = rx_packets(t.server, "veth1")
            proc = run(t, ctx, root, "--verbose")
            assert proc.returncode == 0, proc.stderr
            assert proc.result["lease"]["interface"] == "eth0"
            # Not one frame from the bridge port: it was never brought up.
            assert rx_packets(t.server, "veth1") == seen
            assert "eth1: no DHCP: enslaved to ifindex" in proc.stderr, proc.stderr
            assert "br0: no DHCP: a software device (bridge)" in proc.stderr, proc.stderr
            # The port is not named in the real root's config either.
            text = read(root, NETPLAN)
            assert "eth1" not in text and "eth0" in text, text
            assert t.client.snapshot() == before
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_two_links_with_one_mac_take_one_lease_and_write(ctx):
    netns.require_root()
    root = make_root()
    try:
        mac = "02:00:00:00:00:01"
        with Topology(nics=2, macs=[mac, mac]) as t:
            serve(t, nics=2)
            before = t.client.snapshot()
            seen = rx_packets(t.server, "veth1")
            proc = run(t, ctx, root, "--verbose")
            assert proc.returncode == 0, (proc.returncode, proc.stderr)
            assert proc.result["lease"]["interface"] == "eth0"
            assert rx_packets(t.server, "veth1") == seen
            assert "eth1: no DHCP: same MAC as eth0, which is configured instead" in proc.stderr, proc.stderr
            text = read(root, NETPLAN)
            assert text.count('macaddress: "%s"' % mac) == 1, text
            assert "set-name: \"eth0\"" in text, text
            assert t.client.snapshot() == before
    finally:
        shutil.rmtree(root, ignore_errors=True)
