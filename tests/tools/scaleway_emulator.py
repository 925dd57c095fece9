#!/usr/bin/python3
"""Scaleway's instance metadata service, for tests.

Serves, over HTTP/1.1 with keep-alive, what cloud-init's DataSourceScaleway
(25.1.4) and afterburn's Scaleway provider read, with the service's rules:
  * GET /conf?format=json: the instance as one JSON document (id, hostname,
    commercial_type, ssh_public_keys, tags, location, private_ip, ipv6,
    public_ip, public_ips);
  * GET /user_data, /user_data/cloud-init, /vendor_data/cloud-init: only to a
    connection from a source port below 1024, which only root can bind
    (cloud-init's query_data_api: "the user data API requires the source
    port to be below 1024"); from any other port 403. No user-data: 404;
  * PATCH /state: the boot check-in that changes the instance's state (what
    afterburn's boot_checkin sends); accepted as the service would, and
    logged with "forbidden": true, since metaboot must never send it. Any
    other method is 405.

Settings:
    --legacy             a private_ip and the ipv6 object (cloud-init's config
                         "kept for backward compatibility"); default: routed
                         IPs (private_ip null, public_ips)
    --public-ipv4 ADDR   the public IPv4 the DHCP server leases (default
                         198.18.0.10); a second one is listed beside it
    --no-ipv4            no IPv4 public address (an IPv6-only instance)
    --no-user-data       user-data answers 404
Every request is logged as one JSON line to --log FILE: method, path,
status, source_port, host, forbidden. Standard library only; meant to run
inside a test network namespace on 169.254.42.42 or fd00:42::42, port 80.
"""
import argparse
import json
import sys
from http.server import BaseHTTPRequestHandler

import http_serve

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHNjYWxld2F5LWVtdWxhdG9yLWtleQ emulated@scaleway"
USER_DATA = "#cloud-config\nhostname: emulated-scaleway\n"


def document(args):
    doc = {
        "id": "5a2e5c87-0b5e-4d7e-9a2b-0a3f0e6a9c11",
        "name": "metaboot-scw",
        "hostname": "metaboot-scw",
        "commercial_type": "DEV1-S",
        "organization": "00000000-0000-4000-8000-000000000000",
        "project": "00000000-0000-4000-8000-000000000000",
        "ssh_public_keys": [{"key": KEY, "fingerprint": "256 MD5:00 emulated@scaleway (ssh-ed25519)"}],
        "tags": ["AUTHORIZED_KEY=" + KEY.replace(" ", "_").replace("emulated@", "tagged@")],
        "location": {"zone_id": "fr-par-1", "platform_id": "14", "cluster_id": "8", "hypervisor_id": "1001", "node_id": "12"},
        "private_ip": None,
        "ipv6": None,
        "public_ip": None,
        "public_ips": [],
    }
    if args.legacy:
        doc["private_ip"] = args.public_ipv4
        doc["ipv6"] = {"address": "2001:db8:43::1", "gateway": "2001:db8:43::", "netmask": "127"}
        doc["public_ip"] = {"id": "p1", "address": "203.0.113.10", "dynamic": False}
        return doc
    if not args.no_ipv4:
        doc["public_ip"] = {"id": "p1", "address": args.public_ipv4, "dynamic": False, "family": "inet", "provisioning_mode": "dhcp"}
        doc["public_ips"].append({"id": "p1", "address": args.public_ipv4, "netmask": "32", "gateway": "62.210.0.1",
                                  "family": "inet", "dynamic": False, "provisioning_mode": "dhcp"})
        doc["public_ips"].append({"id": "p2", "address": "198.18.41.20", "netmask": "32", "gateway": "62.210.0.1",
                                  "family": "inet", "dynamic": False, "provisioning_mode": "manual"})
    doc["public_ips"].append({"id": "p3", "address": "2001:db8:42:7::1", "netmask": "64", "gateway": "2001:db8:42:7::",
                              "family": "inet6", "dynamic": False, "provisioning_mode": "slaac"})
    return doc


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "scaleway-metadata-emulator"
    sys_version = ""

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, body="", content_type="text/plain", forbidden=False):
        body = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        try:
            self.end_headers()
            if body:
                self.wfile.write(body)
        finally:
            # Logged even when the client hung up before the body went out.
            log = self.server.log
            if log is not None:
                entry = {"method": self.command, "path": self.path, "status": status, "source_port": self.client_address[1],
                         "host": self.headers.get("Host"), "forbidden": forbidden}
                with self.server.log_lock:
                    log.write(json.dumps(entry) + "\n")
                    log.flush()

    def do_GET(self):
        args = self.server.args
        if self.path == "/conf?format=json":
            return self.reply(200, json.dumps(document(args)), "application/json")
        if self.path in ("/user_data", "/user_data/", "/user_data/cloud-init", "/vendor_data/cloud-init"):
            if self.client_address[1] >= 1024:
                return self.reply(403, "source port must be privileged (below 1024)")
            if self.path.startswith("/vendor_data") or args.no_user_data:
                return self.reply(404, "not found")
            if self.path.startswith("/user_data/c"):
                return self.reply(200, USER_DATA, "text/plain")
            return self.reply(200, "cloud-init\n", "text/plain")
        return self.reply(404, "not found")

    def do_PATCH(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if self.path == "/state":
            return self.reply(200, "{}", "application/json", forbidden=True)
        return self.reply(405, "", forbidden=True)

    def refuse(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.reply(405, "", forbidden=True)

    do_PUT = do_POST = do_DELETE = refuse


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bind", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--log")
    p.add_argument("--legacy", action="store_true")
    p.add_argument("--public-ipv4", default="198.18.0.10")
    p.add_argument("--no-ipv4", action="store_true")
    p.add_argument("--no-user-data", action="store_true")
    args = p.parse_args(argv)
    return http_serve.serve(Handler, args.bind, args.port, args.log, args=args)


if __name__ == "__main__":
    sys.exit(main())
