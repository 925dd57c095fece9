"""GCE in namespaces: dnsmasq hands out what GCE's DHCP server does (a /32
in option 1, option 121 with "<gw>/32 via 0.0.0.0" and "0.0.0.0/0 via <gw>",
MTU 1460 in option 26), the metadata emulator (tests/tools/gce_emulator.py)
answers behind the gateway on 169.254.169.254, and metaboot runs the whole
job with --provider gce. Nothing leaves the test's namespaces."""
import json
import os
import shutil

import netns
import peers
from netns import Topology
from test_run import make_root, netplan_generate, read, run as run_ec2

GW = "198.18.0.1"
ID = "4520031799277581759"
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGdjZS1pbnRlZ3JhdGlvbi1rZXktb25l gce@example"
PROJECT_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGdjZS1wcm9qZWN0LWtleS10d28tdHdv project@example"
OTHER_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGdjZS1hbGljZS1rZXktdGhyZWUtdGhyZQ alice@example"
SETTINGS = {
    "attributes": {"ssh-keys": "cloudinit:%s\nalice:%s\n" % (KEY, OTHER_KEY),
                   "user-data": "I2Nsb3VkLWNvbmZpZwpob3N0bmFtZTogZ2NlCg==", "user-data-encoding": "base64"},
    "project_attributes": {"ssh-keys": "cloudinit:%s" % PROJECT_KEY},
}
R = "/computeMetadata/v1/"


def serve_gce(t, settings=SETTINGS, emulator_flags=()):
    """GCE's DHCP answer: netmask 255.255.255.255 (option 1 overrides the
    range's), the router, classless routes, MTU 1460."""
    peers.start_dnsmasq(t, options=["option:netmask,255.255.255.255", "option:router," + GW,
                                    "option:classless-static-route,%s/32,0.0.0.0,0.0.0.0/0,%s" % (GW, GW),
                                    "option:mtu,1460"])
    return peers.start_emulator(t, "--gce", json.dumps(settings), *emulator_flags)


def requests_of(emulator):
    with open(emulator.request_log) as f:
        return [json.loads(line) for line in f]


def gce_run(t, ctx, root, *flags, timeout="10"):
    # test_run's run() says --provider ec2; a later flag wins.
    return run_ec2(t, ctx, root, "--provider", "gce", *flags, timeout=timeout)


def test_gce_full_run_on_a_32_lease(ctx):
    netns.require_root()
    root = make_root()
    try:
        with Topology() as t:
            emulator = serve_gce(t)
            before = t.client.snapshot()
            proc = gce_run(t, ctx, root)
            assert proc.returncode == 0, proc.stderr
            # Exact teardown: the /32, both routes and the MTU are gone.
            assert t.client.snapshot() == before
            lease = json.load(open(os.path.join(proc.state, "lease.json")))
            assert lease["prefix"] == 32 and lease["mtu"] == 1460, lease
            assert lease["routes"] == [{"destination": GW + "/32", "router": "0.0.0.0"},
                                       {"destination": "0.0.0.0/0", "router": GW}], lease
            meta = json.load(open(os.path.join(proc.state, "metadata.json")))
            assert meta["provider"] == "gce" and meta["hostname"].startswith("vm-1.us-central1-a."), meta
            assert meta["instance_id"] == ID, meta
            assert meta["local_hostname"] == "vm-1", meta
            assert meta["availability_zone"] == "us-central1-a", meta
            assert meta["region"] == "us-central1", meta
            assert meta["instance_type"] == "e2-medium", meta
            # cloudinit's keys only; the project's count (not blocked).
            assert meta["public_keys"] == [KEY, PROJECT_KEY], meta
            with open(os.path.join(proc.state, "user-data")) as f:
                assert f.read() == "#cloud-config\nhostname: gce\n"
            # cloud-init's fallback: dhcp4 and dhcp6 on the first NIC, by MAC.
            netplan = read(root, "etc/netplan/50-cloud-init.yaml")
            assert "dhcp4: true" in netplan and "dhcp6: true" in netplan, netplan
            assert '"02:00:00:00:00:01"' in netplan and 'set-name: "eth0"' in netplan, netplan
            networkd = netplan_generate(root)
            assert any("DHCP=yes" in text for text in networkd.values()), networkd
            ifupdown = read(root, "etc/network/interfaces.d/50-cloud-init")
            assert "iface eth0 inet dhcp" in ifupdown, ifupdown
            # Two GETs and the project's attributes; GETs only, each with
            # Metadata-Flavor: Google; never the guest-attributes PUT.
            requests = requests_of(emulator)
            assert [r["path"] for r in requests] == [R + "instance/?recursive=true", R + "instance/id",
                                                     R + "project/attributes/?recursive=true"], requests
            assert all(r["method"] == "GET" and r["token"] and r["status"] == 200 for r in requests), requests
            assert proc.result["requests"] == 3, proc.result
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_gce_lease_routes_and_mtu_while_held(ctx):
    netns.require_root()
    with Topology() as t:
        serve_gce(t)
        proc = gce_run(t, ctx, None, "--output", "none", "--keep-lease")
        assert proc.returncode == 0, proc.stderr
        address = json.load(open(os.path.join(proc.state, "lease.json")))["address"]
        addrs = t.client.run(["ip", "-4", "-o", "addr", "show", "dev", "eth0"]).stdout
        assert "inet %s/32 " % address in addrs, addrs
        routes = t.client.run(["ip", "-4", "route", "show", "dev", "eth0"]).stdout.splitlines()
        routes = sorted(" ".join(line.split()) for line in routes)
        # The gateway on-link once (not a second host route of metaboot's
        # own), the default through it, both from the leased address.
        gw_routes = [r for r in routes if r.startswith(GW + " ")]
        assert len(gw_routes) == 1 and "scope link" in gw_routes[0] and "src " + address in gw_routes[0], routes
        default = [r for r in routes if r.startswith("default ")]
        assert len(default) == 1 and "via %s" % GW in default[0] and "src " + address in default[0], routes
        assert len(routes) == 2, routes
        link = t.client.run(["ip", "-o", "link", "show", "dev", "eth0"]).stdout
        assert " mtu 1460 " in link, link
        got = t.client.run(["ip", "-4", "route", "get", "169.254.169.254"]).stdout
        assert "via " + GW in got, got


