"""The real parsers read every golden file the renderers produce.

- netplan: `netplan generate --root-dir` accepts each golden netplan file, and
  for the EC2 cases the systemd-networkd files (and udev rename rules) it
  generates equal those it generates from cloud-init's own rendering of the
  same metadata (tests/fixtures/render/reference/, made by
  tests/fixtures/render/make_reference.py).
- ifupdown: `ifquery` parses each golden ifupdown file and reports the
  interfaces and options we expect.

No namespaces or root needed: both tools only read and write under a temp dir.
"""
import glob
import os
import shutil
import subprocess
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "render")
GOLDEN = os.path.join(FIXTURES, "golden")
REFERENCE = os.path.join(FIXTURES, "reference")


class Skip(Exception):
    pass


def _need(tool):
    path = shutil.which(tool) or shutil.which(tool, path="/usr/sbin:/sbin")
    if not path:
        raise Skip("%s is not installed" % tool)
    return path


def _netplan_generate(yaml_path):
    """Runs netplan generate on one file in a fresh root; returns {relative path: text}."""
    netplan = _need("netplan")
    root = tempfile.mkdtemp(prefix="mb-netplan-")
    try:
        os.makedirs(os.path.join(root, "etc", "netplan"))
        target = os.path.join(root, "etc", "netplan", "50-cloud-init.yaml")
        shutil.copyfile(yaml_path, target)
        os.chmod(target, 0o600)
        proc = subprocess.run([netplan, "generate", "--root-dir", root], capture_output=True, text=True)
        if proc.returncode != 0 or "Error" in proc.stderr or "rror in network definition" in proc.stderr:
            raise AssertionError("netplan generate rejected %s:\n%s" % (yaml_path, proc.stderr))
        out = {}
        for path in glob.glob(os.path.join(root, "run", "**", "*"), recursive=True):
            if os.path.isfile(path):
                with open(path) as f:
                    out[os.path.relpath(path, root)] = f.read()
        return out
    finally:
        shutil.rmtree(root)


def _comparable(generated):
    """The networkd and udev outputs, with 90-netplan.rules as a sorted line
    set: it lists interfaces in YAML order, which is name order for
    cloud-init's sorted dump and NIC order for ours."""
    out = {}
    for path, text in generated.items():
        if path.startswith("run/systemd/network/") or path.startswith("run/udev/rules.d/"):
            if path.endswith("90-netplan.rules"):
                text = "\n".join(sorted(text.splitlines()))
            out[path] = text
    return out


def _golden_names(suffix):
    names = sorted(os.path.basename(p)[: -len(suffix)] for p in glob.glob(os.path.join(GOLDEN, "*" + suffix)))
    assert names, "no golden files under %s" % GOLDEN
    return names


def test_netplan_generate_accepts_every_golden():
    for name in _golden_names(".netplan.yaml"):
        generated = _netplan_generate(os.path.join(GOLDEN, name + ".netplan.yaml"))
        networks = [p for p in generated if p.startswith("run/systemd/network/") and p.endswith(".network")]
        assert networks, "%s: netplan generated no .network file" % name


def test_netplan_networkd_equals_cloud_init_for_ec2_cases():
    references = sorted(glob.glob(os.path.join(REFERENCE, "ec2_*.cloud-init.yaml")))
    assert len(references) >= 5, "reference fixtures missing"
    for reference in references:
        name = os.path.basename(reference)[: -len(".cloud-init.yaml")]
        ours = _comparable(_netplan_generate(os.path.join(GOLDEN, name + ".netplan.yaml")))
        theirs = _comparable(_netplan_generate(reference))
        assert sorted(ours) == sorted(theirs), "%s: different files:\nours   %s\ntheirs %s" % (name, sorted(ours), sorted(theirs))
        for path in sorted(ours):
            assert ours[path] == theirs[path], "%s: %s differs\n--- metaboot\n%s\n--- cloud-init\n%s" % (name, path, ours[path], theirs[path])


def _network_structure(generated):
    """What must agree between our OpenStack rendering and cloud-init's: per
    .network file the [Match], the addresses, the MTU, DHCPv4, and each [Route]
    (destination, gateway, metric); the .link files whole. Left out, as
    deliberate differences (see src/render/openstack_mapping.cpp): DNS
    placement, and SLAAC, which cloud-init renders as dhcp6 (a DHCPv6 client
    started whatever the RAs say) and we as accept-ra alone."""
    out = {}
    for path, text in generated.items():
        if path.startswith("run/systemd/network/") and path.endswith(".link"):
            out[path] = text
        if not (path.startswith("run/systemd/network/") and path.endswith(".network")):
            continue
        section, routes, facts, dhcp4 = None, [], [], False
        for line in text.splitlines():
            if line.startswith("["):
                section = line
                if section == "[Route]":
                    routes.append([])
                continue
            if not line:
                continue
            if section == "[Match]" or line.startswith(("Address=", "MTUBytes=")):
                facts.append(line)
            elif section == "[Network]" and line.startswith("DHCP="):
                dhcp4 = line.split("=", 1)[1] in ("yes", "ipv4")
            elif section == "[Route]" and line.startswith(("Destination=", "Gateway=", "Metric=")):
                routes[-1].append(line)
        facts.append("DHCPv4=%s" % dhcp4)
        out[path] = (sorted(facts), sorted(map(tuple, routes)))
    return out


