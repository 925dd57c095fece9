#!/usr/bin/python3
"""TEST-ONLY stand-in for tests/tools/imds_emulator.py, used by the boot tests
only while the project's emulator is not in the tree (bootlib prefers the real
one as soon as it exists). It serves one EC2 instance with one NIC over
IMDSv2, tokens required, and nothing else: no version gating, no faults.

    imds_stub.py --address 169.254.169.254 --port 80 --mac 52:54:00:12:34:56 \
                 --ipv4 198.18.0.10 --subnet 198.18.0.0/24
"""
import argparse
import http.server
import json
import secrets
import sys

VERSIONS = ["1.0", "2009-04-04", "2011-01-01", "2016-09-02", "2021-07-15", "latest"]


def instance_tree(args):
    mac = args.mac.lower()
    nic = {
        "device-number": "0",
        "network-card": "0",
        "interface-id": "eni-0b00750000000000a",
        "local-hostname": "ip-%s.ec2.internal" % args.ipv4.replace(".", "-"),
        "local-ipv4s": args.ipv4,
        "mac": mac,
        "owner-id": "111122223333",
        "subnet-id": "subnet-0b00750000000000b",
        "subnet-ipv4-cidr-block": args.subnet,
        "vpc-id": "vpc-0b00750000000000c",
        "vpc-ipv4-cidr-block": args.subnet,
        "vpc-ipv4-cidr-blocks": args.subnet,
    }
    return {
        "meta-data": {
            "ami-id": "ami-0b007500000000000",
            "hostname": nic["local-hostname"],
            "instance-id": "i-0b007500000000000",
            "instance-type": "t3.micro",
            "local-hostname": nic["local-hostname"],
            "local-ipv4": args.ipv4,
            "mac": mac,
            "placement": {"availability-zone": "us-east-1a", "region": "us-east-1"},
            "network": {"interfaces": {"macs": {mac: nic}}},
        },
        "user-data": "#cloud-config\n# metaboot boot test\n",
        "dynamic": {"instance-identity": {"document": json.dumps({
            "instanceId": "i-0b007500000000000", "region": "us-east-1",
            "availabilityZone": "us-east-1a", "instanceType": "t3.micro"})}},
    }


def make_handler(tree, tokens):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def reply(self, status, body=b"", ctype="text/plain"):
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def do_PUT(self):
            if self.path != "/latest/api/token":
                return self.reply(404)
            if not self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
                return self.reply(400)
            token = secrets.token_urlsafe(24)
            tokens.add(token)
            self.reply(200, token.encode())

        def do_GET(self):
            if self.headers.get("X-aws-ec2-metadata-token") not in tokens:
                return self.reply(401)
            parts = [p for p in self.path.split("?")[0].split("/") if p]
            if not parts:
                return self.reply(200, "\n".join(VERSIONS).encode())
            if parts[0] not in VERSIONS:
                return self.reply(404)
            node = tree
            for part in parts[1:]:
                if not isinstance(node, dict) or part not in node:
                    return self.reply(404)
                node = node[part]
            if isinstance(node, dict):
                listing = [k + "/" if isinstance(v, dict) else k for k, v in node.items()]
                return self.reply(200, "\n".join(listing).encode())
            self.reply(200, node.encode())

        def log_message(self, fmt, *args):
            sys.stderr.write("imds-stub: %s %s\n" % (self.address_string(), fmt % args))

    return Handler


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--address", default="169.254.169.254")
    parser.add_argument("--port", type=int, default=80)
    parser.add_argument("--mac", required=True)
    parser.add_argument("--ipv4", required=True)
    parser.add_argument("--subnet", required=True)
    args = parser.parse_args()
    server = http.server.ThreadingHTTPServer((args.address, args.port), make_handler(instance_tree(args), set()))
    server.serve_forever()


if __name__ == "__main__":
    main()
