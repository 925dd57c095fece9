"""Scaleway end to end in namespaces, with tests/tools/scaleway_emulator.py:
over IPv4, dnsmasq leases eth0 a fixed address with a router, 198.18.0.1,
named only through a classless route to another subnet, and the service
sits at 169.254.42.42 on the router's loopback, reached only through the
host route the row's first reach kind (routed) adds; over IPv6 only, no
DHCPv4 server, radvd advertises fd00:42::/64 and the service is at
fd00:42::42, reached by the row's second kind (slaac) after the first gives
up. No --metadata-url and no --reach: the row's. Checked: the files
(netplan generate, ifquery), the user-data read from a port below 1024,
that nothing but GETs reached the service (never PATCH /state), and the
client namespace, sysctls included, as it was."""
import json
import os
import shutil
import sys
import socket
import tempfile

import netns
import peers
from netns import Topology

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_digitalocean import MAC1, requests_of
from test_reach_kinds import RADVD, state
from test_run import IFUPDOWN, NETPLAN, ifquery, make_root, netplan_generate, read, run

EMULATOR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools", "scaleway_emulator.py")
LEASED = "198.18.0.150"


def start_scaleway(t, bind, *flags):
    log = tempfile.mktemp(prefix="mbt-scw-", suffix=".log")
    proc = t.server.popen(["python3", EMULATOR, "--bind", bind, "--port", "80", "--log", log] + list(flags))
    if ":" in bind:
        netns.wait_for(lambda: t.server.run(["ss", "-Hltn6", "sport", "= :80"], check=False).stdout.strip(), 5.0, what="[%s]:80" % bind)
    else:
        netns.wait_port(t.server, bind, 80)
    proc.request_log = log
    return proc


def ipv4_service(t, *flags):
    t.server.run(["ip", "addr", "add", "169.254.42.42/32", "dev", "lo"])
    peers.start_dnsmasq(t, options=["option:router,198.18.0.1", "option:classless-static-route,198.18.2.0/24,198.18.0.1"],
                        extra=["--dhcp-host=%s,%s" % (MAC1, LEASED)])
    return start_scaleway(t, "169.254.42.42", "--public-ipv4", LEASED, *flags)


def only_gets(emulator, count):
    # It logs after answering: the last line can trail metaboot's exit.
    netns.wait_for(lambda: len(requests_of(emulator)) >= count, 5.0, what="%d logged requests" % count)
    requests = requests_of(emulator)
    assert requests and all(r["method"] == "GET" and not r["forbidden"] for r in requests), requests
    return requests


