"""Oracle Cloud Infrastructure's instance metadata service, for imds_emulator.py.

imds_emulator.py hands every GET under /opc/ to serve() after its common
faults (--stall, --reset, --fail-500, --drip, --redirect, ...), so those hit
these paths as they hit EC2's. What the service does, after Oracle's
documentation (https://docs.oracle.com/en-us/iaas/Content/Compute/Tasks/
gettingmetadata.htm) and the answers quoted in cloud-init's
tests/unittests/sources/test_oracle.py:

  * /opc/v2/... answers 401 unless the request carries
    "Authorization: Bearer Oracle", and refuses one forwarded through a
    proxy (Forwarded, X-Forwarded-For, X-Forwarded-Host; the documentation
    says "rejected" without a code: 401 here too); /opc/v1/... takes no
    header;
  * --oci-v1 off: an instance whose legacy v1 endpoints are disabled, which
    answers them 404; --oci-v2 off: an older service without v2 (404);
  * /opc/vN/instance/ is one JSON object, /opc/vN/instance/KEY[/KEY] one
    member of it (an object as JSON, anything else as text); /opc/vN/vnics/
    is a JSON array, the primary VNIC first, /opc/vN/vnics/INDEX/KEY one
    member; a path without its trailing slash answers the same;
  * --oci-429 PATH=COUNT: 429 Too Many Requests (with Retry-After: 1), the
    service's rate limit, COUNT times.

VNIC i has the MAC of NIC i (--macs / --nics); the primary's address is the
DHCP server's to give, so privateIp names the address the test's DHCP server
hands out (--oci-primary-ip); secondary VNIC i is 198.18.i.<--ipv4-host>/24
with its router at 198.18.i.1, as tests/lib/netns.py numbers its subnets.
--oci-ipv6 adds an IPv6 address to every VNIC, --oci-ipv6-only drops the
IPv4 of the secondaries (subnetCidrBlock then reads "<null>", as OCI sends
it). Standard library only.
"""
import base64
import json

PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx1c2VyLWtleS1mb3ItbWV0YWJvb3QtdGVzdHM= test@metaboot"

DEFAULTS = {"oci_v1": "on", "oci_v2": "on", "oci_429": None, "oci_ipv6": False, "oci_ipv6_only": False,
            "oci_primary_ip": "198.18.0.150", "oci_hostile": False}


def add_arguments(p, key_value):
    p.add_argument("--oci-v1", choices=["on", "off"], default=None, help="OCI: serve /opc/v1/ (default on)")
    p.add_argument("--oci-v2", choices=["on", "off"], default=None, help="OCI: serve /opc/v2/ (default on)")
    p.add_argument("--oci-429", type=key_value, action="append", metavar="PATH=COUNT",
                   help="OCI: answer PATH 429 COUNT times")
    p.add_argument("--oci-ipv6", action="store_true", default=None, help="OCI: an IPv6 address on every VNIC")
    p.add_argument("--oci-ipv6-only", action="store_true", default=None, help="OCI: secondary VNICs without IPv4")
    p.add_argument("--oci-primary-ip", default=None, help="OCI: the primary VNIC's privateIp")
    p.add_argument("--oci-hostile", action="store_true", default=None,
                   help="OCI: values with newlines, quotes and shell in them, a VNIC with a bad MAC")


