"""The ifupdown file metaboot writes, brought up by the real ifupdown and the
real dhclient in the client namespace, after metaboot has torn its lease down.

cloud-init's `iface X inet6 dhcp` runs `dhclient -6` in the foreground, so with
no DHCPv6 server `ifup` (and networking.service, and network-online.target)
waits for minutes. metaboot's stanza starts DHCPv6 in the background:
- with no DHCPv6 server, `ifup` returns as soon as IPv4 is up, while the same
  interface with cloud-init's stanza is still inside `ifup` when the test gives
  up on it;
- with a DHCPv6 server (dnsmasq, stateful, with router advertisements), the
  address still arrives, and `ifdown` releases it.
The same for stateless DHCPv6 (UpCloud's IPv6): cloud-init's `inet6 auto`
with `dhcp 1` runs `dhclient -6 -1 -S` in the foreground, a minute with no
server; metaboot's runs it in the background, and with dnsmasq's stateless
RA and DHCPv6 the SLAAC address and the DHCPv6 DNS server still arrive.

Isolation: ifup and dhclient run in the client namespace, inside a private
mount and UTS namespace with their own /run, /var/lib/dhcp, resolv.conf and
hostname, and without the host's if-up.d scripts (--no-scripts); every
process they leave is killed with the namespaces.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import json

import netns
import peers
from netns import Topology
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_run import IFUPDOWN, make_root, run  # noqa: E402

# Everything here is ours: a tmpfs /run (pid files, ifupdown state), a tmpfs
# /var/lib/dhcp (leases), a resolv.conf and hostname that die with the
# namespace. Then ifup; then, after the checks, ifdown.
SCRIPT = r"""
set -u
mount -t tmpfs tmpfs /run && mount -t tmpfs tmpfs /var/lib/dhcp || exit 90
: > /run/resolv.conf && mount --bind /run/resolv.conf /etc/resolv.conf || exit 91
hostname mbt-ifupdown
mkdir /run/ifstate
start=$(date +%s.%N)
timeout -k 3 {limit} ifup --no-scripts -i {interfaces} --state-dir /run/ifstate eth0 > /run/ifup.log 2>&1
rc=$?
end=$(date +%s.%N)
echo "IFUP rc=$rc seconds=$(echo "$end - $start" | bc)"
if [ -n "{wait_v6}" ]; then
    i=0
    while [ $i -lt 150 ] && ! ip -6 -o addr show dev eth0 scope global | grep -q "{wait_v6}"; do sleep 0.1; i=$((i + 1)); done
fi
if [ -n "{wait_dns}" ]; then
    i=0
    while [ $i -lt 150 ] && ! grep -q "{wait_dns}" /run/resolv.conf; do sleep 0.1; i=$((i + 1)); done
fi
echo "RESOLV $(tr '\n' ' ' < /run/resolv.conf)"
echo "ADDRS $(ip -o addr show dev eth0 | awk '{{print $4}}' | tr '\n' ' ')"
me=$(readlink /proc/self/ns/net)
dhclients() {{
    for d in /proc/[0-9]*; do
        [ "$(readlink "$d/ns/net" 2>/dev/null)" = "$me" ] && [ "$(cat "$d/comm" 2>/dev/null)" = dhclient ] || continue
        echo "DHCLIENT $(tr '\0' ' ' < "$d/cmdline")"
    done
}}
# The background DHCPv6 client starts once the link-local address is usable.
i=0
while [ $i -lt 100 ] && ! dhclients | grep -q "dhclient -6"; do sleep 0.1; i=$((i + 1)); done
dhclients
if [ $rc -eq 0 ]; then
    timeout 20 ifdown --no-scripts -i {interfaces} --state-dir /run/ifstate eth0 > /run/ifdown.log 2>&1
    echo "IFDOWN rc=$?"
    echo "AFTER $(ip -o addr show dev eth0 scope global | awk '{{print $4}}' | tr '\n' ' ')"
