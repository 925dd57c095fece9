"""The reach kinds without a plain DHCPv4 lease (issue 14), each in
namespaces with a real peer, each ending with the client namespace as it
was: links, addresses (IPv6 too), routes, rules and the link's IPv4 and IPv6
sysctls. The service lives only in the test's server namespace."""
import ipaddress
import json
import os
import shutil
import signal
import tempfile

import netns
import peers
from netns import Topology
from test_run import run

RADVD = peers.RADVD


def state(t, dev="eth0"):
    """The client namespace's snapshot plus every sysctl of the link."""
    snap = t.client.snapshot()
    out = t.client.run(["sh", "-c", "grep -rs . /proc/sys/net/ipv6/conf/%s /proc/sys/net/ipv4/conf/%s" % (dev, dev)],
                       check=False).stdout
    snap["sysctls"] = sorted(out.splitlines())
    return snap


def run_reach(t, ctx, *flags, timeout="10"):
    return run(t, ctx, None, "--output", "none", "--verbose", *flags, timeout=timeout)


def on_link_service(t):
    """The service on the server's side of the link, as DigitalOcean's is:
    169.254.169.254 with 169.254.0.0/16 on-link (Topology adds the /32)."""
    t.server.run(["ip", "route", "add", "169.254.0.0/16", "dev", "veth0"])
    peers.start_emulator(t, "--nics", "1")


def test_ipv4_link_local_without_dhcp_and_a_taken_address_given_up(ctx):
    netns.require_root()
    with Topology(nics=1) as t:
        on_link_service(t)
        before = state(t)
        proc = run_reach(t, ctx, "--reach", "ipv4ll")
        assert proc.returncode == 0, (proc.returncode, proc.stderr)
        lease = proc.result["lease"]
        assert lease["reach"] == "ipv4ll" and lease["prefix"] == 16, lease
        first = ipaddress.ip_address(lease["address"])
        # RFC 3927 §2.1's range, and never the cloud services' /24.
        assert ipaddress.ip_address("169.254.1.0") <= first <= ipaddress.ip_address("169.254.254.255"), first
        assert not str(first).startswith("169.254.169."), first
        assert proc.result["metadata"]["instance_id"]
        assert state(t) == before

        # The same MAC picks the same first candidate (§2.1); now the peer
        # holds it, its kernel answers the probe, and another one is taken.
        t.server.run(["ip", "addr", "add", "%s/32" % first, "dev", "veth0"])
        proc = run_reach(t, ctx, "--reach", "ipv4ll")
        assert proc.returncode == 0, (proc.returncode, proc.stderr)
        assert proc.result["lease"]["address"] != str(first), proc.result["lease"]
        assert "%s is in use on the link" % first in proc.stderr, proc.stderr
        assert state(t) == before


def test_ipv4_link_local_first_and_dhcp_when_it_fails(ctx):
    netns.require_root()
    with Topology(nics=1) as t:
        # No service on the link-local network, but a DHCP server: the
        # order ipv4ll,dhcp4 ends on the lease, the link-local address gone.
        peers.start_dnsmasq(t, options=["option:router,198.18.0.1"])
        peers.start_emulator(t, "--nics", "1", bind="198.18.0.1")
        before = state(t)
        proc = run_reach(t, ctx, "--reach", "ipv4ll,dhcp4", "--metadata-url", "http://198.18.0.1", timeout="15")
        assert proc.returncode == 0, (proc.returncode, proc.stderr)
        assert proc.result["lease"]["reach"] == "dhcp4", proc.result["lease"]
        assert "ipv4ll: the metadata service is not reachable" in proc.stderr, proc.stderr
        assert state(t) == before


