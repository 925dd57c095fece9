"""The teardown check of the whole run: what the kernel changes on its own
during a run is not a leftover; what differs otherwise still is.

metaboot snapshots the interfaces before the run and after its teardown
(src/net/netlink.cpp) and exits 5 when they differ. Each test here runs the
whole run in namespaces against dnsmasq and the metadata emulator, whose
user-data is dripped so that the run lasts long enough for something to
happen during it.
"""
import os
import shutil
import sys
import threading

import netns
from netns import Topology

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_run import make_root, run, serve  # noqa: E402

V = "2021-03-23"
EXIT_TEARDOWN_FAILED = 5
GLOBAL = "2001:db8::5"


def tentative(ns, dev="eth0"):
    """The addresses on dev still in duplicate address detection."""
    out = ns.run(["ip", "-6", "-o", "addr", "show", "dev", dev, "tentative"]).stdout
    return [line.split()[3].split("/")[0] for line in out.splitlines() if line.strip()]


def test_dad_ending_during_the_run_is_not_a_leftover(ctx):
    # The NIC comes up and gets a global IPv6 address just before the run, as
    # an earlier initramfs step or a console user would do. With the default
    # dad_transmits (1) and RetransTimer (1 s), and the random delay of up to
    # rtr_solicit_delay (1 s) before the probe (RFC 4862 §5.4.2), DAD of the
    # address and of the link-local one ends 1 to 2 s after. The dripped
    # user-data (34 bytes at 20 bytes/s) and local-hostname (27 bytes) keep
    # the run going about 3 s, each under the 2 s per-request timeout. When DAD
    # ends, the kernel clears the tentative flags and adds the addresses'
    # local-table routes: its own work, which must not fail the run.
    netns.require_root()
    root = make_root()
    try:
        with Topology() as t:
            serve(t, emulator_flags=["--drip", "/%s/user-data=20" % V,
                                     "--drip", "/%s/meta-data/local-hostname=20" % V])
            cli = t.client
            cli.run(["ip", "link", "set", "eth0", "up"])
            cli.run(["ip", "-6", "addr", "add", GLOBAL + "/64", "dev", "eth0"])
            assert GLOBAL in tentative(cli), "DAD over before the run: the test proves nothing"
            before = cli.snapshot()
            proc = run(t, ctx, root)
            assert tentative(cli) == [], "DAD still going after the run: %s" % tentative(cli)
            assert proc.returncode == 0, (proc.returncode, proc.stderr)
            after = cli.snapshot()
            # The run itself left nothing: the addresses are the ones from
            # before (only their flags and the kernel's routes moved).
            assert after["addrs"] == before["addrs"], (before["addrs"], after["addrs"])
    finally:
        shutil.rmtree(root, ignore_errors=True)


# A change made while the run is fetching metadata: to the teardown check it
# is indistinguishable from one metaboot failed to undo, so each must still
# fail the run. (metaboot itself leaves none; this is how the check is put to
# the test with the real kernel, netlink and binary.) The changes go to eth1,
# a NIC configured before the run that metaboot leaves alone, so that nothing
# the teardown does to the leased eth0 can wipe them out (taking eth0 down
# flushes its IPv6 addresses; removing its last IPv4 address, its routes).
LEFTOVERS = [
    ("an IPv4 address", ["ip", "addr", "add", "198.19.0.77/24", "dev", "eth1"]),
    ("a global IPv6 address", ["ip", "-6", "addr", "add", "2001:db8::77/64", "dev", "eth1", "nodad"]),
    ("a route", ["ip", "route", "add", "198.19.1.0/24", "dev", "eth1"]),
    ("an MTU", ["ip", "link", "set", "eth1", "mtu", "1400"]),
    ("an IPv4 sysctl", ["sysctl", "-qw", "net.ipv4.conf.eth1.arp_ignore=1"]),
    ("an IPv6 sysctl", ["sysctl", "-qw", "net.ipv6.conf.eth1.accept_ra=0"]),
]


def test_a_change_made_during_the_run_still_fails_the_teardown_check(ctx):
    netns.require_root()
    for what, command in LEFTOVERS:
        root = make_root()
        try:
            with Topology(nics=2) as t:
                emulator = serve(t, emulator_flags=["--drip", "/%s/user-data=20" % V])
                cli = t.client
                # eth1 as an earlier step leaves a NIC: up, an IPv4 address
                # and no route to the metadata service, so metaboot leaves it
                # as it is and leases eth0; and settled (DAD of its link-local
                # address over).
                cli.run(["ip", "link", "set", "eth1", "up"])
                cli.run(["ip", "addr", "add", "198.19.2.2/24", "dev", "eth1"])
                netns.wait_for(lambda: tentative(cli, "eth1") == [], timeout=5, what="DAD of the link-local address")
                changed = threading.Event()

                def change_once_fetching():
                    # The first request in the log: the lease is applied and
                    # the user-data drip (1.7 s) is still ahead.
                    netns.wait_for(lambda: os.path.exists(emulator.request_log) and os.path.getsize(emulator.request_log) > 0,
                                   timeout=10, what="the first metadata request")
                    cli.run(command)
                    changed.set()

                changer = threading.Thread(target=change_once_fetching, daemon=True)
                changer.start()
                proc = run(t, ctx, root)
                changer.join(10)
                assert changed.is_set(), "%s: the change was not made" % what
                assert proc.result and proc.result["lease"]["interface"] == "eth0", (what, proc.stderr)
                assert proc.returncode == EXIT_TEARDOWN_FAILED, "%s: exit %d: %s" % (what, proc.returncode, proc.stderr)
                assert "teardown: the interfaces differ from before the run" in proc.stderr, (what, proc.stderr)
        finally:
            shutil.rmtree(root, ignore_errors=True)