def test_scaleway_over_ipv4_routed_ips_user_data_from_a_privileged_port(ctx):
    netns.require_root()
    root = make_root()
    try:
        with Topology(nics=1) as t:
            emulator = ipv4_service(t)
            before = t.client.snapshot()
            proc = run(t, ctx, root, "--provider", "scaleway")
            assert proc.returncode == 0, proc.stderr
            assert proc.result["lease"]["reach"] == "routed" and proc.result["lease"]["address"] == LEASED, proc.result["lease"]
            assert t.client.snapshot() == before
            netplan = read(root, NETPLAN)
            # The lease's address by DHCP, the metadata route on-link, the
            # other public addresses static with IPv6's default route.
            assert "dhcp4: true" in netplan and '"198.18.41.20/32"' in netplan and '"2001:db8:42:7::1/64"' in netplan, netplan
            assert '- to: "169.254.42.42/32"\n          via: "62.210.0.1"\n          on-link: true' in netplan, netplan
            assert LEASED + "/" not in netplan, netplan
            networkd = netplan_generate(root)
            eth0 = [text for name, text in networkd.items() if name.endswith("eth0.network")]
            assert eth0 and "GatewayOnLink=true" in eth0[0] and "Destination=169.254.42.42/32" in eth0[0], networkd
            out, listed = ifquery(root, "eth0")
            assert listed == ["lo", "eth0"], listed
            assert "169.254.42.42/32 via 62.210.0.1 onlink dev eth0" in read(root, IFUPDOWN)
            assert read(proc.state, "user-data") == "#cloud-config\nhostname: emulated-scaleway\n"
            meta = json.load(open(os.path.join(proc.state, "metadata.json")))
            assert meta["instance_id"] == "5a2e5c87-0b5e-4d7e-9a2b-0a3f0e6a9c11" and len(meta["public_keys"]) == 2, meta
            data = json.load(open(os.path.join(proc.state, "instance-data.json")))
            assert data["v1"]["cloud_name"] == "scaleway" and "169.254.42.42" in data["v1"]["subplatform"], data["v1"]
            requests = only_gets(emulator, 2)
            assert [(r["path"], r["status"]) for r in requests] == [("/conf?format=json", 200), ("/user_data/cloud-init", 200)], requests
            assert all(r["source_port"] < 1024 for r in requests), requests
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_scaleway_legacy_config_dhcp_and_static_ipv6(ctx):
    netns.require_root()
    root = make_root()
    try:
        with Topology(nics=1) as t:
            emulator = ipv4_service(t, "--legacy", "--no-user-data")
            before = t.client.snapshot()
            proc = run(t, ctx, root, "--provider", "scaleway", "--output", "netplan")
            assert proc.returncode == 0, proc.stderr
            netplan = read(root, NETPLAN)
            assert "dhcp4: true" in netplan and '"2001:db8:43::1/127"' in netplan and 'via: "2001:db8:43::"' in netplan, netplan
            assert "169.254.42.42" not in netplan, netplan
            assert not os.path.exists(os.path.join(proc.state, "user-data"))
            assert [r["status"] for r in only_gets(emulator, 2)] == [200, 404]
            assert t.client.snapshot() == before
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_scaleway_ipv6_only_after_dhcpv4_gives_up(ctx):
    netns.require_root()
    if not os.path.exists(RADVD):
        raise netns.Skip("radvd is not installed (scripts/test-packages.txt)")
    work = tempfile.mkdtemp(prefix="mbt-radvd-")
    root = make_root()
    try:
        with Topology(nics=1) as t:
            peers.start_radvd(t, "fd00:42::42/64", "fd00:42::/64", work)
            emulator = start_scaleway(t, "fd00:42::42", "--no-ipv4")
            t.client.run(["sysctl", "-qw", "net.ipv6.conf.eth0.accept_ra=0"])
            before = state(t)
            proc = run(t, ctx, root, "--provider", "scaleway", "--output", "netplan", "--verbose", timeout="20")
            assert proc.returncode == 0, proc.stderr
            assert proc.result["lease"]["reach"] == "slaac", proc.result["lease"]
            assert "routed: no DHCP lease" in proc.stderr, proc.stderr
            # The non-last kind's bound, not the whole deadline.
            assert proc.elapsed < 12, proc.elapsed
            netplan = read(root, NETPLAN)
            assert "dhcp4: false" in netplan and '"2001:db8:42:7::1/64"' in netplan and "169.254.42.42" not in netplan, netplan
            requests = only_gets(emulator, 2)
            assert {r["host"] for r in requests} == {"[fd00:42::42]"}, requests
            assert all(r["source_port"] < 1024 for r in requests), requests
            after = state(t)
            assert after == before, (before, after)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(root, ignore_errors=True)


def test_scaleway_emulator_answers_user_data_only_to_a_privileged_port():
    """The emulator's rule itself, from the server namespace over its own
    loopback copy of the address: an unprivileged port gets 403."""
    netns.require_root()
    with Topology(nics=1) as t:
        t.server.run(["ip", "addr", "add", "169.254.42.42/32", "dev", "lo"])
        emulator = start_scaleway(t, "169.254.42.42")
        probe = ("import socket,sys\n"
                 "s=socket.socket()\n"
                 "s.bind(('169.254.42.42', int(sys.argv[1])))\n"
                 "s.connect(('169.254.42.42', 80))\n"
                 "s.sendall(b'GET /user_data/cloud-init HTTP/1.1\\r\\nHost: 169.254.42.42\\r\\nConnection: close\\r\\n\\r\\n')\n"
                 "reply=b''\n"
                 "while True:\n"
                 "    part=s.recv(4096)\n"
                 "    if not part: break\n"
                 "    reply+=part\n"
                 "print(reply.split(b' ')[1].decode())\n")
        high = t.server.run(["python3", "-c", probe, "40000"]).stdout.strip()
        low = t.server.run(["python3", "-c", probe, "999"]).stdout.strip()
        assert (high, low) == ("403", "200"), (high, low)
        netns.wait_for(lambda: len(requests_of(emulator)) >= 2, 5.0, what="2 logged requests")
        assert [r["status"] for r in requests_of(emulator)] == [403, 200]
