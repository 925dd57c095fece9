"""EC2 on an IPv6-only subnet, in namespaces: no DHCPv4 server, radvd
advertises fd00:ec2::/64 and the emulator serves IMDS at fd00:ec2::254. The
EC2 row tries DHCPv4 first (the common case, unchanged: one kind's cost)
and, when no lease comes within the non-last kind's bound, SLAAC to
http://[fd00:ec2::254], as cloud-init's Ec2 metadata_urls list it. No
--metadata-url and no --reach: the row's. The client namespace, sysctls
included, ends as it was."""
import os
import shutil
import sys
import tempfile

import netns
import peers
from netns import Topology

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_digitalocean import requests_of
from test_reach_kinds import RADVD, state
from test_run import NETPLAN, make_root, read, run


def test_ec2_ipv6_only_subnet_reached_by_slaac(ctx):
    netns.require_root()
    if not os.path.exists(RADVD):
        raise netns.Skip("radvd is not installed (scripts/test-packages.txt)")
    work = tempfile.mkdtemp(prefix="mbt-radvd-")
    root = make_root()
    try:
        with Topology(nics=1) as t:
            peers.start_radvd(t, "fd00:ec2::254/64", "fd00:ec2::/64", work)
            emulator = peers.start_emulator(t, "--nics", "1", "--tokens", "required", bind="fd00:ec2::254")
            before = state(t)
            proc = run(t, ctx, root, "--output", "netplan", "--verbose", timeout="20")
            assert proc.returncode == 0, proc.stderr
            assert proc.result["lease"]["reach"] == "slaac", proc.result["lease"]
            assert proc.elapsed < 12, proc.elapsed
            assert "02:00:00:00:00:01" in read(root, NETPLAN)
            netns.wait_for(lambda: len(requests_of(emulator)) >= 3, 5.0, what="logged requests")
            hosts = {r["host"] for r in requests_of(emulator)}
            assert hosts == {"[fd00:ec2::254]"}, hosts
            after = state(t)
            assert after == before, (before, after)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(root, ignore_errors=True)
