"""Azure's Instance Metadata Service, for imds_emulator.py (which routes every
/metadata/ request here and serves it with its own faults: --stall, --reset,
--fail-500, --drip ... keyed by the request path, query included, or '*').

The rules are IMDS's own, as Microsoft documents them
(https://learn.microsoft.com/en-us/azure/virtual-machines/instance-metadata-service,
"Errors and debugging"):
  * GET only; anything else is 405;
  * without the header `Metadata: true`, or with X-Forwarded-For, 400;
  * no api-version, or one IMDS does not know, 400 (with "newest-versions");
  * an unknown path, 404;
  * 404 and 410 while the VM is being provisioned, 429 when throttled:
    --azure-fail STATUS=COUNT answers the next COUNT requests with STATUS (a
    429 carries Retry-After, as throttling answers do).
The document is /metadata/instance (2019-06-01 and later; `extended=true`
from 2021-03-01 adds nothing metaboot reads): compute (vmId, osProfile
.computerName, location, vmSize, platformFaultDomain, publicKeys, userData
base64) and network.interface[] (macAddress as 12 upper-case hex digits,
ipv4/ipv6 ipAddress[].privateIpAddress, subnet[].prefix as strings).
"""
import base64
import json

# A subset of the versions IMDS lists, oldest first; enough for the fallback.
VERSIONS = ["2017-04-02", "2018-10-01", "2019-06-01", "2020-09-01", "2021-02-01", "2021-08-01", "2023-07-01"]
VM_ID = "02aab8a4-74ef-476e-8182-f6d2ba4166a6"


def add_arguments(p):
    p.add_argument("--azure-versions", default=None, help="comma-separated api-versions IMDS knows (default: a 2017-2023 list)")
    p.add_argument("--azure-fail", action="append", default=None, metavar="STATUS=COUNT",
                   help="answer the next COUNT /metadata/instance requests with STATUS (404, 410, 429, 500, ...)")


def configure(config, args):
    config.azure_versions = args.azure_versions.split(",") if args.azure_versions else list(VERSIONS)
    config.azure_fail = []
    for item in args.azure_fail or ():
        status, _, count = item.partition("=")
        config.azure_fail += [int(status)] * int(count or 1)


def document(cfg):
    hostile = cfg.hostile
    compute = {
        "azEnvironment": "AzurePublicCloud",
        "location": "westeurope",
        "name": "emulated-vm",
        "osProfile": {"adminUsername": "azureuser",
                      "computerName": "vm\n$(reboot)" if hostile else "emulated-vm",
                      "disablePasswordAuthentication": "true"},
        "platformFaultDomain": "0",
        "publicKeys": [{"keyData": "ssh-rsa AAAA\nrm -rf /" if hostile else "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx1c2VyLWtleS1mb3ItbWV0YWJvb3QtdGVzdHM= test@metaboot",
                        "path": "/home/azureuser/.ssh/authorized_keys"}],
        "userData": "!not base64!" if hostile else base64.b64encode((cfg.user_data or "").encode()).decode(),
        "vmId": "../../etc" if hostile else VM_ID,
        "vmSize": "Standard_D2s_v3",
    }
    interfaces = []
    for i, mac in enumerate(cfg.macs):
        ipv4 = ["198.18.%d.%d" % (i, cfg.ipv4_host)] + (["198.18.%d.%d" % (i, cfg.ipv4_host + 1)] if i == 0 else [])
        ipv6 = ["2001:db8:%x::4" % (i + 10), "2001:db8:%x::5" % (i + 10)] if cfg.ipv6 and i == 0 else []
        interfaces.append({
            "ipv4": {"ipAddress": [{"privateIpAddress": a, "publicIpAddress": ""} for a in ipv4],
                     "subnet": [{"address": "198.18.%d.0" % i, "prefix": "24"}]},
            "ipv6": {"ipAddress": [{"privateIpAddress": a} for a in ipv6]}
                    | ({"subnet": [{"address": "2001:db8:%x::" % (i + 10), "prefix": "64"}]} if ipv6 else {}),
            "macAddress": mac.replace(":", "").upper(),
        })
    return json.dumps({"compute": compute, "network": {"interface": interfaces}}, indent=2)


def error(handler, status, message, extra=None):
    body = {"error": message}
    body.update(extra or {})
    handler.reply(status, json.dumps(body), "application/json; charset=utf-8")


def handle(handler):
    """One request under /metadata/; the emulator's faults have run already."""
    cfg = handler.server.config
    path, _, query = handler.path.partition("?")
    params = dict(p.partition("=")[::2] for p in query.split("&") if p)
    if handler.command != "GET":
        return error(handler, 405, "Bad request. Method not allowed")
    if handler.headers.get("Metadata") != "true" or handler.headers.get("X-Forwarded-For") is not None:
        return error(handler, 400, "Bad request. Required metadata header not specified")
    if path not in ("/metadata/instance", "/metadata/instance/"):
        return error(handler, 404, "Not found")
    version = params.get("api-version")
    if version is None:
        return error(handler, 400, "Bad request. api-version was not specified in the request",
                     {"newest-versions": cfg.azure_versions[::-1][:3]})
    if version not in cfg.azure_versions:
        return error(handler, 400, "Bad request. api-version is invalid", {"newest-versions": cfg.azure_versions[::-1][:3]})
    with cfg.lock:
        status = cfg.azure_fail.pop(0) if cfg.azure_fail else None
    if status == 429:
        handler.send_response(429)
        handler.send_header("Content-Type", "application/json; charset=utf-8")
        handler.send_header("Retry-After", "1")
        body = json.dumps({"error": "Too many requests"}).encode()
        handler.send_header("Content-Length", str(len(body)))
        handler.record(429, len(body), False)  # before it leaves, as reply() does
        handler.end_headers()
        handler.wfile.write(body)
        return None
    if status is not None:
        return error(handler, status, "Unavailable")
    handler.reply(200, document(cfg), "application/json; charset=utf-8")