fi
sed 's/^/LOG /' /run/ifup.log
exit 0
"""


def _ifup(t, interfaces, limit, wait_v6="", wait_dns=""):
    """One ifup (and ifdown when it succeeded) from a clean eth0: no address,
    link down, no dhclient left from the phase before."""
    netns.kill_processes_in(t.client.name)
    t.client.run(["ip", "addr", "flush", "dev", "eth0"])
    t.client.run(["ip", "link", "set", "eth0", "down"])
    script = SCRIPT.format(interfaces=interfaces, limit=limit, wait_v6=wait_v6, wait_dns=wait_dns)
    proc = subprocess.run(t.client.cmd(["unshare", "-m", "-u", "--propagation", "private", "sh", "-c", script]),
                          capture_output=True, text=True, timeout=limit + 60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    match = re.search(r"^IFUP rc=(\d+) seconds=([\d.]+)$", out, re.M)
    assert match, out + proc.stderr
    return int(match.group(1)), float(match.group(2)), out


def _stanzas_for_eth0(root):
    """metaboot's ifupdown file, as written, and the same file with
    cloud-init's DHCPv6 stanza in place of ours."""
    with open(os.path.join(root, IFUPDOWN)) as f:
        ours = f.read()
    assert "iface eth0 inet6 manual" in ours and "inet6 dhcp" not in ours, ours
    theirs = re.sub(r"iface eth0 inet6 manual\n(    .*\n)+", "iface eth0 inet6 dhcp\n", ours)
    assert "iface eth0 inet6 dhcp" in theirs, theirs
    return ours, theirs


def test_dhcp6_never_holds_ifup_and_still_configures(ctx):
    netns.require_root()
    for tool in ("ifup", "dhclient", "unshare", "bc"):
        if not shutil.which(tool) and not shutil.which(tool, path="/usr/sbin:/sbin"):
            raise netns.Skip("%s is not installed" % tool)
    root = make_root()
    work = tempfile.mkdtemp(prefix="mbt-ifupdown-")
    try:
        with Topology() as t:
            dnsmasq = peers.start_dnsmasq(t, options=["option:router,198.18.0.1"])
            peers.start_emulator(t, "--nics", "1")
            proc = run(t, ctx, root, "--output", "ifupdown")
            assert proc.returncode == 0, proc.stderr
            ours, theirs = _stanzas_for_eth0(root)
            paths = {}
            for name, text in (("ours", ours), ("theirs", theirs)):
                paths[name] = os.path.join(work, name)
                with open(paths[name], "w") as f:
                    f.write("auto lo\niface lo inet loopback\n" + text)

            # No DHCPv6 server. cloud-init's stanza: still in ifup when
            # `timeout` ends it (rc 124), although IPv4 was up in a second.
            rc, seconds, out = _ifup(t, paths["theirs"], limit=15)
            assert rc in (124, 137), out  # ended by timeout (TERM, or KILL 3 s later)
            # metaboot's: ifup is done once IPv4 is; DHCPv6 goes on behind it.
            rc, seconds, out = _ifup(t, paths["ours"], limit=60)
            assert rc == 0, out
            assert seconds < 15, out
            assert re.search(r"^ADDRS .*198\.18\.0\.\d+/24", out, re.M), out
            assert re.search(r"^DHCLIENT dhclient -6 .*eth0 $", out, re.M), out
            assert "IFDOWN rc=0" in out, out

            # A stateful DHCPv6 server with router advertisements: the
            # background dhclient gets its address, ifdown gives it back.
            t.stop(dnsmasq)
            t.server.run(["ip", "-6", "addr", "add", "2001:db8:1::1/64", "dev", "veth0", "nodad"])
            peers.start_dnsmasq(t, options=["option:router,198.18.0.1"],
                                extra=["--dhcp-range=2001:db8:1::100,2001:db8:1::1ff,64,1h", "--enable-ra"])
            rc, seconds, out = _ifup(t, paths["ours"], limit=60, wait_v6="2001:db8:1::1")
            assert rc == 0, out
            assert re.search(r"^ADDRS .*2001:db8:1::1[0-9a-f]{2}/128", out, re.M), out
            after = re.search(r"^AFTER (.*)$", out, re.M)
            assert after and "2001:db8:1::" not in after.group(1), out
    finally:
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)