def test_gce_emulator_refuses_like_the_real_server(ctx):
    """Without Metadata-Flavor, or with X-Forwarded-For: 403."""
    netns.require_root()
    with Topology() as t:
        t.client.run(["ip", "addr", "add", "198.18.0.2/24", "dev", "eth0"])
        t.client.run(["ip", "link", "set", "eth0", "up"])
        peers.start_emulator(t, "--gce", json.dumps(SETTINGS))
        probe = ("import urllib.request, urllib.error, sys\n"
                 "def get(h):\n"
                 "    r = urllib.request.Request('http://169.254.169.254%sinstance/id', headers=h)\n"
                 "    try:\n"
                 "        return urllib.request.urlopen(r, timeout=5).status\n"
                 "    except urllib.error.HTTPError as e:\n"
                 "        return e.code\n"
                 "print(get({}), get({'Metadata-Flavor': 'Google', 'X-Forwarded-For': '198.18.0.9'}),"
                 " get({'Metadata-Flavor': 'Google'}))\n" % R)
        t.client.run(["ip", "route", "add", "169.254.169.254/32", "dev", "eth0"])
        out = t.client.run(["python3", "-c", probe]).stdout.split()
        assert out == ["403", "403", "200"], out


def test_gce_faults_retried_project_failure_costs_only_project_keys(ctx):
    netns.require_root()
    root = make_root()
    try:
        with Topology() as t:
            settings = dict(SETTINGS, fail_429={R + "instance/id": 1})
            emulator = serve_gce(t, settings, ["--fail-500", R + "instance/?recursive=true=2",
                                               "--reset", R + "project/attributes/?recursive=true"])
            before = t.client.snapshot()
            proc = gce_run(t, ctx, root, "--output", "netplan")
            assert proc.returncode == 0, proc.stderr
            assert t.client.snapshot() == before
            meta = json.load(open(os.path.join(proc.state, "metadata.json")))
            assert meta["instance_id"] == ID
            assert meta["public_keys"] == [KEY], meta
            assert "no project keys" in proc.stderr, proc.stderr
            statuses = [(r["path"][len(R):], r["status"]) for r in requests_of(emulator)]
            assert statuses[:4] == [("instance/?recursive=true", 500), ("instance/?recursive=true", 500),
                                    ("instance/?recursive=true", 200), ("instance/id", 429)], statuses
            assert ("instance/id", 200) in statuses, statuses
            assert all(r["method"] == "GET" for r in requests_of(emulator))
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_gce_blocked_project_keys_and_a_stalled_service(ctx):
    netns.require_root()
    root = make_root()
    try:
        with Topology() as t:
            settings = dict(SETTINGS)
            settings["attributes"] = dict(SETTINGS["attributes"], **{"block-project-ssh-keys": "true"})
            emulator = serve_gce(t, settings)
            proc = gce_run(t, ctx, root, "--output", "netplan")
            assert proc.returncode == 0, proc.stderr
            meta = json.load(open(os.path.join(proc.state, "metadata.json")))
            assert meta["public_keys"] == [KEY], meta
            assert [r["path"] for r in requests_of(emulator)] == [R + "instance/?recursive=true", R + "instance/id"]
        with Topology() as t:
            serve_gce(t, emulator_flags=["--stall", R + "instance/id=60"])
            before = t.client.snapshot()
            proc = gce_run(t, ctx, root, "--output", "netplan", timeout="3")
            assert proc.returncode == 3, (proc.returncode, proc.stderr)
            assert proc.elapsed < 4.0, proc.elapsed
            assert t.client.snapshot() == before
    finally:
        shutil.rmtree(root, ignore_errors=True)


