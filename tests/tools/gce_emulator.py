"""Google Compute Engine's metadata server, for tests: served by
imds_emulator.py's server (its faults, log and socket behaviour) for paths
under /computeMetadata/.

The real server's rules, as documented and as it behaves
(https://cloud.google.com/compute/docs/metadata/querying-metadata):
  * every request must carry "Metadata-Flavor: Google", else 403 with the
    server's text; a request carrying X-Forwarded-For is refused (403) too,
    so a proxy cannot be turned into a reader of the metadata;
  * every answer carries "Metadata-Flavor: Google";
  * a directory ("instance/") lists its entries, one a line, a
    subdirectory with a trailing '/'; with ?recursive=true it is one JSON
    object, camelCase names for the instance's own fields and the user's
    attribute names as they are; a directory named without its trailing
    slash is a 301 to the slash form; a key is its value as text;
  * unknown paths are 404; only GET, and PUT on guest-attributes/ (which
    changes the instance: metaboot must never send it), are allowed, other
    methods 405;
  * rate limiting answers 429 (--gce fail_429 here, with Retry-After).

Settings come as a JSON object in imds_emulator's --gce flag (or the
scenario's "gce" key):
    {"id": "4520031799277581759", "hostname": "vm-1.c.example-project.internal",
     "zone": "us-central1-a", "machine_type": "e2-medium",
     "attributes": {"ssh-keys": "cloudinit:ssh-ed25519 ...", "user-data": "..."},
     "project_attributes": {"ssh-keys": "..."},
     "fail_429": {"PATH": COUNT}}
The NICs are imds_emulator's --nics/--macs. Each request is logged with
"token": whether Metadata-Flavor: Google was sent.
"""
import json
from urllib.parse import parse_qs, urlsplit

ROOT = "/computeMetadata/v1/"
PROJECT_NUMBER = "123456789012"
DEFAULTS = {
    "id": "4520031799277581759",
    "hostname": "vm-1.us-central1-a.c.example-project.internal",
    "zone": "us-central1-a",
    "machine_type": "e2-medium",
    "attributes": {},
    "project_attributes": {},
    "fail_429": {},
}


def settings(cfg):
    value = getattr(cfg, "gce", None) or {}
    if isinstance(value, str):
        value = json.loads(value)
    merged = dict(DEFAULTS)
    merged.update(value)
    return merged


def instance_tree(cfg, gce):
    """The instance/ directory as the recursive JSON shows it."""
    nics = []
    for i, mac in enumerate(cfg.macs):
        nics.append({
            "accessConfigs": [{"externalIp": "", "type": "ONE_TO_ONE_NAT"}],
            "dnsServers": ["169.254.169.254"],
            "forwardedIps": [],
            "gateway": "198.18.%d.1" % i,
            "ip": "198.18.%d.%d" % (i, 100),
            "ipAliases": [],
            "mac": mac,
            "mtu": 1460,
            "network": "projects/%s/networks/default" % PROJECT_NUMBER,
            "subnetmask": "255.255.255.0",
            "targetInstanceIps": [],
        })
    return {
        "attributes": dict(gce["attributes"]),
        "cpuPlatform": "Intel Broadwell",
        "description": "",
        "disks": [{"deviceName": "persistent-disk-0", "index": 0, "interface": "SCSI", "mode": "READ_WRITE",
                   "type": "PERSISTENT-BALANCED"}],
        "guestAttributes": {},
        "hostname": gce["hostname"],
        # A JSON number, as the real server gives it: larger than a double
        # holds exactly.
        "id": int(gce["id"]),
        "image": "projects/debian-cloud/global/images/debian-12-bookworm-v20240110",
        "machineType": "projects/%s/machineTypes/%s" % (PROJECT_NUMBER, gce["machine_type"]),
        "maintenanceEvent": "NONE",
        "name": gce["hostname"].split(".")[0],
        "networkInterfaces": nics,
        "scheduling": {"automaticRestart": "TRUE", "onHostMaintenance": "MIGRATE", "preemptible": "FALSE"},
        "serviceAccounts": {},
        "tags": [],
        "zone": "projects/%s/zones/%s" % (PROJECT_NUMBER, gce["zone"]),
    }


