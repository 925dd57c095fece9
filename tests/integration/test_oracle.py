"""Oracle Cloud end to end in namespaces: dnsmasq serves DHCPv4 on the first
VNIC's network only (OCI serves none to secondary VNICs), the emulator serves
OCI's IMDS (tests/tools/oci_imds.py) at 169.254.169.254, and metaboot's whole
run writes into a temporary root. Each test checks what was written (through
netplan generate and ifquery), the state, the requests the service saw (GETs
only), and that the client namespace is left exactly as it was."""
import json
import os
import shutil
import tempfile

import netns
import peers
from netns import Topology
from test_reach import configure_eth0_statically
from test_run import IFUPDOWN, NETPLAN, ifquery, make_root, netplan_generate, read, run

USER_DATA = "#cloud-config\nhostname: emulated\n"


def oracle(t, ctx, root, *flags, timeout="10"):
    return run(t, ctx, root, "--provider", "oracle", *flags, timeout=timeout)


def requests_of(emulator):
    with open(emulator.request_log) as f:
        return [json.loads(line) for line in f if line.strip()]


def serve(t, nics=2, flags=()):
    peers.start_dnsmasq(t, iface="veth0", subnet=0, options=["option:router,198.18.0.1"])
    return peers.start_emulator(t, "--nics", str(nics), *flags)


def check_two_vnics_written(root):
    netplan = read(root, NETPLAN)
    # cloud-init's shape: the primary by DHCP, the secondary static, both
    # matched by MAC and MTU 9000.
    assert netplan.count("mtu: 9000") == 2, netplan
    primary = netplan[netplan.index('"eth0":'):netplan.index('"eth1":')]
    secondary = netplan[netplan.index('"eth1":'):]
    assert "dhcp4: true" in primary and "02:00:00:00:00:01" in primary, netplan
    assert "dhcp4: false" in secondary and '"198.18.1.10/24"' in secondary and "02:00:00:00:00:02" in secondary, netplan
    assert "routing-policy" not in netplan and "routes:" not in netplan, netplan
    networkd = netplan_generate(root)
    eth1 = [text for name, text in networkd.items() if "eth1" in name and name.endswith(".network")]
    assert eth1 and "Address=198.18.1.10/24" in eth1[0] and "MTUBytes=9000" in eth1[0], networkd
    out, listed = ifquery(root, "eth1")
    assert listed == ["lo", "eth0", "eth1"], listed
    assert "address: 198.18.1.10" in out and "mtu: 9000" in out, out


