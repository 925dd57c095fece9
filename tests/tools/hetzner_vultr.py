"""Hetzner Cloud's and Vultr's metadata services, for tests: served by
imds_emulator.py's server (its faults, log and socket behaviour) when
--metadata-v1 names "hetzner" or "vultr" as its cloud.

  * Hetzner Cloud (https://docs.hetzner.cloud/#server-metadata):
    GET /hetzner/v1/metadata is the whole server as YAML (with cloud-init's
    network config v1 under network-config); /hetzner/v1/metadata/KEY is one
    key: a scalar as text, public-keys as a JSON list (as afterburn reads
    it), network-config and private-networks as YAML; GET
    /hetzner/v1/userdata is the user-data, or 204 with no body when the
    server has none. No header is asked for.
  * Vultr (https://www.vultr.com/metadata/): GET /v1.json is the whole
    instance; /v1/KEY/... one member (a scalar as text, a container as a
    listing). cloud-init sends Metadata-Token: cloudinit, which changes no
    answer here (Vultr serves /v1.json without it); the log's "token" field
    says whether it came.
  * both are read-only: any method but GET is 405; an unknown path is 404.

Settings (imds_emulator's --metadata-v1 JSON object):
    {"cloud": "hetzner" | "vultr",
     "set": {KEY: VALUE, ...},        top-level members replaced
     "document": {...} or "text",     the whole answer instead (bad input)
     "user_data": "text" | null,      Hetzner: null is 204
     "cloud_interfaces": true,        Vultr: the network as cloud-init v1
     "unconfigured": [INDEX, ...]}    Vultr: those interfaces marked so
The NICs are imds_emulator's --nics/--macs: the first is the public one
(DHCPv4; Hetzner's static IPv6 via fe80::1, Vultr's SLAAC and an
additional IPv4), the others private (Hetzner: in private-networks only, as
its network-config lists the public NIC alone; Vultr: a static IPv4 with
MTU 1450 and a route).
"""
import json

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG1ldGFkYXRhLXYxLWVtdWxhdG9yLWtleQ emulated@example"
USER_DATA = "#cloud-config\nhostname: emulated\n"
HETZNER_ID = "42424242"


def hetzner(macs):
    config = [{"mac_address": macs[0], "name": "eth0", "subnets": [
        {"ipv4": True, "type": "dhcp"},
        {"address": "2001:db8:4f8:c17::1/64", "dns_nameservers": ["2001:db8:ff00::add:2", "2001:db8:ff00::add:1"],
         "gateway": "fe80::1", "ipv6": True, "type": "static"}], "type": "physical"}] if macs else []
    private = [{"ip": "198.18.%d.2" % (10 + i), "alias_ips": [], "interface_num": i + 1, "mac_address": mac,
                "network_id": 4124728 + i, "network_name": "net%d" % i, "network": "198.18.%d.0/24" % (10 + i),
                "subnet": "198.18.%d.0/24" % (10 + i), "gateway": "198.18.%d.1" % (10 + i)} for i, mac in enumerate(macs[1:])]
    return {
        "availability-zone": "fsn1-dc14",
        "hostname": "metaboot-hetzner",
        "instance-id": int(HETZNER_ID),
        "local-ipv4": "",
        "network-config": {"config": config, "version": 1},
        "private-networks": private,
        "public-ipv4": "198.51.100.24",
        "public-keys": [KEY],
        "region": "eu-central",
        "vendor_data": "#cloud-config\nruncmd: []\n",
    }


def vultr(macs, cloud_interfaces=False):
    interfaces = []
    for i, mac in enumerate(macs):
        if i == 0:
            interfaces.append({"ipv4": {"additional": [{"address": "198.18.9.77", "netmask": "255.255.255.0"}],
                                        "address": "198.18.0.171", "gateway": "198.18.0.1", "netmask": "255.255.255.0"},
                               "ipv6": {"additional": [], "address": "2001:db8:5:28a7::171", "network": "2001:db8:5:28a7::",
                                        "prefix": "64"},
                               "mac": mac, "network-type": "public"})
        else:
            interfaces.append({"ipv4": {"additional": [], "address": "10.1.%d.3" % (111 + i), "gateway": "",
                                        "netmask": "255.255.240.0"},
                               "ipv6": {"additional": [], "network": "", "prefix": ""},
                               "mac": mac, "mtu": 1450, "network-type": "private",
                               "routes": [{"network": "198.18.64.0", "netmask": "255.255.192.0", "gateway": "10.1.%d.1" % (111 + i)}],
                               "network-v2-id": "fbbe2b5b-b986-4396-87f5-72466%07d" % i})
    doc = {
        "bgp": {"ipv4": {"my-address": "", "my-asn": "", "peer-address": "", "peer-asn": ""},
                "ipv6": {"my-address": "", "my-asn": "", "peer-address": "", "peer-asn": ""}},
        "hostname": "metaboot-vultr",
        "instance-v2-id": "29bea708-2e6e-480a-90ad-0e6b5d5ad62f",
        "instanceid": "42872224",
        "interfaces": interfaces,
        "public-keys": [KEY],
        "region": {"regioncode": "AMS", "countrycode": "NL"},
        "tags": [],
        "user-defined": [],
        "startup-script": "",
        "user-data": USER_DATA,
        "vendor-data": ["#cloud-config\n{\"package_upgrade\": \"false\"}"],
    }
    if cloud_interfaces:
        doc["interfaces"] = []
        doc["cloud_interfaces"] = {"version": 1, "config": [
            {"type": "nameserver", "address": ["108.61.10.10", "2001:19f0:300:1704::6"]}] + [
            {"type": "physical", "mac_address": mac, "accept-ra": 1, "subnets": [{"type": "dhcp"}, {"type": "ipv6_slaac"}]}
            if i == 0 else
            {"type": "physical", "mac_address": mac, "mtu": 1450,
             "subnets": [{"type": "static", "address": "10.1.%d.3" % (111 + i), "netmask": "255.255.240.0"}]}
            for i, mac in enumerate(macs)]}
    return doc