class Settings:
    def __init__(self, args, cfg):
        self.cfg = cfg
        self.v1 = args.oci_v1 == "on"
        self.v2 = args.oci_v2 == "on"
        self.rate_limited = {k: int(v) for k, v in dict(args.oci_429 or {}).items()}
        self.ipv6 = bool(args.oci_ipv6 or args.oci_ipv6_only)
        self.ipv6_only = bool(args.oci_ipv6_only)
        self.primary_ip = args.oci_primary_ip
        self.hostile = bool(args.oci_hostile)

    def instance(self):
        cfg = self.cfg
        keys = "\n".join([PUBLIC_KEY] * max(cfg.public_keys, 0))
        metadata = {"ssh_authorized_keys": keys}
        if cfg.user_data is not None:
            metadata["user_data"] = base64.b64encode(cfg.user_data.encode()).decode()
        doc = {
            "availabilityDomain": "qIZq:PHX-AD-1",
            "faultDomain": "FAULT-DOMAIN-2",
            "compartmentId": "ocid1.compartment.oc1..aaaaaaaametaboot",
            "displayName": "metaboot-test",
            "hostname": "metaboot-oci",
            "id": "ocid1.instance.oc1.phx.anyhqljtmetabootemulated",
            "image": "ocid1.image.oc1.phx.aaaaaaaametaboot",
            "metadata": metadata,
            "region": "phx",
            "canonicalRegionName": "us-phoenix-1",
            "ociAdName": "phx-ad-1",
            "shape": "VM.Standard.E4.Flex",
            "state": "Running",
            "timeCreated": 1700000000000,
            "agentConfig": {"monitoringDisabled": False, "managementDisabled": False},
        }
        if self.hostile:
            doc["hostname"] = "evil\nhost: name"
            doc["id"] = "ocid1.instance; reboot"
            doc["metadata"]["ssh_authorized_keys"] = PUBLIC_KEY + "\ncommand=\"reboot\" not-a-key\n"
            doc["metadata"]["user_data"] = "not base64 at all!"
        return doc

    def vnics(self):
        cfg = self.cfg
        out = []
        for i, mac in enumerate(cfg.macs):
            vnic = {
                "vnicId": "ocid1.vnic.oc1.phx.metaboot%d" % i,
                "privateIp": self.primary_ip if i == 0 else "198.18.%d.%d" % (i, cfg.ipv4_host),
                "vlanTag": 1000 + i,
                "macAddr": mac.upper(),
                "virtualRouterIp": "198.18.%d.1" % i,
                "subnetCidrBlock": "198.18.%d.0/24" % i,
            }
            if self.ipv6:
                vnic["ipv6Addresses"] = ["2001:db8:%x::%d" % (i + 1, cfg.ipv4_host)]
                vnic["ipv6SubnetCidrBlock"] = "2001:db8:%x::/64" % (i + 1)
                vnic["ipv6VirtualRouterIp"] = "fe80::200:17ff:fe40:8972"
            if self.ipv6_only and i > 0:
                del vnic["privateIp"], vnic["virtualRouterIp"]
                vnic["subnetCidrBlock"] = "<null>"
            out.append(vnic)
        if self.hostile:
            out.append({"vnicId": "x", "privateIp": "198.18.9.9\n- evil", "macAddr": "02:00:00:00:09:09\nx",
                        "subnetCidrBlock": "198.18.9.0/24"})
        return out


def _rate_limited(handler, settings):
    with settings.cfg.lock:
        for key in (handler.path, "*"):
            if settings.rate_limited.get(key, 0) > 0:
                settings.rate_limited[key] -= 1
                return True
    return False


def serve(handler, path):
    """Answers one GET under /opc/ through the emulator's handler."""
    settings = handler.server.config.oci
    authorized = handler.headers.get("Authorization") == "Bearer Oracle"
    if _rate_limited(handler, settings):
        handler.send_response(429)
        handler.send_header("Retry-After", "1")
        handler.send_header("Content-Length", "0")
        handler.end_headers()
        handler.record(429, 0, authorized)
        return
    parts = [p for p in path.split("?", 1)[0].split("/") if p]
    if len(parts) < 3 or parts[0] != "opc" or parts[1] not in ("v1", "v2"):
        return handler.reply(404, "Not Found", token=authorized)
    if (parts[1] == "v1" and not settings.v1) or (parts[1] == "v2" and not settings.v2):
        return handler.reply(404, "Not Found", token=authorized)
    forwarded = any(handler.headers.get(h) is not None for h in ("Forwarded", "X-Forwarded-For", "X-Forwarded-Host"))
    if parts[1] == "v2" and (not authorized or forwarded):
        return handler.reply(401, json.dumps({"code": "NotAuthenticated", "message": "Not Authenticated"}),
                             "application/json", token=False)
    if parts[2] == "instance":
        value = settings.instance()
    elif parts[2] == "vnics":
        value = settings.vnics()
    else:
        return handler.reply(404, "Not Found", token=authorized)
    for key in parts[3:]:
        if isinstance(value, dict) and key in value:
            value = value[key]
        elif isinstance(value, list) and key.isdigit() and int(key) < len(value):
            value = value[int(key)]
        else:
            return handler.reply(404, "Not Found", token=authorized)
    if isinstance(value, (dict, list)):
        return handler.reply(200, json.dumps(value, indent=2), "application/json", token=authorized)
    return handler.reply(200, str(value), token=authorized)