def test_oracle_full_run_two_vnics(ctx):
    netns.require_root()
    root = make_root()
    try:
        with Topology(nics=2) as t:
            emulator = serve(t)
            before = t.client.snapshot()
            proc = oracle(t, ctx, root)
            assert proc.returncode == 0, proc.stderr
            assert t.client.snapshot() == before
            result = proc.result
            assert result["lease"]["interface"] == "eth0", result["lease"]
            check_two_vnics_written(root)
            # The state: identity, keys, user-data decoded from base64.
            meta = json.load(open(os.path.join(proc.state, "metadata.json")))
            assert meta["instance_id"] == "ocid1.instance.oc1.phx.anyhqljtmetabootemulated", meta
            assert meta["hostname"] == "metaboot-oci" and meta["availability_zone"] == "phx-ad-1", meta
            assert meta["instance_type"] == "VM.Standard.E4.Flex", meta
            assert len(meta["public_keys"]) == 1 and meta["public_keys"][0].startswith("ssh-ed25519 "), meta
            assert read(proc.state, "user-data") == USER_DATA
            assert oct(os.stat(os.path.join(proc.state, "user-data")).st_mode & 0o777) == "0o600"
            data = json.load(open(os.path.join(proc.state, "instance-data.json")))
            assert data["v1"]["cloud_name"] == "oracle" and data["v1"]["platform"] == "oracle", data["v1"]
            assert data["v1"]["instance_id"] == meta["instance_id"]
            # Two GETs with OCI's header, nothing that could change the instance.
            requests = requests_of(emulator)
            assert [(r["method"], r["path"], r["status"], r["token"]) for r in requests] == [
                ("GET", "/opc/v2/instance/", 200, True), ("GET", "/opc/v2/vnics/", 200, True)], requests
            assert result["requests"] == len(requests)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_oracle_falls_back_to_v1_without_the_header(ctx):
    netns.require_root()
    root = make_root()
    try:
        with Topology(nics=2) as t:
            emulator = serve(t, flags=["--oci-v2", "off"])
            before = t.client.snapshot()
            proc = oracle(t, ctx, root)
            assert proc.returncode == 0, proc.stderr
            assert t.client.snapshot() == before
            check_two_vnics_written(root)
            requests = requests_of(emulator)
            assert [(r["method"], r["path"], r["status"], r["token"]) for r in requests] == [
                ("GET", "/opc/v2/instance/", 404, True), ("GET", "/opc/v1/instance/", 200, False),
                ("GET", "/opc/v1/vnics/", 200, False)], requests
            assert proc.result["metadata"]["api_version"] == "v1", proc.result["metadata"]
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_oracle_5xx_429_and_a_reset_are_retried(ctx):
    netns.require_root()
    root = make_root()
    try:
        with Topology(nics=2) as t:
            emulator = serve(t, flags=["--fail-500", "/opc/v2/instance/=2", "--oci-429", "/opc/v2/vnics/=1",
                                       "--reset", "/opc/v2/vnics/=1"])
            before = t.client.snapshot()
            proc = oracle(t, ctx, root)
            assert proc.returncode == 0, proc.stderr
            assert t.client.snapshot() == before
            check_two_vnics_written(root)
            requests = requests_of(emulator)
            assert all(r["method"] == "GET" for r in requests), requests
            statuses = [(r["path"], r["status"]) for r in requests]
            assert statuses.count(("/opc/v2/instance/", 500)) == 2, statuses
            assert ("/opc/v2/vnics/", 429) in statuses and ("/opc/v2/vnics/", -1) in statuses, statuses
            assert statuses[-1] == ("/opc/v2/vnics/", 200), statuses
            # v2 came through in the end: no v1 request.
            assert not any("/opc/v1/" in p for p, _ in statuses), statuses
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_oracle_stalled_vnics_leave_dhcp_on_the_leased_nic(ctx):
    netns.require_root()
    root = make_root()
    try:
        with Topology(nics=2) as t:
            emulator = serve(t, flags=["--stall", "/opc/v2/vnics/=30"])
            before = t.client.snapshot()
            proc = oracle(t, ctx, root, timeout="8")
            assert proc.returncode == 0, proc.stderr
            assert t.client.snapshot() == before
            assert proc.elapsed < 9, proc.elapsed
            netplan = read(root, NETPLAN)
            assert '"eth0":' in netplan and "dhcp4: true" in netplan and '"eth1":' not in netplan, netplan
            assert "mtu" not in netplan, netplan
            assert "no VNIC data" in proc.stderr, proc.stderr
            assert all(r["method"] == "GET" for r in requests_of(emulator))
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_oracle_hostile_values_are_dropped_and_the_boot_goes_on(ctx):
    netns.require_root()
    root = make_root()
    try:
        with Topology(nics=2) as t:
            serve(t, flags=["--oci-hostile"])
            before = t.client.snapshot()
            proc = oracle(t, ctx, root)
            assert proc.returncode == 0, proc.stderr
            assert t.client.snapshot() == before
            check_two_vnics_written(root)
            meta = json.load(open(os.path.join(proc.state, "metadata.json")))
            assert meta["instance_id"] == "" and meta["hostname"] == "", meta
            assert len(meta["public_keys"]) == 1, meta
            assert not os.path.exists(os.path.join(proc.state, "user-data"))
            for name in (NETPLAN, IFUPDOWN):
                text = read(root, name)
                assert "evil" not in text and "reboot" not in text and "09:09" not in text, text
            assert "dropping VNIC" in proc.stderr and "not base64" in proc.stderr, proc.stderr
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_oracle_iscsi_root_keeps_the_root_nic_and_writes_no_secondary(ctx):
    netns.require_root()
    root = make_root()
    work = tempfile.mkdtemp(prefix="mbt-cmdline-")
    try:
        cmdline = os.path.join(work, "cmdline")
        with open(cmdline, "w") as f:
            f.write("root=iscsi:198.18.0.1::3260:1:iqn.2015-02.oracle.boot:uefi ip=dhcp rw\n")
        with Topology(nics=2) as t:
            configure_eth0_statically(t)
            emulator = peers.start_emulator(t, "--nics", "2")
            before = t.client.snapshot()
            proc = oracle(t, ctx, root, "--cmdline", cmdline)
            assert proc.returncode == 0, (proc.returncode, proc.stderr)
            assert proc.result["lease"]["preconfigured"] is True
            assert t.client.snapshot() == before
            netplan = read(root, NETPLAN)
            # cloud-init keeps the initramfs's config of the root's NIC and,
            # configure_secondary_nics being off, adds no VNIC.
            assert "critical: true" in netplan and '"eth1":' not in netplan and "9000" not in netplan, netplan
            eni = read(root, IFUPDOWN)
            assert "iface eth0" not in eni and "eth0 carries the root filesystem" in eni, eni
            assert all(r["method"] == "GET" for r in requests_of(emulator))
    finally:
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)


