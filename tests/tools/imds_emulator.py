#!/usr/bin/python3
"""metaboot's instance metadata emulator: EC2 IMDS, OpenStack and Azure IMDS, for tests.

Serves, over HTTP/1.1 with keep-alive:
  * the EC2 tree: GET / lists the API versions; /<version>/meta-data/...,
    /<version>/dynamic/instance-identity/document, /<version>/user-data, with
    AWS's version gating (network/ and mac from 2011-01-01,
    vpc-ipv4-cidr-blocks from 2016-06-30, ipv6s and subnet-ipv6-cidr-blocks
    from 2016-09-02, placement/region from 2019-10-01, network-card from
    2021-03-23); "latest" is the newest offered version;
  * IMDSv2: PUT /latest/api/token with X-aws-ec2-metadata-token-ttl-seconds,
    and GETs checked against X-aws-ec2-metadata-token;
  * OpenStack: /openstack/ (versions), /openstack/<v>/meta_data.json,
    network_data.json and user_data;
  * Oracle Cloud: /opc/v1/ and /opc/v2/ (tests/tools/oci_imds.py).
  * GCE: /computeMetadata/v1/... (tests/tools/gce_emulator.py, set by --gce).
  * Azure: /metadata/instance with IMDS's rules (tests/tools/azure_imds.py).
  * DigitalOcean and UpCloud: /metadata/v1.json and /metadata/v1/... when
    --metadata-v1 is given (tests/tools/metadata_v1.py); Hetzner Cloud
    (/hetzner/v1/...) and Vultr (/v1.json, /v1/...) when it names them
    (tests/tools/hetzner_vultr.py).
  * Alibaba Cloud ECS: the EC2 tree under Alibaba's token headers, with
    meta-data/all, when --alibaba is given (tests/tools/alibaba_imds.py).

Configured by flags and/or a JSON scenario file (--scenario; keys are the
long flag names with '_' for '-', flags given on the command line win), e.g.
    {"tokens": "required", "nics": 2, "fail_500": {"/": 1}, "stall": ["/latest/user-data"]}

On the wire it is a plain server by default, like Python's http.server and
the small services it stands for: Nagle on, each response's headers and body
in two send()s. --nodelay turns on TCP_NODELAY and sends each response in one
write, the friendly case.

Fault flags for the fault-injection suite (tests/integration/test_faults.py);
PATH is a request path as sent (e.g. /2021-03-23/meta-data/hostname) or '*':
    --reset PATH[=COUNT]        half the body, then an RST (SO_LINGER 0)
    --drip PATH=BYTES_PER_SEC   the body trickles out at that rate
    --broken-chunked PATH[=COUNT]  chunked body with a non-hex chunk size
    --always-401                every GET answers 401, even with a fresh token
    --redirect PATH=LOCATION    302 Found with that Location
    --invalid-json PATH         a JSON body cut in half and followed by junk
    --overlong KEY=BYTES        a meta-data KEY (e.g. hostname) BYTES long
Without =COUNT a fault hits every request for PATH.

Every request is logged as one JSON line to --log FILE:
    {"method": "GET", "path": "/", "status": 200, "token": true, "bytes": 123, "t": 0.0012}
so tests can count requests (status -1: a --reset answer, -2: a --broken-chunked
one, 0: a --stall). Standard library only; meant to run inside a test
network namespace (--bind 169.254.169.254 --port 80), never on a host's real
169.254.169.254.
"""
import argparse
import base64
import hashlib
import json
import os
import secrets
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_serve
import oci_imds
import gce_emulator
import metadata_v1
import hetzner_vultr
import azure_imds
import alibaba_imds

ALL_VERSIONS = [
    "1.0", "2007-01-19", "2007-03-01", "2007-08-29", "2007-10-10", "2007-12-15", "2008-02-01",
    "2008-09-01", "2009-04-04", "2011-01-01", "2011-05-01", "2012-01-12", "2014-02-25",
    "2014-11-05", "2015-10-20", "2016-04-19", "2016-06-30", "2016-09-02", "2018-03-28",
    "2018-08-17", "2018-09-24", "2019-10-01", "2020-10-27", "2021-01-03", "2021-03-23",
]
OPENSTACK_VERSIONS = ["2012-08-10", "2013-04-04", "2013-10-17", "2015-10-15", "2016-06-30",
                      "2016-10-06", "2017-02-22", "2018-08-27", "latest"]
PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx1c2VyLWtleS1mb3ItbWV0YWJvb3QtdGVzdHM= test@metaboot"
USER_DATA = "#cloud-config\nhostname: emulated\n"
# What AWS serves beside dynamic/instance-identity/document.
IDENTITY_SIGNATURES = ("pkcs7", "rsa2048", "signature")


def default_mac(i):
    # Matches tests/lib/netns.py Topology's client MACs.
    return "02:00:00:00:%02x:%02x" % (i // 256, i % 256 + 1)


class Config:
    def __init__(self, args):
        self.tokens = args.tokens
        self.token_expire_after = args.token_expire_after
        self.versions = args.versions.split(",") if args.versions else list(ALL_VERSIONS)
        self.nics = args.nics
        self.macs = args.macs.split(",") if args.macs else [default_mac(i) for i in range(self.nics)]
        self.ipv6 = not args.no_ipv6
        self.ipv4_host = args.ipv4_host
        self.user_data = None if args.no_user_data else (args.user_data if args.user_data is not None else USER_DATA)
        self.public_keys = args.public_keys
        self.fail_500 = dict(args.fail_500 or {})
        self.stall = dict(args.stall or {})
        self.big = dict(args.big or {})
        self.hostile = args.hostile
        self.reset = dict(args.reset or {})
        self.drip = {k: float(v) for k, v in dict(args.drip or {}).items()}
        self.broken_chunked = dict(args.broken_chunked or {})
        self.always_401 = args.always_401
        self.redirect = dict(args.redirect or {})
        self.invalid_json = set(args.invalid_json or ())
        self.overlong = {k: int(v) for k, v in dict(args.overlong or {}).items()}
        self.no_identity_document = args.no_identity_document
        self.openstack_network = args.openstack_network
        self.nodelay = args.nodelay
        self.max_requests_per_connection = args.max_requests_per_connection
        self.gce = args.gce
        self.metadata_v1 = args.metadata_v1
        self.alibaba = args.alibaba
        self.alibaba_no_all = args.alibaba_no_all
        if self.alibaba and not args.versions:
            self.versions = [alibaba_imds.VERSION]
        self.lock = threading.Lock()
        self.tokens_issued = {}  # token -> uses
        self.started = time.monotonic()

    # ---- EC2 ---------------------------------------------------------------

    def newest(self):
        dated = [v for v in self.versions if v[:1].isdigit() and v != "1.0"]
        return max(dated) if dated else "1.0"

    def ec2_tree(self, version):
        """meta-data key -> value for one API version (AWS's gating)."""
        def since(date):
            return version >= date

        t = {
            "ami-id": "ami-0abcdef1234567890",
            "ami-launch-index": "0",
            "ami-manifest-path": "(unknown)",
            "block-device-mapping/ami": "/dev/xvda",
            "block-device-mapping/root": "/dev/xvda",
            "hostname": "ip-198-18-0-%d.ec2.internal" % self.ipv4_host,
            "instance-action": "none",
            "instance-id": "i-0123456789abcdef0",
            "instance-type": "m5.large",
            "local-hostname": "ip-198-18-0-%d.ec2.internal" % self.ipv4_host,
            "local-ipv4": "198.18.0.%d" % self.ipv4_host,
            "placement/availability-zone": "us-east-1a",
            "profile": "default-hvm",
            "public-hostname": "ec2-203-0-113-25.compute-1.amazonaws.com",
            "public-ipv4": "203.0.113.25",
            "reservation-id": "r-0123456789abcdef0",
            "security-groups": "default",
        }
        for k in range(self.public_keys):
            t["public-keys/%d=key-%d" % (k, k)] = None  # listing entry only
            t["public-keys/%d/openssh-key" % k] = PUBLIC_KEY.replace("test@", "key%d@" % k) + "\n"
        if since("2019-10-01"):
            t["placement/region"] = "us-east-1"
        if since("2011-01-01"):
            t["mac"] = self.macs[0] if self.macs else "02:00:00:00:00:01"
            for i, mac in enumerate(self.macs):
                base = "network/interfaces/macs/%s/" % mac
                t[base + "device-number"] = str(i)
                t[base + "interface-id"] = "eni-%017x" % (i + 1)
                t[base + "local-hostname"] = "ip-198-18-%d-%d.ec2.internal" % (i, self.ipv4_host)
                t[base + "local-ipv4s"] = "198.18.%d.%d" % (i, self.ipv4_host) + ("\n198.18.%d.%d" % (i, self.ipv4_host + 1) if i == 0 else "")
                t[base + "mac"] = mac
                t[base + "owner-id"] = "123456789012"
                t[base + "security-group-ids"] = "sg-0123456789abcdef0"
                t[base + "security-groups"] = "default"
                t[base + "subnet-id"] = "subnet-%017x" % (i + 1)
                t[base + "subnet-ipv4-cidr-block"] = "198.18.%d.0/24" % i
                t[base + "vpc-id"] = "vpc-0123456789abcdef0"
                t[base + "vpc-ipv4-cidr-block"] = "198.18.0.0/15"
                if since("2016-06-30"):
                    t[base + "vpc-ipv4-cidr-blocks"] = "198.18.0.0/15"
                if since("2016-09-02") and self.ipv6:
                    t[base + "ipv6s"] = "2001:db8:%x::10" % (i + 1)
                    t[base + "subnet-ipv6-cidr-blocks"] = "2001:db8:%x::/64" % (i + 1)
                    t[base + "vpc-ipv6-cidr-blocks"] = "2001:db8::/56"
                if since("2021-03-23"):
                    t[base + "network-card"] = "0"
        if self.hostile:
            t["instance-id"] = "i-0abc\nmalicious: yaml"
            t["instance-type"] = "m5.large'; touch /tmp/pwned; '"
            t["local-hostname"] = "host; rm -rf /"
            t["hostname"] = "$(reboot)`id`"
            t["placement/availability-zone"] = "us-east-1a\"\n- evil"
            if since("2011-01-01"):
                # Keys that are not MACs in the listing; values that do not parse.
                t["network/interfaces/macs/not-a-mac/device-number"] = "0"
                t["network/interfaces/macs/..%2f..%2fetc/device-number"] = "0"
                base = "network/interfaces/macs/%s/" % self.macs[0]
                t[base + "local-ipv4s"] = "198.18.0.%d\n198.18.0.999\n10.0.0.1; reboot\n{a: b}" % self.ipv4_host
                t[base + "subnet-ipv4-cidr-block"] = "198.18.0.0/24"
                t[base + "device-number"] = "0\n1"
            t["public-keys/0/openssh-key"] = 'command="reboot" ' + PUBLIC_KEY + "\n" + PUBLIC_KEY + "\n"
            t.setdefault("public-keys/0=key-0", None)
        for key, size in self.overlong.items():
            # Labels that are each valid: only the length is wrong.
            label = "a" * 62 + "."
            t[key] = (label * (size // len(label) + 1))[:size]
        return t

    def ec2_listing(self, tree, directory):
        children = []
        for key in tree:
            if not key.startswith(directory):
                continue
            rest = key[len(directory):]
            if directory == "public-keys/":
                if "=" in rest.split("/")[0]:
                    entry = rest.split("/")[0]
                else:
                    continue
            elif "/" in rest:
                entry = rest.split("/")[0] + "/"
            else:
                entry = rest
            if entry and entry not in children:
                children.append(entry)
        return sorted(children)

    def identity_document(self, version):
        doc = {
            "accountId": "123456789012", "architecture": "x86_64", "availabilityZone": "us-east-1a",
            "billingProducts": None, "devpayProductCodes": None, "marketplaceProductCodes": None,
            "imageId": "ami-0abcdef1234567890", "instanceId": "i-0123456789abcdef0",
            "instanceType": "m5.large", "kernelId": None, "pendingTime": "2026-11-28T07:00:00Z",
            "privateIp": "198.18.0.%d" % self.ipv4_host, "ramdiskId": None, "region": "us-east-1",
            "version": "2017-09-30",
        }
        if self.hostile:
            doc["instanceId"] = "i-0abc\"; reboot; \""
            doc["region"] = "us-east-1\n  injected: true"
        return json.dumps(doc, indent=2)

    # ---- OpenStack ---------------------------------------------------------

    def openstack_meta_data(self):
        return json.dumps({
            "uuid": "83679162-1378-4288-a2d4-70e13ec132aa",
            "hostname": "test-vm.novalocal" if not self.hostile else "test-vm\n  evil: 1",
            "name": "test-vm",
            "launch_index": 0,
            "availability_zone": "nova",
            "project_id": "6a5e4d3c2b1a49f8a7b6c5d4e3f2a1b0",
            "public_keys": {"key-%d" % k: PUBLIC_KEY + "\n" for k in range(self.public_keys)},
            "keys": [{"name": "key-%d" % k, "type": "ssh", "data": PUBLIC_KEY + "\n"} for k in range(self.public_keys)],
            "meta": {},
            "devices": [],
        })

    def openstack_network_data(self):
        links, networks = [], []
        for i, mac in enumerate(self.macs):
            link = "tap%08x-%02x" % (0xf8b5a0c1 + i, i)
            links.append({"id": link, "vif_id": "f8b5a0c1-2d3e-4f50-8a9b-%012x" % i, "type": "ovs",
                          "mtu": 1450, "ethernet_mac_address": mac})
            if self.openstack_network == "dhcp":
                networks.append({"id": "network%d" % (2 * i), "type": "ipv4_dhcp", "link": link,
                                 "network_id": "net-%d" % i})
                continue
            net = {"id": "network%d" % (2 * i), "type": "ipv4", "link": link,
                   "ip_address": "198.18.%d.%d" % (i, self.ipv4_host), "netmask": "255.255.255.0",
                   "routes": [], "network_id": "net-%d" % i,
                   "services": [{"type": "dns", "address": "198.18.%d.1" % i}]}
            if i == 0:
                net["routes"] = [{"network": "0.0.0.0", "netmask": "0.0.0.0", "gateway": "198.18.0.1"},
                                 {"network": "192.0.2.0", "netmask": "255.255.255.0", "gateway": "198.18.0.254"}]
            networks.append(net)
            if self.ipv6:
                networks.append({"id": "network%d" % (2 * i + 1), "type": "ipv6_slaac", "link": link,
                                 "network_id": "net6-%d" % i})
        return json.dumps({"links": links, "networks": networks,
                           "services": [{"type": "dns", "address": "198.18.0.1"},
                                        {"type": "dns", "address": "2001:db8::53"}]}, indent=1)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "imds-emulator"
    sys_version = ""

    def log_message(self, fmt, *args):
        pass

    def setup(self):
        # By default this is what Python's http.server does, and many small
        # servers with it: Nagle on, the status line and headers in one
        # send() (end_headers) and the body in a second. Against a client
        # that delays its ACKs, Nagle holds the body back until the ACK of
        # the headers, 40 ms or more on Linux; the client must cope
        # (src/net/tcp_transport.cpp). --nodelay is the friendly server:
        # TCP_NODELAY, and the whole response leaves in one send() (the
        # writer is buffered and flushed once per request by
        # BaseHTTPRequestHandler.handle_one_request).
        if self.server.config.nodelay:
            self.wbufsize = -1
            self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().setup()

    def record(self, status, size, token):
        log = self.server.log
        if log is None:
            return
        entry = {"method": self.command, "path": self.path, "status": status, "token": token, "bytes": size,
                 "host": self.headers.get("Host"), "t": round(time.monotonic() - self.server.config.started, 6)}
        with self.server.log_lock:
            log.write(json.dumps(entry) + "\n")
            log.flush()

    def reply(self, status, body=b"", content_type="text/plain", token=False):
        if isinstance(body, str):
            body = body.encode()
        cfg = self.server.config
        if status == 200 and self.command == "GET":
            if self.path in cfg.invalid_json or "*" in cfg.invalid_json:
                body = body[:len(body) // 2] + b'\x00}]"\n{'
            if self.take(cfg.reset):
                return self.send_reset(body, token)
            for key in (self.path, "*"):
                if key in cfg.drip:
                    return self.send_drip(body, cfg.drip[key], token)
            if self.take(cfg.broken_chunked):
                return self.send_broken_chunked(body, token)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in getattr(self, "extra_headers", ()):
            self.send_header(name, value)
        self.served = getattr(self, "served", 0) + 1
        if cfg.max_requests_per_connection and self.served >= cfg.max_requests_per_connection:
            self.send_header("Connection", "close")
            self.close_connection = True
        # Logged before the response leaves: a client that has read its
        # last answer and exited finds every request it made in the log.
        self.record(status, len(body), token)
        self.end_headers()
        if body:
            self.wfile.write(body)

    def do_PUT(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        cfg = self.server.config
        if self.path.startswith("/computeMetadata/"):
            return gce_emulator.handle(self, "PUT")
        if hetzner_vultr.claims(cfg, self.path):
            return hetzner_vultr.handle(self, "PUT")
        if cfg.metadata_v1 is not None and self.path.startswith("/metadata/v1"):
            return metadata_v1.handle(self, "PUT")
        if self.fault():
            return
        if self.path.startswith("/metadata/"):
            return azure_imds.handle(self)
        if self.path != "/latest/api/token":
            return self.reply(405)
        if cfg.tokens == "disabled":
            return self.reply(403, "Forbidden")
        if cfg.tokens == "unsupported":
            return self.reply(404, "Not Found")
        ttl = self.headers.get(alibaba_imds.TTL_HEADER if cfg.alibaba else "X-aws-ec2-metadata-token-ttl-seconds")
        if ttl is None or not ttl.isdigit() or not 1 <= int(ttl) <= 21600 or self.headers.get("X-Forwarded-For"):
            return self.reply(400, "Bad Request")
        token = "AQAEA" + secrets.token_urlsafe(40)
        with cfg.lock:
            cfg.tokens_issued[token] = 0
        self.reply(200, token)

    def do_POST(self):
        # Nothing metaboot sends; logged, so a test can show none was sent.
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if hetzner_vultr.claims(self.server.config, self.path):
            return hetzner_vultr.handle(self, "POST")
        if self.server.config.metadata_v1 is not None and self.path.startswith("/metadata/v1"):
            return metadata_v1.handle(self, "POST")
        if self.path.startswith("/metadata/"):
            return azure_imds.handle(self)
        self.reply(501)

    def do_PATCH(self):
        # Nothing metaboot sends (Scaleway's PATCH /state changes the
        # instance); logged, so a test can show none was sent.
        if hetzner_vultr.claims(self.server.config, self.path):
            return hetzner_vultr.handle(self, "PATCH")
        if self.server.config.metadata_v1 is not None and self.path.startswith("/metadata/v1"):
            return metadata_v1.handle(self, "PATCH")
        self.reply(501)

    def token_state(self):
        """(allowed, token_present)"""
        cfg = self.server.config
        token = self.headers.get(alibaba_imds.TOKEN_HEADER if cfg.alibaba else "X-aws-ec2-metadata-token")
        if cfg.tokens == "disabled":
            return False, token is not None
        if cfg.tokens == "unsupported":
            return True, token is not None
        if token is None:
            return cfg.tokens != "required", False
        with cfg.lock:
            if token not in cfg.tokens_issued:
                return False, True
            cfg.tokens_issued[token] += 1
            if cfg.token_expire_after and cfg.tokens_issued[token] > cfg.token_expire_after:
                return False, True
        return True, True

    def take(self, table):
        """True when a fault keyed by this path (or '*') in `table` applies
        now; a numeric value counts down, an empty one always applies."""
        cfg = self.server.config
        with cfg.lock:
            for key in (self.path, "*"):
                if key not in table:
                    continue
                left = table[key]
                if left in ("", None):
                    return True
                if int(left) > 0:
                    table[key] = int(left) - 1
                    return True
        return False

    def fault(self):
        cfg = self.server.config
        path = self.path
        for key in (path, "*"):
            if key in cfg.redirect:
                self.send_response(302)
                self.send_header("Location", cfg.redirect[key])
                self.send_header("Content-Length", "0")
                self.record(302, 0, False)
                self.end_headers()
                return True
        with cfg.lock:
            for key in (path, "*"):
                if cfg.fail_500.get(key, 0) > 0:
                    cfg.fail_500[key] -= 1
                    fail = True
                    break
            else:
                fail = False
        if fail:
            self.reply(500, "Internal Server Error")
            return True
        for key in (path, "*"):
            if key in cfg.stall:
                self.record(0, 0, False)
                time.sleep(float(cfg.stall[key]))
                self.close_connection = True
                return True
        for key in (path, "*"):
            if key in cfg.big:
                self.stream_big(int(cfg.big[key]))
                return True
        return False

    def send_reset(self, body, token):
        """Headers and half the body, then an RST instead of a FIN."""
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        half = max(1, len(body) // 2)
        try:
            self.wfile.write(body[:half])
            self.wfile.flush()
            time.sleep(0.05)  # the half body reaches the client first
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass
        self.close_connection = True
        self.record(-1, half, token)

    def send_drip(self, body, rate, token):
        """The whole body, a byte at a time, `rate` bytes per second."""
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.flush()
        sent = 0
        try:
            for i in range(len(body)):
                time.sleep(1.0 / rate)
                self.wfile.write(body[i:i + 1])
                self.wfile.flush()
                sent += 1
        except OSError:
            pass
        self.close_connection = True
        self.record(200, sent, token)

    def send_broken_chunked(self, body, token):
        """A good first chunk, then a chunk size that is not hex; the
        connection then stays open (a parser that misses the error hangs)."""
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        half = body[:max(1, len(body) // 2)]
        try:
            self.wfile.write(b"%x\r\n%s\r\nzz;not-hex\r\n%s\r\n" % (len(half), half, body[len(half):]))
            self.wfile.flush()
            self.record(-2, len(body), token)  # now: the wait below is long
            time.sleep(30)
        except OSError:
            pass
        self.close_connection = True

    def stream_big(self, size):
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        chunk = b"A" * 65536
        sent = 0
        try:
            while sent < size:
                n = min(len(chunk), size - sent)
                self.wfile.write(chunk[:n])
                sent += n
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True
        self.record(200, sent, False)

    def do_GET(self):
        cfg = self.server.config
        path = self.path
        if path.startswith("/computeMetadata/"):
            return gce_emulator.handle(self, "GET")
        if hetzner_vultr.claims(cfg, path):
            return hetzner_vultr.handle(self, "GET")
        if cfg.metadata_v1 is not None and path.startswith("/metadata/v1"):
            return metadata_v1.handle(self, "GET")
        if self.fault():
            return
        if path.startswith("/metadata/"):
            return azure_imds.handle(self)
        if path.startswith("/openstack"):
            return self.openstack(path)
        if path.startswith("/opc/"):
            return oci_imds.serve(self, path)
        allowed, token = self.token_state()
        if cfg.always_401:
            return self.reply(401, "", token=token)
        if not allowed:
            return self.reply(403 if cfg.tokens == "disabled" else 401, "", token=token)
        if path == "/":
            return self.reply(200, "\n".join(cfg.versions + ["latest"]), token=token)
        parts = path.split("/", 2)
        version = parts[1] if len(parts) > 1 else ""
        rest = parts[2] if len(parts) > 2 else ""
        if version == "latest":
            version = cfg.newest()
        elif version not in cfg.versions:
            return self.reply(404, token=token)
        if rest == "":
            listing = ["dynamic", "meta-data"] + (["user-data"] if cfg.user_data is not None else [])
            return self.reply(200, "\n".join(listing), token=token)
        if rest == "user-data":
            if cfg.user_data is None:
                return self.reply(404, token=token)
            return self.reply(200, cfg.user_data, "application/octet-stream", token=token)
        if rest == "dynamic/instance-identity/document":
            if cfg.no_identity_document:
                return self.reply(404, token=token)
            return self.reply(200, cfg.identity_document(version), "application/json", token=token)
        # A directory, with or without its slash, answers its listing, as
        # AWS does for meta-data's (below); cloud-init 22.4 asks for
        # dynamic/instance-identity without one.
        if rest.rstrip("/") in ("dynamic", "dynamic/instance-identity"):
            listing = "instance-identity/\n" if rest.rstrip("/") == "dynamic" else "\n".join(("document",) + IDENTITY_SIGNATURES) + "\n"
            return self.reply(200, listing, token=token)
        # The document's three signatures, as AWS lists and serves them
        # beside it (base64 and PEM bodies; nothing here checks them).
        if rest.startswith("dynamic/instance-identity/") and rest.rsplit("/", 1)[1] in IDENTITY_SIGNATURES:
            if cfg.no_identity_document:
                return self.reply(404, token=token)
            return self.reply(200, base64.b64encode(hashlib.sha256(rest.encode()).digest()).decode(), token=token)
        if not rest.startswith("meta-data"):
            return self.reply(404, token=token)
        if cfg.alibaba and rest == "meta-data/all":
            if cfg.alibaba_no_all:
                return self.reply(404, token=token)
            return self.reply(200, alibaba_imds.meta_data_all(cfg, cfg.ec2_tree(version)), "application/json", token=token)
        key = rest[len("meta-data/"):] if rest.startswith("meta-data/") else ""
        tree = cfg.ec2_tree(version)
        if key == "" or key.endswith("/"):
            entries = cfg.ec2_listing(tree, key)
            if not entries:
                return self.reply(404, token=token)
            return self.reply(200, "\n".join(entries), token=token)
        if tree.get(key) is not None:
            return self.reply(200, tree[key], token=token)
        if cfg.ec2_listing(tree, key + "/"):
            # AWS answers a directory without its slash with the listing.
            return self.reply(200, "\n".join(cfg.ec2_listing(tree, key + "/")), token=token)
        return self.reply(404, token=token)

    def openstack(self, path):
        cfg = self.server.config
        if path in ("/openstack", "/openstack/"):
            return self.reply(200, "\n".join(OPENSTACK_VERSIONS))
        parts = path.split("/")
        if len(parts) != 4 or parts[2] not in OPENSTACK_VERSIONS:
            return self.reply(404)
        name = parts[3]
        if name == "meta_data.json":
            return self.reply(200, cfg.openstack_meta_data(), "application/json")
        if name == "network_data.json" and parts[2] >= "2015-10-15":
            return self.reply(200, cfg.openstack_network_data(), "application/json")
        if name == "user_data" and cfg.user_data is not None:
            return self.reply(200, cfg.user_data, "application/octet-stream")
        return self.reply(404)


def key_value(text):
    key, sep, value = text.rpartition("=")
    if not sep:
        raise argparse.ArgumentTypeError("expected PATH=VALUE")
    return key, value


def path_count(text):
    key, sep, value = text.rpartition("=")
    if sep and value.isdigit():
        return key, value
    return text, ""


def build_parser():
    p = argparse.ArgumentParser(
        prog="imds_emulator.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="""examples:
  imds_emulator.py --bind 169.254.169.254 --port 80 --tokens required --nics 2 --log /tmp/req.log
  imds_emulator.py --port 8080 --bind 127.0.0.1 --versions 1.0,2009-04-04 --no-user-data
  imds_emulator.py --scenario scenario.json --fail-500 /=2 --stall /latest/user-data=60
""")
    p.add_argument("--bind", default="127.0.0.1", help="address to listen on (default 127.0.0.1; IPv6 too, with %%zone when link-local)")
    p.add_argument("--port", type=int, default=8080, help="port (default 8080; 80 for the real address)")
    p.add_argument("--scenario", help="JSON file of settings (keys: the long flag names, '-' as '_')")
    p.add_argument("--log", help="append one JSON line per request to this file")
    p.add_argument("--tokens", choices=["required", "optional", "unsupported", "disabled"], default=None,
                   help="IMDSv2 mode: required (GET without token: 401), optional, unsupported "
                        "(PUT: 404), disabled (everything: 403). Default optional")
    p.add_argument("--token-expire-after", type=int, default=None, metavar="N",
                   help="a token stops working after N GETs (401), forcing a refresh")
    p.add_argument("--versions", default=None,
                   help="comma-separated EC2 API versions offered by GET / (default: 1.0 .. 2021-03-23)")
    p.add_argument("--nics", type=int, default=None, help="number of NICs (default 1)")
    p.add_argument("--macs", default=None, help="comma-separated MACs (default 02:00:00:00:00:01, ...:02, ...)")
    p.add_argument("--no-ipv6", action="store_true", default=None, help="no IPv6 data")
    p.add_argument("--ipv4-host", type=int, default=None, metavar="N",
                   help="host part of each NIC's address 198.18.<nic>.N (default 10)")
    p.add_argument("--public-keys", type=int, default=None, metavar="N", help="number of public keys (default 1)")
    p.add_argument("--user-data", default=None, help="user-data text (default a small #cloud-config)")
    p.add_argument("--no-user-data", action="store_true", default=None, help="user-data answers 404")
    p.add_argument("--no-identity-document", action="store_true", default=None,
                   help="dynamic/instance-identity/document answers 404")
    p.add_argument("--fail-500", type=key_value, action="append", metavar="PATH=COUNT",
                   help="answer the first COUNT requests for PATH ('*': any path) with 500")
    p.add_argument("--stall", type=key_value, action="append", metavar="PATH=SECONDS",
                   help="say nothing for SECONDS when PATH ('*': any path) is requested, then close")
    p.add_argument("--big", type=key_value, action="append", metavar="PATH=BYTES",
                   help="answer PATH ('*': any path) with a body of BYTES bytes (e.g. 209715200 for 200 MB)")
    p.add_argument("--hostile", action="store_true", default=None,
                   help="values with newlines, quotes, shell and YAML metacharacters; non-MAC keys")
    p.add_argument("--reset", type=path_count, action="append", metavar="PATH[=COUNT]",
                   help="send the headers and half the body of PATH, then reset the connection (RST, "
                        "SO_LINGER 0); the first COUNT requests only, or every one")
    p.add_argument("--drip", type=key_value, action="append", metavar="PATH=BYTES_PER_SECOND",
                   help="send PATH's body at BYTES_PER_SECOND (e.g. 1), one byte at a time")
    p.add_argument("--broken-chunked", type=path_count, action="append", metavar="PATH[=COUNT]",
                   help="send PATH's body chunked with a chunk size that is not hex, then hold the "
                        "connection open; the first COUNT requests only, or every one")
    p.add_argument("--always-401", action="store_true", default=None,
                   help="every GET answers 401 Unauthorized, even with a freshly issued token")
    p.add_argument("--redirect", type=key_value, action="append", metavar="PATH=LOCATION",
                   help="answer PATH ('*': any path, the token PUT too) with 302 Found and this Location")
    p.add_argument("--invalid-json", action="append", metavar="PATH",
                   help="cut PATH's body (e.g. the identity document) in half and append junk")
    p.add_argument("--overlong", type=key_value, action="append", metavar="KEY=BYTES",
                   help="the meta-data KEY (e.g. hostname) is a BYTES-long run of valid labels")
    p.add_argument("--max-requests-per-connection", type=int, default=None, metavar="N",
                   help="answer the Nth request on a connection with Connection: close and close it, as nginx's "
                        "keepalive_requests does (requests a client pipelined after it go unanswered)")
    p.add_argument("--nodelay", action="store_true", default=None,
                   help="TCP_NODELAY and each response in one send(); by default Nagle is on and the "
                        "headers and the body go out in two sends, as Python's http.server does")
    p.add_argument("--openstack-network", choices=["static-slaac", "dhcp"], default=None,
                   help="OpenStack network_data.json: static IPv4 + IPv6 SLAAC (default) or IPv4 DHCP")
    oci_imds.add_arguments(p, key_value)
    p.add_argument("--gce", default=None, metavar="JSON",
                   help="GCE settings as a JSON object (see tests/tools/gce_emulator.py)")
    azure_imds.add_arguments(p)
    p.add_argument("--metadata-v1", default=None, metavar="JSON",
                   help="DigitalOcean, UpCloud, Hetzner or Vultr settings as a JSON object (see tests/tools/metadata_v1.py, hetzner_vultr.py)")
    alibaba_imds.add_arguments(p)
    return p


DEFAULTS = {
    "tokens": "optional", "token_expire_after": 0, "versions": None, "nics": 1, "macs": None,
    "no_ipv6": False, "ipv4_host": 10, "public_keys": 1, "user_data": None, "no_user_data": False,
    "no_identity_document": False, "fail_500": None, "stall": None, "big": None, "hostile": False,
    "openstack_network": "static-slaac", "reset": None, "drip": None, "broken_chunked": None,
    "always_401": False, "redirect": None, "invalid_json": None, "overlong": None, "nodelay": False, "max_requests_per_connection": 0,
    "gce": None, "metadata_v1": None,
}


DEFAULTS.update(oci_imds.DEFAULTS)
DEFAULTS.update(alibaba_imds.DEFAULTS)


def main(argv=None):
    args = build_parser().parse_args(argv)
    scenario = {}
    if args.scenario:
        with open(args.scenario) as f:
            scenario = json.load(f)
    for key, default in DEFAULTS.items():
        value = getattr(args, key)
        if value is None:
            value = scenario.get(key, default)
            if isinstance(value, list) and key == "versions":
                value = ",".join(value)
            if isinstance(value, list) and key == "macs":
                value = ",".join(value)
            if isinstance(value, list) and key == "stall":
                value = {path: 3600 for path in value}
            if isinstance(value, list) and key in ("reset", "broken_chunked"):
                value = {path: "" for path in value}
        elif key in ("fail_500", "stall", "big", "reset", "drip", "broken_chunked", "redirect", "overlong"):
            merged = dict(scenario.get(key) or {}) if isinstance(scenario.get(key), dict) else {}
            merged.update(dict(value))
            value = merged
        setattr(args, key, value)
    if args.fail_500:
        args.fail_500 = {k: int(v) for k, v in dict(args.fail_500).items()}
    if args.nics < 0 or args.nics > 255:
        sys.exit("--nics must be 0..255")
    config = Config(args)
    config.oci = oci_imds.Settings(args, config)
    azure_imds.configure(config, args)
    return http_serve.serve(Handler, args.bind, args.port, args.log, config=config)


if __name__ == "__main__":
    sys.exit(main())