def tree(cfg, gce):
    return {
        "instance": instance_tree(cfg, gce),
        "project": {"attributes": dict(gce["project_attributes"]), "numericProjectId": int(PROJECT_NUMBER),
                    "projectId": "example-project"},
    }


# The tree's camelCase JSON names; the key-by-key form uses dash names
# (machineType -> machine-type), except the user's attribute names.
def dash(name):
    return "".join("-" + c.lower() if c.isupper() else c for c in name)


def lookup(node, parts):
    """The node at `parts` (dash names, but attribute names as they are),
    or None."""
    previous = None
    for part in parts:
        if isinstance(node, dict):
            names = {name if previous == "attributes" else dash(name): name for name in node}
            if part not in names:
                return None
            node = node[names[part]]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
        previous = part
    return node


def text_of(value):
    if isinstance(value, (dict, list)):
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return str(value)


def refuse(handler):
    """The real server's checks on every request: (status, body) or None."""
    if handler.headers.get("Metadata-Flavor") != "Google":
        return 403, ("Your client does not have permission to get URL <code>%s</code> from this server. "
                     "Missing Metadata-Flavor:Google header." % handler.path)
    if handler.headers.get("X-Forwarded-For") is not None:
        return 403, "Request had an X-Forwarded-For header, and was refused."
    return None


def handle(handler, method):
    """Answers one request under /computeMetadata/ for imds_emulator's
    Handler; its fault flags (--fail-500, --stall, --reset, ...) apply as to
    any other path."""
    cfg = handler.server.config
    gce = settings(cfg)
    flavor = handler.headers.get("Metadata-Flavor") == "Google"
    handler.extra_headers = [("Metadata-Flavor", "Google")]
    if handler.fault():
        return
    with cfg.lock:
        left = gce["fail_429"].get(handler.path, 0)
        if left:
            gce["fail_429"][handler.path] = left - 1
            cfg.gce = gce
    if left:
        handler.extra_headers.append(("Retry-After", "1"))
        return handler.reply(429, "Too Many Requests", token=flavor)
    refused = refuse(handler)
    if refused:
        return handler.reply(refused[0], refused[1], "text/html", token=flavor)
    url = urlsplit(handler.path)
    if not url.path.startswith(ROOT):
        return handler.reply(404, "Not Found", token=flavor)
    rest = url.path[len(ROOT):]
    if method == "PUT":
        # Guest attributes are the one thing a guest may write; answered as
        # the real server does, and logged, so a test can assert none came.
        if rest.startswith("instance/guest-attributes/"):
            return handler.reply(200, "", token=flavor)
        return handler.reply(405, "Method Not Allowed", token=flavor)
    if method != "GET":
        return handler.reply(405, "Method Not Allowed", token=flavor)
    directory = rest == "" or rest.endswith("/")
    parts = [p for p in rest.split("/") if p]
    node = lookup(tree(cfg, gce), parts)
    if node is None:
        return handler.reply(404, "Not Found", "text/html", token=flavor)
    recursive = parse_qs(url.query).get("recursive", ["false"])[-1].lower() == "true"
    if isinstance(node, (dict, list)):
        if not directory:
            handler.extra_headers.append(("Location", url.path + "/" + ("?" + url.query if url.query else "")))
            return handler.reply(301, "", token=flavor)
        if recursive:
            return handler.reply(200, json.dumps(node, separators=(",", ":")), "application/json", token=flavor)
        is_attributes = parts[-1:] == ["attributes"]
        if isinstance(node, dict):
            entries = [(name if is_attributes else dash(name)) + ("/" if isinstance(value, (dict, list)) else "")
                       for name, value in sorted(node.items())]
        else:
            entries = ["%d/" % i for i in range(len(node))]
        return handler.reply(200, "".join(e + "\n" for e in entries), "application/text", token=flavor)
    if directory:
        return handler.reply(404, "Not Found", "text/html", token=flavor)
    return handler.reply(200, text_of(node), "application/text", token=flavor)