def fake_sysfs(netfail_master=None):
    """OCI's DMI, and optionally a NIC that looks like a virtio net_failover
    master (driver virtio_net, VIRTIO_NET_F_STANDBY in its features)."""
    sysfs = tempfile.mkdtemp(prefix="mbt-sysfs-")
    dmi = os.path.join(sysfs, "class/dmi/id")
    os.makedirs(dmi)
    for key, value in (("sys_vendor", "QEMU"), ("product_name", "Standard PC (i440FX + PIIX, 1996)"),
                       ("chassis_asset_tag", "OracleCloud.com")):
        with open(os.path.join(dmi, key), "w") as f:
            f.write(value + "\n")
    if netfail_master:
        device = os.path.join(sysfs, "class/net", netfail_master, "device")
        os.makedirs(device)
        os.makedirs(os.path.join(sysfs, "bus/virtio/drivers/virtio_net"))
        os.symlink(os.path.join(sysfs, "bus/virtio/drivers/virtio_net"), os.path.join(device, "driver"))
        bits = ["0"] * 64
        bits[0] = bits[5] = bits[62] = "1"
        with open(os.path.join(device, "features"), "w") as f:
            f.write("".join(bits) + "\n")
    return sysfs


def test_oracle_detected_from_dmi_and_a_netfailover_master_matched_by_name(ctx):
    netns.require_root()
    root = make_root()
    sysfs = fake_sysfs(netfail_master="eth0")
    try:
        with Topology(nics=2) as t:
            emulator = serve(t)
            before = t.client.snapshot()
            state = tempfile.mkdtemp(prefix="mbt-state-")
            proc = t.client.run([ctx["binary"], "--root", root, "--sysfs", sysfs, "--state-dir", state, "--json",
                                 "--output", "netplan,ifupdown", "--timeout", "10"], check=False)
            assert proc.returncode == 0, proc.stderr
            assert t.client.snapshot() == before
            netplan = read(root, NETPLAN)
            primary = netplan[netplan.index('"eth0":'):netplan.index('"eth1":')]
            secondary = netplan[netplan.index('"eth1":'):]
            # cloud-init's _ensure_netfailover_safe: no MAC match (it would
            # also match the standby and the VF), no rename.
            assert "macaddress" not in primary and "set-name" not in primary, netplan
            assert "dhcp4: true" in primary and "mtu: 9000" in primary, netplan
            assert "02:00:00:00:00:02" in secondary and 'set-name: "eth1"' in secondary, netplan
            netplan_generate(root)
            assert [r["path"] for r in requests_of(emulator)] == ["/opc/v2/instance/", "/opc/v2/vnics/"]
            shutil.rmtree(state, ignore_errors=True)
        # The same NIC without the standby feature is matched by MAC again.
        shutil.rmtree(sysfs)
        sysfs = fake_sysfs()
        with Topology(nics=2) as t:
            serve(t)
            state = tempfile.mkdtemp(prefix="mbt-state-")
            proc = t.client.run([ctx["binary"], "--root", root, "--sysfs", sysfs, "--state-dir", state, "--json",
                                 "--output", "netplan,ifupdown", "--timeout", "10"], check=False)
            assert proc.returncode == 0, proc.stderr
            netplan = read(root, NETPLAN)
            assert netplan.count("macaddress") == 2 and 'set-name: "eth0"' in netplan, netplan
            shutil.rmtree(state, ignore_errors=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(sysfs, ignore_errors=True)