def test_ipv6_link_local_service_at_a_scoped_address(ctx):
    netns.require_root()
    with Topology(nics=1) as t:
        # Hetzner's service: fe80::a9fe:a9fe on the peer's side of the link.
        t.server.run(["ip", "addr", "add", "fe80::a9fe:a9fe/64", "dev", "veth0", "nodad"])
        peers.start_emulator(t, "--nics", "1", bind="fe80::a9fe:a9fe%veth0")
        before = state(t)
        proc = run_reach(t, ctx, "--reach", "ipv6ll", "--metadata-url", "http://[fe80::a9fe:a9fe]")
        assert proc.returncode == 0, (proc.returncode, proc.stderr)
        assert proc.result["lease"]["reach"] == "ipv6ll", proc.result["lease"]
        assert proc.result["metadata"]["instance_id"]
        # RFC 9110 §7.2 with RFC 3986's brackets, and no zone (RFC 6874 §4).
        with open(peers_log(t)) as f:
            hosts = {json.loads(line)["host"] for line in f}
        assert hosts == {"[fe80::a9fe:a9fe]"}, hosts
        assert state(t) == before


def test_ipv6_link_local_on_a_link_already_up_removes_its_address(ctx):
    # The link stays up after the run, so only the journal removes the
    # address metaboot added (a downed link would drop it by itself).
    netns.require_root()
    with Topology(nics=1) as t:
        t.server.run(["ip", "addr", "add", "fe80::a9fe:a9fe/64", "dev", "veth0", "nodad"])
        peers.start_emulator(t, "--nics", "1", bind="fe80::a9fe:a9fe%veth0")
        t.client.run(["ip", "link", "set", "eth0", "up"])
        # Its own link-local address through DAD first (its local route
        # comes when DAD ends): the kernel's change, not the run's.
        def settled():
            out = t.client.run(["ip", "-6", "addr", "show", "dev", "eth0"]).stdout
            return "fe80::" in out and "tentative" not in out
        netns.wait_for(settled, timeout=10, what="the kernel's link-local address past DAD")
        before = state(t)
        proc = run_reach(t, ctx, "--reach", "ipv6ll", "--metadata-url", "http://[fe80::a9fe:a9fe]")
        assert proc.returncode == 0, (proc.returncode, proc.stderr)
        assert state(t) == before


def peers_log(t):
    return [p for p in t.procs if hasattr(p, "request_log")][0].request_log


def test_slaac_to_a_ula_service_with_radvd(ctx):
    netns.require_root()
    if not os.path.exists(RADVD):
        raise netns.Skip("radvd is not installed (scripts/test-packages.txt)")
    work = tempfile.mkdtemp(prefix="mbt-radvd-")
    try:
        with Topology(nics=1) as t:
            # EC2's IPv6-only service, fd00:ec2::254, on a router that
            # advertises fd00:ec2::/64 with radvd's defaults.
            peers.start_radvd(t, "fd00:ec2::254/64", "fd00:ec2::/64", work)
            peers.start_emulator(t, "--nics", "1", bind="fd00:ec2::254")
            # An image that turned router advertisements off: metaboot turns
            # them on for the run and back off.
            t.client.run(["sysctl", "-qw", "net.ipv6.conf.eth0.accept_ra=0"])
            before = state(t)
            proc = run_reach(t, ctx, "--reach", "slaac", "--metadata-url", "http://[fd00:ec2::254]", timeout="15")
            assert proc.returncode == 0, (proc.returncode, proc.stderr)
            assert proc.result["lease"]["reach"] == "slaac", proc.result["lease"]
            assert proc.result["metadata"]["instance_id"]
            after = state(t)
            assert after == before, (before, after)
            assert "/proc/sys/net/ipv6/conf/eth0/accept_ra:0" in after["sysctls"]
    finally:
        shutil.rmtree(work, ignore_errors=True)


def routed_topology(t):
    """Alibaba's service, 100.100.100.200, on the router's loopback; the
    lease names the router only through a classless route to another
    subnet, so RFC 3442 leaves no default route (option 3 is ignored)."""
    t.server.run(["ip", "addr", "add", "100.100.100.200/32", "dev", "lo"])
    peers.start_dnsmasq(t, options=["option:router,198.18.0.1", "option:classless-static-route,198.18.2.0/24,198.18.0.1"])
    peers.start_emulator(t, "--nics", "1", bind="100.100.100.200")