def test_netplan_networkd_matches_cloud_init_for_openstack_structurally():
    name = "openstack_static_slaac"
    ours = _network_structure(_netplan_generate(os.path.join(GOLDEN, name + ".netplan.yaml")))
    theirs = _network_structure(_netplan_generate(os.path.join(REFERENCE, name + ".cloud-init.yaml")))
    assert sorted(ours) == sorted(theirs), (sorted(ours), sorted(theirs))
    for path in ours:
        assert ours[path] == theirs[path], "%s: %s\n--- metaboot\n%s\n--- cloud-init\n%s" % (name, path, ours[path], theirs[path])


def _ifquery(path, *args):
    ifquery = _need("ifquery")
    state = tempfile.mkdtemp(prefix="mb-ifquery-")
    try:
        proc = subprocess.run([ifquery, "--state-dir", state, "-i", path] + list(args), capture_output=True, text=True)
    finally:
        shutil.rmtree(state)
    assert proc.returncode == 0, "ifquery %s %s failed:\n%s" % (path, args, proc.stderr)
    assert "warning" not in proc.stderr.lower() and "error" not in proc.stderr.lower(), proc.stderr
    return proc.stdout


# Per golden file: the `auto` interfaces, then for some interfaces lines that
# `ifquery IFACE` must print (it prints post-up as "up", pre-down as "down").
IFUPDOWN_EXPECTED = {
    "ec2_single_nic": (["lo", "ens5"], {"ens5": []}),
    "ec2_two_nics": (["lo", "ens5", "ens6"], {
        "ens5": ["metric: 100", "address: 172.31.20.11", "netmask: 255.255.240.0"],
        "ens6": ["metric: 200",
                 "up: ip -4 route add default via 172.31.32.1 dev ens6 table 101 || true",
                 "up: ip -4 route add 172.31.32.0/20 dev ens6 table 101 || true",
                 "up: ip -4 rule add from 172.31.40.20 table 101 || true",
                 "down: ip -4 rule del from 172.31.40.20 table 101 || true"],
    }),
    "ec2_two_nics_no_policy": (["lo", "ens5", "ens6"], {"ens6": ["metric: 200"]}),
    "ec2_15_nics": (["lo"] + ["ens%d" % n for n in (5, 7, 9, 11, 13, 15, 17, 19, 6, 8, 10, 12, 14, 16, 18)], {
        "ens19": ["metric: 800", "up: ip -4 rule add from 10.0.7.10 table 107 || true"],
        "ens18": ["metric: 1500", "up: ip -4 route add default via 10.1.6.1 dev ens18 table 114 || true"],
        "ens6": ["metric: 900", "up: ip -6 rule add from 2600:1f18:aa:10::10 table 108 || true"],
    }),
    "ec2_fallback_2009": (["lo", "ens5"], {"ens5": []}),
    "openstack_static_slaac": (["lo", "eth0", "eth1"], {
        "eth0": ["dhcp: 0", "address: 192.0.2.10", "netmask: 255.255.255.0",
                 "dns-nameservers: 192.0.2.53 198.51.100.53 2001:db8::53",
                 "up: ip -4 route add default via 192.0.2.1 dev eth0 || true"],
        "eth1": ["address: 2001:db8:1::5", "netmask: 64",
                 "up: ip -6 route add default via 2001:db8:1::1 dev eth1 || true"],
    }),
    "yaml_lookalike_names": (["lo", "on", "1e3", "no"], {"on": ["dns-search: example.com corp.example."]}),
}


def test_ifquery_parses_every_golden():
    names = _golden_names(".ifupdown")
    assert sorted(names) == sorted(IFUPDOWN_EXPECTED), "golden files and expectations differ: %s" % names
    for name in names:
        path = os.path.join(GOLDEN, name + ".ifupdown")
        interfaces, options = IFUPDOWN_EXPECTED[name]
        listed = _ifquery(path, "--list").split()
        assert listed == interfaces, "%s: ifquery --list gave %s" % (name, listed)
        for interface, lines in options.items():
            printed = _ifquery(path, interface).splitlines()
            for line in lines:
                assert line in printed, "%s: %s lacks %r:\n%s" % (name, interface, line, "\n".join(printed))


def test_cloud_init_reference_eni_lists_the_same_interfaces():
    """cloud-init's ENI rendering of each EC2 case names the same auto
    interfaces as ours: the stanza layout is the same, only the route
    commands differ (see src/render/ifupdown.cpp)."""
    for reference in sorted(glob.glob(os.path.join(REFERENCE, "*.cloud-init.eni"))):
        name = os.path.basename(reference)[: -len(".cloud-init.eni")]
        theirs = _ifquery(reference, "--list").split()
        ours = _ifquery(os.path.join(GOLDEN, name + ".ifupdown"), "--list").split()
        assert sorted(theirs) == sorted(ours), "%s: cloud-init %s, metaboot %s" % (name, theirs, ours)


def test_metadata_json_golden_is_valid_json():
    import json
    with open(os.path.join(GOLDEN, "metadata.json"), "rb") as f:
        raw = f.read()
    document = json.loads(raw.decode("utf-8"))  # strict: invalid UTF-8 would raise
    assert document["provider"] == "ec2"
    assert document["user_data_present"] is True
    assert [entry["path"] for entry in document["raw"]] == ["meta-data/instance-id", "meta-data/tags/instance/Name"]
    assert b"secret" not in raw
