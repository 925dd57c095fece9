"""Azure end to end in namespaces: dnsmasq hands the primary NIC a lease with
Azure's option 121 routes (to IMDS and to the wireserver) and option 245 (the
wireserver's address); the emulator serves IMDS on 169.254.169.254 with its
real rules (tests/tools/azure_imds.py); a listener stands in for the
wireserver on 168.63.129.16 and must see nothing: metaboot never reports
ready and never talks to it. Each test checks the files written, the state
dir, the requests made, and that the client namespace is as it was."""
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import netns  # noqa: E402
import peers  # noqa: E402
from netns import Topology  # noqa: E402
from test_run import BOTH, NETPLAN, IFUPDOWN, ifquery, make_root, netplan_generate, read  # noqa: E402

WIRESERVER = "168.63.129.16"
VM_ID = "02aab8a4-74ef-476e-8182-f6d2ba4166a6"

# Accepts on the wireserver's ports (80, and 32526 for the guest agent's
# plugin) and writes one line per connection, with what it was sent.
LISTENER = r"""
import select, socket, sys
log = open(sys.argv[1], "a")
socks = []
for port in (80, 32526):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((sys.argv[2], port)); s.listen(8); socks.append(s)
open(sys.argv[1] + ".ready", "w").close()
while True:
    for s in select.select(socks, [], [])[0]:
        c, peer = s.accept(); c.settimeout(1)
        try: data = c.recv(4096)
        except OSError: data = b""
        log.write("%s %r\n" % (peer[0], data[:200])); log.flush(); c.close()
"""


def serve(t, nics=2, emulator_flags=()):
    t.server.run(["ip", "addr", "add", WIRESERVER + "/32", "dev", "veth0"])
    # Azure's primary lease: routes to IMDS and the wireserver by option 121
    # (which, per RFC 3442, replaces option 3), and option 245 unasked.
    peers.start_dnsmasq(t, iface="veth0", subnet=0, options=[
        "option:router,198.18.0.1",
        "option:classless-static-route,169.254.169.254/32,198.18.0.1,%s/32,198.18.0.1,0.0.0.0/0,198.18.0.1" % WIRESERVER],
        extra=["--dhcp-option-force=245,%s" % WIRESERVER])
    for i in range(1, nics):
        peers.start_dnsmasq(t, iface="veth%d" % i, subnet=i, options=["option:router,198.18.%d.1" % i])
    emulator = peers.start_emulator(t, "--nics", str(nics), *emulator_flags)
    wire_log = tempfile.mktemp(prefix="mbt-wireserver-", suffix=".log")
    t.server.popen([sys.executable, "-c", LISTENER, wire_log, WIRESERVER])
    netns.wait_for(lambda: os.path.exists(wire_log + ".ready"), what="wireserver listener")
    emulator.wire_log = wire_log
    return emulator


def run(t, ctx, root, *flags, timeout="10"):
    state = tempfile.mkdtemp(prefix="mbt-state-")
    args = [ctx["binary"], "--state-dir", state, "--provider", "azure", "--timeout", timeout, "--json", "--root", root] + list(BOTH)
    proc = t.client.run(args + list(flags), check=False)
    proc.state = state
    proc.result = json.loads(proc.stdout) if proc.stdout.strip().startswith("{") else None
    return proc


def requests_of(emulator):
    with open(emulator.request_log) as f:
        return [json.loads(line) for line in f if line.strip()]


def wireserver_contacts(emulator):
    with open(emulator.wire_log) as f:
        return f.read()


def cleanup(*paths):
    for path in paths:
        if path and os.path.isdir(path):
            shutil.rmtree(path, ignore_errors=True)
        elif path and os.path.exists(path):
            os.unlink(path)
        if path and os.path.exists(path + ".ready"):
            os.unlink(path + ".ready")