# cloud-init's own DataSourceGCE.read_md() and _parse_public_keys() against
# the same emulator, from the client namespace (no default user, as metaboot
# assumes), printing the facts metaboot writes.
CLOUD_INIT_READ_MD = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
from cloudinit.sources import DataSourceGCE as gce
class Params:
    num_retries = 0
    sec_between_retries = 0
ret = gce.read_md(address="http://169.254.169.254/computeMetadata/v1/", url_params=Params, platform_check=False)
assert ret["success"], ret
md = ret["meta-data"]
zone = md["availability-zone"]
print(json.dumps({"instance_id": md["instance-id"], "local_hostname": md["local-hostname"].split(".")[0],
                  "availability_zone": zone, "region": zone.rsplit("-", 1)[0],
                  "public_keys": gce._parse_public_keys(md["public-keys-data"], None),
                  "user_data": ret["user-data"].decode() if ret["user-data"] is not None else None}))
"""


def test_gce_facts_match_cloud_init_read_md(ctx):
    """Identity, keys and user-data as cloud-init's own GCE code reads them
    from the same service, for key sets that exercise its rules: the
    cloudinit user only, google-ssh expireOn past and future, legacy sshKeys
    replacing project keys, block-project-ssh-keys, user-data encodings."""
    netns.require_root()
    from test_cloud_init_handoff import _cloud_init
    packages = _cloud_init()
    expired = ('ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDexpired google-ssh '
               '{"userName":"u@example.com","expireOn":"2001-02-03T04:05:06+0000"}')
    future = ('ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDfuture google-ssh '
              '{"userName":"u@example.com","expireOn":"2999-02-03T04:05:06-05:30"}')
    cases = [
        SETTINGS,
        {"attributes": {"ssh-keys": "cloudinit:%s\ncloudinit:%s\ncloudinit:%s" % (expired, future, KEY),
                        "sshKeys": "cloudinit:" + OTHER_KEY, "user-data": "#!/bin/sh\necho hi\n"},
         "project_attributes": {"ssh-keys": "cloudinit:" + PROJECT_KEY}},
        {"attributes": {"ssh-keys": "root:%s\n\ncloudinit:%s" % (OTHER_KEY, KEY), "block-project-ssh-keys": "True",
                        "user-data": "plain", "user-data-encoding": "gzip+base64"},
         "project_attributes": {"ssh-keys": "cloudinit:" + PROJECT_KEY, "sshKeys": "cloudinit:" + OTHER_KEY}},
        {"attributes": {}, "project_attributes": {"sshKeys": "cloudinit:%s\ncloudinit:%s" % (PROJECT_KEY, expired),
                                                  "ssh-keys": "cloudinit:" + KEY}},
    ]
    for settings in cases:
        with Topology() as t:
            serve_gce(t, settings)
            proc = gce_run(t, ctx, None, "--output", "none")
            assert proc.returncode == 0, proc.stderr
            meta = json.load(open(os.path.join(proc.state, "metadata.json")))
            user_data = os.path.join(proc.state, "user-data")
            ours = {key: meta[key] for key in ("instance_id", "local_hostname", "availability_zone", "region")}
            ours["public_keys"] = meta["public_keys"]
            ours["user_data"] = open(user_data).read() if os.path.exists(user_data) else None
            # cloud-init's turn, over the same emulator, from the client side.
            t.client.run(["ip", "addr", "add", "198.18.0.2/24", "dev", "eth0"])
            t.client.run(["ip", "link", "set", "eth0", "up"])
            t.client.run(["ip", "route", "add", "169.254.169.254/32", "dev", "eth0"])
            out = t.client.run(["/usr/bin/python3", "-c", CLOUD_INIT_READ_MD, packages], check=False)
            assert out.returncode == 0, out.stderr
            theirs = json.loads(out.stdout.strip().splitlines()[-1])
            assert ours == theirs, (settings, ours, theirs)
