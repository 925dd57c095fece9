"""DigitalOcean's and UpCloud's metadata services, for tests: served by
imds_emulator.py's server (its faults, log and socket behaviour) for paths
under /metadata/v1 when --metadata-v1 is given.

Both services answer the whole instance as one JSON document at
/metadata/v1.json, with no header asked of the client, and the same facts
key by key under /metadata/v1/:
  * DigitalOcean (https://docs.digitalocean.com/reference/api/metadata/):
    GET /metadata/v1.json; GET /metadata/v1/ lists the keys, one a line,
    a directory with a trailing '/'; /metadata/v1/id is the droplet id,
    other keys are the JSON names with '-' for '_' (user-data,
    public-keys); a list is its items by index;
  * UpCloud (https://developers.upcloud.com/1.3/8-servers/#metadata-service):
    the same two forms under the same paths, with its own JSON names;
  * both are read-only: any method but GET is 405; an unknown
    path is 404 with a short text body.

Settings come as a JSON object in imds_emulator's --metadata-v1 flag:
    {"cloud": "digitalocean" | "upcloud",
     "set": {KEY: VALUE, ...},        top-level members replaced
     "document": {...} or "text"}     the whole answer instead (bad input)
The NICs are imds_emulator's --nics/--macs: DigitalOcean's public NIC is the
first MAC and its private NIC the second; UpCloud's interfaces are the
MACs in order, the first public (DHCP and a floating address), the second
private (a static address with its own DNS), the third an IPv6 one
(stateless DHCPv6). Each request is logged with its method and status.
"""
import json

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG1ldGFkYXRhLXYxLWVtdWxhdG9yLWtleQ emulated@example"


def digitalocean(macs):
    interfaces = {}
    if macs:
        interfaces["public"] = [{
            "ipv4": {"ip_address": "198.18.50.93", "netmask": "255.255.255.0", "gateway": "198.18.50.1"},
            "ipv6": {"ip_address": "2001:db8:50::93", "cidr": 64, "gateway": "2001:db8:50::1"},
            "anchor_ipv4": {"ip_address": "198.19.0.9", "netmask": "255.255.0.0", "gateway": "198.19.0.1"},
            "mac": macs[0], "type": "public"}]
    if len(macs) > 1:
        interfaces["private"] = [{
            "ipv4": {"ip_address": "198.18.132.75", "netmask": "255.255.0.0", "gateway": "198.18.0.1"},
            "mac": macs[1], "type": "private"}]
    return {
        "droplet_id": 2756294,
        "hostname": "metaboot-droplet",
        "user_data": "#cloud-config\nhostname: emulated\n",
        "vendor_data": "#cloud-config\ndisable_root: false\n",
        "public_keys": [KEY],
        "auth_key": "3c1f8a4e9d2b7a6f0e5d4c3b2a190817",
        "region": "ams3",
        "interfaces": interfaces,
        "floating_ip": {"ipv4": {"active": False}},
        "reserved_ip": {"ipv4": {"active": False}},
        "dns": {"nameservers": ["198.18.77.1", "198.18.77.2"]},
        "tags": None,
        "features": {"dhcp_enabled": False},
        "modify_index": 91283,
    }


def upcloud(macs):
    kinds = [
        ("public", [{"address": "198.18.0.53", "dhcp": True, "dns": ["198.18.127.9", "198.18.40.9"], "family": "IPv4",
                     "floating": False, "gateway": "198.18.0.1", "network": "198.18.0.0/24"},
                    {"address": "198.18.105.50", "dhcp": False, "dns": [], "family": "IPv4", "floating": True,
                     "gateway": "", "network": "198.18.105.50/32"}]),
        ("private", [{"address": "198.18.30.10", "dhcp": False, "dns": ["198.18.30.53"], "family": "IPv4",
                      "floating": False, "gateway": "", "network": "198.18.30.0/24"}]),
        ("public", [{"address": "2001:db8:1000:720:38d6:baff:fe4a:63e7", "dhcp": True, "dns": ["2001:db8:53::1"],
                     "family": "IPv6", "floating": False, "gateway": "2001:db8:1000:720::1",
                     "network": "2001:db8:1000:720::/64"}]),
    ]
    interfaces = [{"index": i + 1, "ip_addresses": kinds[i % 3][1], "mac": mac,
                   "network_id": "03%06x-0f8c-483c-96f2-eccede02909c" % i, "type": kinds[i % 3][0]}
                  for i, mac in enumerate(macs)]
    return {
        "cloud_name": "upcloud",
        "instance_id": "00322b68-0096-4042-9406-faad61922128",
        "hostname": "metaboot-upcloud",
        "platform": "servers",
        "subplatform": "metadata (http://169.254.169.254)",
        "public_keys": [KEY],
        "region": "fi-hel2",
        "network": {"interfaces": interfaces, "dns": ["198.18.127.9", "198.18.40.9"]},
        "storage": {"disks": [{"id": "01a9b0c5-2a7d-4a8f-9b7c-2d1a8e5f6c3b", "serial": "01a9b0c52a7d4a8f9b7c", "size": 25600,
                               "type": "disk", "tier": "maxiops"}]},
        "tags": [],
        "user_data": "#cloud-config\nhostname: emulated\n",
        "vendor_data": "",
    }


def settings(cfg):
    value = getattr(cfg, "metadata_v1", None) or {}
    if isinstance(value, str):
        value = json.loads(value)
    return value


def document(cfg):
    """The JSON text of /metadata/v1.json."""
    s = settings(cfg)
    if "document" in s:
        return s["document"] if isinstance(s["document"], str) else json.dumps(s["document"])
    doc = (digitalocean if s.get("cloud", "digitalocean") == "digitalocean" else upcloud)(cfg.macs)
    doc.update(s.get("set", {}))
    return json.dumps(doc, indent=2)


def path_name(key, cloud):
    if cloud == "digitalocean" and key == "droplet_id":
        return "id"
    return key.replace("_", "-")


def lookup(node, parts, cloud):
    for part in parts:
        if isinstance(node, dict):
            names = {path_name(k, cloud): k for k in node}
            if part not in names:
                return None
            node = node[names[part]]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def handle(handler, method):
    """One request under /metadata/v1 for imds_emulator's Handler; its fault
    flags apply as to any other path."""
    cfg = handler.server.config
    if method != "GET":
        return handler.reply(405, "Method Not Allowed")
    if handler.fault():
        return
    path = handler.path.split("?", 1)[0]
    body = document(cfg)
    if path == "/metadata/v1.json":
        return handler.reply(200, body, "application/json")
    if not path.startswith("/metadata/v1/"):
        return handler.reply(404, "not found")
    s = settings(cfg)
    try:
        tree = json.loads(body)
    except ValueError:
        return handler.reply(404, "not found")
    node = lookup(tree, [p for p in path[len("/metadata/v1/"):].split("/") if p], s.get("cloud", "digitalocean"))
    if node is None:
        return handler.reply(404, "not found")
    if isinstance(node, dict):
        return handler.reply(200, "".join(path_name(k, s.get("cloud", "digitalocean")) + ("/" if isinstance(v, (dict, list)) else "") + "\n"
                                          for k, v in node.items()))
    if isinstance(node, list):
        return handler.reply(200, "".join("%d%s\n" % (i, "/" if isinstance(v, (dict, list)) else "") for i, v in enumerate(node)))
    if isinstance(node, bool):
        return handler.reply(200, "true" if node else "false")
    return handler.reply(200, "" if node is None else str(node))