def test_azure_full_run_two_nics(ctx):
    netns.require_root()
    root, proc, emulator = make_root(), None, None
    try:
        with Topology(nics=2) as t:
            emulator = serve(t)
            before = t.client.snapshot()
            proc = run(t, ctx, root)
            assert proc.returncode == 0, proc.stderr
            assert t.client.snapshot() == before
            lease = proc.result["lease"]
            assert lease["interface"] == "eth0", lease
            assert lease["azure_wireserver"] == WIRESERVER, lease
            assert {"destination": "169.254.169.254/32", "router": "198.18.0.1"} in lease["routes"], lease
            with open(os.path.join(proc.state, "lease.json")) as f:
                assert json.load(f)["azure_wireserver"] == WIRESERVER

            meta_text = read(proc.state, "metadata.json")
            meta = json.loads(meta_text)
            assert meta["provider"] == "azure" and meta["api_version"] == "2021-08-01", meta
            assert meta["instance_id"] == VM_ID and meta["hostname"] == "emulated-vm", meta
            assert meta["region"] == "westeurope" and meta["instance_type"] == "Standard_D2s_v3", meta
            assert len(meta["public_keys"]) == 1 and meta["public_keys"][0].startswith("ssh-ed25519 "), meta
            # The document's userData never reaches the world-readable file.
            assert "userData" not in meta_text and "I2Nsb3Vk" not in meta_text
            assert read(proc.state, "user-data") == "#cloud-config\nhostname: emulated\n"
            assert oct(os.stat(os.path.join(proc.state, "user-data")).st_mode & 0o777) == "0o600"
            instance_data = json.loads(read(proc.state, "instance-data.json"))
            assert instance_data["v1"]["cloud_name"] == "azure" and instance_data["v1"]["platform"] == "azure", instance_data["v1"]

            netplan = read(root, NETPLAN)
            assert 'macaddress: "02:00:00:00:00:01"' in netplan and 'set-name: "eth0"' in netplan, netplan
            assert 'macaddress: "02:00:00:00:00:02"' in netplan and 'set-name: "eth1"' in netplan, netplan
            assert "route-metric: 100" in netplan and "route-metric: 200" in netplan, netplan
            assert netplan.count("use-dns: false") == 1, netplan  # eth1's dhcp4 only: it has no IPv6
            assert '"198.18.0.11/24"' in netplan and '"2001:db8:a::5/64"' in netplan, netplan
            assert "driver" not in netplan, netplan  # veth has no device driver to match
            networkd = netplan_generate(root)
            eth1 = networkd["10-netplan-eth1.network"]
            assert "UseDNS=false" in eth1 and "RouteMetric=200" in eth1, eth1
            out, listed = ifquery(root, "eth0")
            assert listed == ["lo", "eth0", "eth1"], listed
            assert "metric: 100" in out and "address: 198.18.0.11" in out, out

            requests = requests_of(emulator)
            assert [(r["method"], r["path"], r["status"]) for r in requests] == [
                ("GET", "/metadata/instance?api-version=2021-08-01&extended=true", 200)], requests
            assert proc.result["requests"] == len(requests)
            assert wireserver_contacts(emulator) == ""
    finally:
        cleanup(root, proc and proc.state, emulator and emulator.request_log, emulator and emulator.wire_log)


def test_azure_version_fallback_and_transient_errors(ctx):
    """A 500 (retried), the 400 of an IMDS without 2021-08-01 (the fallback),
    then 410, 404 and a throttling 429 while 'provisioning': all inside the
    deadline, nothing but GETs of /metadata/instance, nothing to the wireserver."""
    netns.require_root()
    root, proc, emulator = make_root(), None, None
    try:
        with Topology(nics=1) as t:
            emulator = serve(t, nics=1, emulator_flags=[
                "--azure-versions", "2018-10-01,2019-06-01", "--fail-500", "*=1",
                "--azure-fail", "410=1", "--azure-fail", "404=1", "--azure-fail", "429=1"])
            before = t.client.snapshot()
            proc = run(t, ctx, root)
            assert proc.returncode == 0, proc.stderr
            assert t.client.snapshot() == before
            assert json.loads(read(proc.state, "metadata.json"))["api_version"] == "2019-06-01"
            requests = requests_of(emulator)
            v2021 = "/metadata/instance?api-version=2021-08-01&extended=true"
            v2019 = "/metadata/instance?api-version=2019-06-01"
            assert [(r["path"], r["status"]) for r in requests] == [
                (v2021, 500), (v2021, 400), (v2019, 410), (v2019, 404), (v2019, 429), (v2019, 200)], requests
            assert all(r["method"] == "GET" for r in requests), requests
            assert wireserver_contacts(emulator) == ""
            assert "route-metric: 100" in read(root, NETPLAN)
    finally:
        cleanup(root, proc and proc.state, emulator and emulator.request_log, emulator and emulator.wire_log)


def test_azure_hostile_values_dropped_and_stall_ends_by_the_deadline(ctx):
    netns.require_root()
    root, proc, emulator = make_root(), None, None
    try:
        with Topology(nics=1) as t:
            emulator = serve(t, nics=1, emulator_flags=["--hostile"])
            before = t.client.snapshot()
            proc = run(t, ctx, root)
            assert proc.returncode == 0, proc.stderr
            assert t.client.snapshot() == before
            meta = json.loads(read(proc.state, "metadata.json"))
            assert meta["hostname"] == "" and meta["instance_id"] == "" and meta["public_keys"] == [], meta
            assert not os.path.exists(os.path.join(proc.state, "user-data"))
            for rel in (NETPLAN, IFUPDOWN):
                text = read(root, rel)
                for bad in ("reboot", "rm -rf", "..", "$("):
                    assert bad not in text, (rel, bad)
            assert wireserver_contacts(emulator) == ""
        cleanup(proc.state)
        with Topology(nics=1) as t:
            emulator2 = serve(t, nics=1, emulator_flags=["--stall", "*=30"])
            before = t.client.snapshot()
            proc = run(t, ctx, root, timeout="4")
            assert proc.returncode == 3, (proc.returncode, proc.stderr)
            assert t.client.snapshot() == before
            assert wireserver_contacts(emulator2) == ""
            cleanup(emulator2.request_log, emulator2.wire_log)
    finally:
        cleanup(root, proc and proc.state, emulator and emulator.request_log, emulator and emulator.wire_log)