def test_routed_service_through_the_leases_router(ctx):
    netns.require_root()
    with Topology(nics=1) as t:
        routed_topology(t)
        before = state(t)
        proc = run_reach(t, ctx, "--reach", "routed", "--metadata-url", "http://100.100.100.200")
        assert proc.returncode == 0, (proc.returncode, proc.stderr)
        assert proc.result["lease"]["reach"] == "routed", proc.result["lease"]
        assert proc.result["metadata"]["instance_id"]
        assert state(t) == before


def test_without_the_host_route_the_routed_service_is_not_reached(ctx):
    # The control of the test above: the plain lease has no route to it.
    netns.require_root()
    with Topology(nics=1) as t:
        routed_topology(t)
        before = state(t)
        proc = run_reach(t, ctx, "--reach", "dhcp4", "--metadata-url", "http://100.100.100.200", timeout="3")
        assert proc.returncode == 3, (proc.returncode, proc.stderr)
        assert state(t) == before


def test_slaac_without_a_router_gives_up_with_every_sysctl_restored(ctx):
    netns.require_root()
    with Topology(nics=1) as t:
        t.client.run(["sysctl", "-qw", "net.ipv6.conf.eth0.accept_ra=0"])
        before = state(t)
        proc = run_reach(t, ctx, "--reach", "slaac", "--metadata-url", "http://[fd00:ec2::254]", timeout="2")
        assert proc.returncode == 2, (proc.returncode, proc.stderr)
        assert "no address from a router advertisement" in proc.stderr, proc.stderr
        assert state(t) == before


def test_a_signal_while_waiting_for_slaac_restores_every_sysctl(ctx):
    netns.require_root()
    with Topology(nics=1) as t:
        t.client.run(["sysctl", "-qw", "net.ipv6.conf.eth0.accept_ra=0"])
        before = state(t)
        proc = t.client.popen([ctx["binary"], "--provider", "ec2", "--output", "none", "--reach", "slaac",
                               "--metadata-url", "http://[fd00:ec2::254]", "--timeout", "30"])
        # Held waiting for an advertisement that never comes, with the
        # run's sysctls in place.
        netns.wait_for(lambda: t.client.run(["sysctl", "-n", "net.ipv6.conf.eth0.accept_ra"]).stdout.strip() == "2",
                       timeout=10, what="accept_ra set for the run")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 128 + signal.SIGTERM
        assert state(t) == before


def test_slaac_on_a_link_up_before_the_run_with_advertisements_off_is_left_alone(ctx):
    # Restoring accept_ra would not take back an address SLAAC formed on a
    # link that stays up: metaboot must not turn SLAAC on there.
    netns.require_root()
    if not os.path.exists(RADVD):
        raise netns.Skip("radvd is not installed (scripts/test-packages.txt)")
    work = tempfile.mkdtemp(prefix="mbt-radvd-")
    try:
        with Topology(nics=1) as t:
            # Unsolicited advertisements every few seconds (the link's own
            # solicitation is long past): were SLAAC turned on, one would
            # come during the run and leave its address behind.
            peers.start_radvd(t, "fd00:ec2::254/64", "fd00:ec2::/64", work,
                              options="  MinRtrAdvInterval 3;\n  MaxRtrAdvInterval 4;\n")
            t.client.run(["sysctl", "-qw", "net.ipv6.conf.eth0.accept_ra=0"])
            t.client.run(["ip", "link", "set", "eth0", "up"])
            def settled():
                out = t.client.run(["ip", "-6", "addr", "show", "dev", "eth0"]).stdout
                return "fe80::" in out and "tentative" not in out
            netns.wait_for(settled, timeout=10, what="the kernel's link-local address past DAD")
            before = state(t)
            proc = run_reach(t, ctx, "--reach", "slaac", "--metadata-url", "http://[fd00:ec2::254]", timeout="8")
            assert proc.returncode == 2, (proc.returncode, proc.stderr)
            assert "up before the run with SLAAC off" in proc.stderr, proc.stderr
            assert state(t) == before
    finally:
        shutil.rmtree(work, ignore_errors=True)