def yaml(value, indent=0):
    """Block YAML as Hetzner writes it: mappings and sequences by
    indentation, strings quoted where YAML would read them otherwise."""
    pad = " " * indent
    if isinstance(value, dict):
        if not value:
            return "{}\n"
        out = ""
        for key, item in value.items():
            if isinstance(item, (dict, list)) and item:
                out += "%s%s:\n%s" % (pad, key, yaml(item, indent + 2))
            else:
                out += "%s%s: %s" % (pad, key, yaml(item, 0))
        return out
    if isinstance(value, list):
        if not value:
            return "[]\n"
        out = ""
        for item in value:
            text = yaml(item, indent + 2)
            out += "%s- %s" % (pad, text[indent + 2:] if isinstance(item, (dict, list)) and item else text)
        return out
    if value is True or value is False:
        return ("true" if value else "false") + "\n"
    if isinstance(value, int):
        return "%d\n" % value
    text = str(value)
    plain = text and all(c.isalnum() or c in "-_.:/@" for c in text) and not text[0] in "-:" and \
        text.lower() not in ("true", "false", "yes", "no", "on", "off", "null", "~")
    return (text if plain and ":" not in text else json.dumps(text)) + "\n"


def settings(cfg):
    value = getattr(cfg, "metadata_v1", None) or {}
    return json.loads(value) if isinstance(value, str) else value


def claims(cfg, path):
    """Whether this module answers `path` under cfg's settings."""
    cloud = settings(cfg).get("cloud") if cfg.metadata_v1 is not None else None
    if cloud == "hetzner":
        return path.startswith("/hetzner/")
    if cloud == "vultr":
        return path == "/v1.json" or path.startswith("/v1/") or path == "/v1"
    return False


def document(cfg):
    s = settings(cfg)
    if "document" in s:
        return s["document"]
    doc = hetzner(cfg.macs) if s["cloud"] == "hetzner" else vultr(cfg.macs, s.get("cloud_interfaces", False))
    for i in s.get("unconfigured", []):
        doc["interfaces"][i]["unconfigured"] = True
    doc.update(s.get("set", {}))
    return doc


def handle(handler, method):
    cfg = handler.server.config
    s = settings(cfg)
    token = handler.headers.get("Metadata-Token") is not None
    if method != "GET":
        return handler.reply(405, "Method Not Allowed", token=token)
    if handler.fault():
        return
    path = handler.path.split("?", 1)[0]
    doc = document(cfg)
    if s["cloud"] == "hetzner":
        if path == "/hetzner/v1/userdata":
            user_data = s.get("user_data", USER_DATA)
            if user_data is None:
                handler.send_response(204)
                handler.end_headers()
                return handler.record(204, 0, token)
            return handler.reply(200, user_data)
        if path == "/hetzner/v1/metadata":
            return handler.reply(200, doc if isinstance(doc, str) else yaml(doc))
        key = path[len("/hetzner/v1/metadata/"):] if path.startswith("/hetzner/v1/metadata/") else None
        if key is None or isinstance(doc, str) or key not in doc:
            return handler.reply(404, "not found")
        value = doc[key]
        if key == "public-keys":
            return handler.reply(200, json.dumps(value), "application/json")
        return handler.reply(200, yaml(value) if isinstance(value, (dict, list)) else str(value))
    if path == "/v1.json":
        return handler.reply(200, doc if isinstance(doc, str) else json.dumps(doc, indent=2), "application/json", token=token)
    node = doc if not isinstance(doc, str) else {}
    for part in [p for p in path[len("/v1"):].split("/") if p]:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return handler.reply(404, "not found", token=token)
    if isinstance(node, dict):
        return handler.reply(200, "".join(k + ("/" if isinstance(v, (dict, list)) else "") + "\n" for k, v in node.items()), token=token)
    if isinstance(node, list):
        return handler.reply(200, "".join("%d\n" % i for i in range(len(node))), token=token)
    return handler.reply(200, str(node), token=token)
