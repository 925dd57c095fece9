"""The networkd files metaboot writes, run by the real systemd-networkd in the
client namespace after metaboot has torn its lease down: the NIC gets its
DHCPv4 lease and static address from them, and systemd-networkd-wait-online
(what network-online.target waits for) is satisfied with no DHCPv6 server or
router answering, so DHCPv6 cannot hold the boot.

systemd-networkd runs inside a private mount namespace: its own /run (where
its state and our files go), an empty /etc/systemd/network over this
machine's, and /sys read-only, which is how networkd recognises a container
and stops waiting for udev (there is none in the namespace). The test's veth
has no permanent MAC address (the kernel sets one only for hardware-assigned
addresses, as ENA and virtio have), so the file's PermanentMACAddress= match is
read as MACAddress= here; every other line is as metaboot wrote it.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

import netns
from netns import Topology

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_run import make_root, run, serve  # noqa: E402

NETWORKD = "/lib/systemd/systemd-networkd"
WAIT_ONLINE = "/lib/systemd/systemd-networkd-wait-online"

SCRIPT = r"""
mount -t tmpfs tmpfs /run || exit 90
mount -o remount,ro /sys || exit 91
mount -t tmpfs tmpfs /etc/systemd/network || exit 92
mkdir -p /run/systemd/network /run/systemd/netif && chown systemd-network: /run/systemd/netif || exit 93
cp {files}/* /run/systemd/network/ || exit 94
{networkd} > /run/networkd.log 2>&1 &
start=$(date +%s.%N)
{wait_online} -i eth0 --timeout=60
rc=$?
end=$(date +%s.%N)
echo "WAIT rc=$rc seconds=$(echo "$end - $start" | bc)"
ip -o addr show dev eth0 | sed 's/^/ADDR /'
ip route | sed 's/^/ROUTE /'
sed 's/^/LOG /' /run/networkd.log
exit 0
"""


def test_networkd_brings_the_nic_up_from_our_files_without_waiting_for_dhcpv6(ctx):
    netns.require_root()
    for tool in (NETWORKD, WAIT_ONLINE):
        if not os.path.exists(tool):
            raise netns.Skip("%s is not installed" % tool)
    if not shutil.which("bc"):
        raise netns.Skip("bc is not installed")
    root = make_root()
    files = tempfile.mkdtemp(prefix="mbt-networkd-")
    try:
        with Topology() as t:
            serve(t)
            proc = run(t, ctx, root, "--output", "networkd")
            assert proc.returncode == 0, proc.stderr
            written = os.path.join(root, "etc/systemd/network")
            names = sorted(os.listdir(written))
            assert "10-cloud-init-eth0.network" in names, names
            for name in names:
                with open(os.path.join(written, name)) as f:
                    text = f.read()
                assert "DHCP=yes" in text or not name.endswith(".network"), text  # IPv4 and DHCPv6
                with open(os.path.join(files, name), "w") as f:
                    f.write(text.replace("PermanentMACAddress=", "MACAddress="))
            script = SCRIPT.format(files=files, networkd=NETWORKD, wait_online=WAIT_ONLINE)
            out = subprocess.run(t.client.cmd(["unshare", "-m", "--propagation", "private", "sh", "-c", script]),
                                 capture_output=True, text=True, timeout=120)
            assert out.returncode == 0, out.stdout + out.stderr
            text = out.stdout
            match = re.search(r"^WAIT rc=(\d+) seconds=([\d.]+)$", text, re.M)
            assert match and match.group(1) == "0", text
            # Online well inside wait-online's timeout, with no DHCPv6 answer.
            assert float(match.group(2)) < 30, text
            assert "Configuring with /run/systemd/network/10-cloud-init-eth0.network" in text, text
            assert re.search(r"^ADDR .*inet 198\.18\.0\.\d+/24 metric 100 .*dynamic", text, re.M), text
            # The EC2 emulator's secondary private address, static from the file.
            assert re.search(r"^ADDR .*inet 198\.18\.0\.11/24", text, re.M), text
            assert re.search(r"^ROUTE default via 198\.18\.0\.1 dev eth0 proto dhcp .*metric 100", text, re.M), text
    finally:
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(files, ignore_errors=True)
