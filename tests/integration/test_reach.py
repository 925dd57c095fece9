"""Reaching the metadata service as real networks behave: the carrier waits
run in parallel, and a lease from a network without the metadata service is
given up for the next one. In namespaces; each client namespace must be as it
was after the run."""
import shutil
import time
import types

import netns
import peers
from netns import Topology
from test_dhcp import lease
from test_run import make_root, run


def test_a_nic_without_carrier_listed_first_holds_back_no_other(ctx):
    netns.require_root()
    with Topology(nics=2) as t:
        # eth0's peer is down, so eth0 never gets carrier.
        t.server.run(["ip", "link", "set", "veth0", "down"])
        peers.start_dnsmasq(t, iface="veth1", subnet=1)
        before = t.client.snapshot()
        # Before the carrier waits ran in parallel, eth0's wait used up the
        # whole deadline and nothing was ever sent on eth1.
        data, proc, _ = lease(t, ctx, timeout="4")
        assert data["interface"] == "eth1", (data, proc.stderr)
        assert t.client.snapshot() == before


def test_no_carrier_anywhere_gives_up_within_the_carrier_bound(ctx):
    netns.require_root()
    with Topology(nics=2) as t:
        for dev in ("veth0", "veth1"):
            t.server.run(["ip", "link", "set", dev, "down"])
        before = t.client.snapshot()
        _, proc, elapsed = lease(t, ctx, timeout="60", check_exit=2)
        assert "no carrier on any interface" in proc.stderr, proc.stderr
        # The documented bound is 5 s from the links coming up; the deadline
        # (60 s) is not waited for.
        assert elapsed < 30, elapsed
        assert t.client.snapshot() == before


def test_a_private_network_answering_first_is_given_up_for_the_one_with_metadata(ctx):
    netns.require_root()
    root = make_root()
    try:
        with Topology(nics=1) as t:
            # eth1 leads to a private network of its own: a DHCP server that
            # answers at once, a router that does not reach 169.254.169.254.
            private = t.add_namespace("prv")
            netns.run(["ip", "link", "add", "pveth1", "netns", private.name, "type", "veth",
                       "peer", "name", "eth1", "netns", t.client.name])
            t.client.run(["ip", "link", "set", "eth1", "address", "02:00:00:00:01:01"])
            private.run(["ip", "link", "set", "pveth1", "up"])
            private.run(["ip", "addr", "add", "198.18.1.1/24", "dev", "pveth1"])
            peers.start_dnsmasq(types.SimpleNamespace(server=private), iface="pveth1", subnet=1,
                                options=["option:router,198.18.1.1"])
            # The metadata network's own DHCP server answers a second later.
            peers.start_dnsmasq(t, options=["option:router,198.18.0.1"], extra=["--dhcp-reply-delay=1"])
            peers.start_emulator(t, "--nics", "1")
            before = t.client.snapshot()
            proc = run(t, ctx, root, "--verbose", timeout="15")
            assert proc.returncode == 0, (proc.returncode, proc.stderr)
            assert proc.result["lease"]["interface"] == "eth0", proc.result["lease"]
            assert "eth1: the metadata service is not reachable through this lease" in proc.stderr, proc.stderr
            assert proc.result["metadata"]["instance_id"]
            assert t.client.snapshot() == before
    finally:
        shutil.rmtree(root, ignore_errors=True)