def test_stateless_dhcp6_never_holds_ifup_and_still_configures(ctx):
    netns.require_root()
    for tool in ("ifup", "dhclient", "unshare", "bc"):
        if not shutil.which(tool) and not shutil.which(tool, path="/usr/sbin:/sbin"):
            raise netns.Skip("%s is not installed" % tool)
    root = make_root()
    work = tempfile.mkdtemp(prefix="mbt-ifupdown-")
    try:
        with Topology() as t:
            dnsmasq = peers.start_dnsmasq(t, options=["option:router,198.18.0.1"])
            # UpCloud: DHCPv4 and stateless DHCPv6 on the one NIC.
            network = {"dns": [], "interfaces": [{"mac": "02:00:00:00:00:01", "ip_addresses": [
                {"address": "198.18.0.100", "dhcp": True, "dns": [], "family": "IPv4", "floating": False,
                 "gateway": "198.18.0.1", "network": "198.18.0.0/24"},
                {"address": "2001:db8:1::100", "dhcp": True, "dns": [], "family": "IPv6", "floating": False,
                 "gateway": "2001:db8:1::1", "network": "2001:db8:1::/64"}]}]}
            peers.start_emulator(t, "--nics", "1", "--metadata-v1", json.dumps({"cloud": "upcloud", "set": {"network": network}}))
            proc = run(t, ctx, root, "--provider", "upcloud", "--output", "ifupdown")
            assert proc.returncode == 0, proc.stderr
            with open(os.path.join(root, IFUPDOWN)) as f:
                ours = f.read()
            assert "iface eth0 inet6 auto\n    dhcp 0\n" in ours and "dhclient -6 -S " in ours, ours
            theirs = re.sub(r"iface eth0 inet6 auto\n(    .*\n)+", "iface eth0 inet6 auto\n    dhcp 1\n", ours)
            assert "dhcp 1" in theirs and "dhclient" not in theirs, theirs
            paths = {}
            for name, text in (("ours", ours), ("theirs", theirs)):
                paths[name] = os.path.join(work, name)
                with open(paths[name], "w") as f:
                    f.write("auto lo\niface lo inet loopback\n" + text)

            # No DHCPv6 server: cloud-init's stanza is still in ifup when
            # `timeout` ends it; metaboot's is done once IPv4 is.
            rc, seconds, out = _ifup(t, paths["theirs"], limit=15)
            assert rc in (124, 137), out
            rc, seconds, out = _ifup(t, paths["ours"], limit=60)
            assert rc == 0, out
            assert seconds < 15, out
            assert re.search(r"^ADDRS .*198\.18\.0\.\d+/24", out, re.M), out
            assert re.search(r"^DHCLIENT dhclient -6 -S .*eth0 $", out, re.M), out
            assert "IFDOWN rc=0" in out, out

            # dnsmasq's stateless mode: router advertisements with the O flag
            # (SLAAC, no addresses from DHCPv6) and a DHCPv6 DNS server.
            t.stop(dnsmasq)
            t.server.run(["ip", "-6", "addr", "add", "2001:db8:1::1/64", "dev", "veth0", "nodad"])
            peers.start_dnsmasq(t, options=["option:router,198.18.0.1", "option6:dns-server,[2001:db8:1::53]"],
                                extra=["--dhcp-range=2001:db8:1::,ra-stateless,64,1h", "--enable-ra"])
            rc, seconds, out = _ifup(t, paths["ours"], limit=60, wait_v6="2001:db8:1:", wait_dns="2001:db8:1::53")
            assert rc == 0, out
            assert re.search(r"^ADDRS .*2001:db8:1:[0-9a-f:]+/64", out, re.M), out
            assert re.search(r"^RESOLV .*nameserver 2001:db8:1::53", out, re.M), out
    finally:
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
