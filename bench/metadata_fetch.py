#!/usr/bin/python3
"""Full EC2 metadata fetch: metaboot vs one curl per key (cloud-init's way).

Needs root: it builds the test namespaces (tests/lib/netns.py), runs the
emulator on 169.254.169.254:80 in the server namespace (tokens required, 2
NICs by default) and times, inside the client namespace, N runs of

  * metaboot metadata --provider ec2 (the targeted fetch),
  * metaboot metadata --provider ec2 --crawl full (the whole tree),
  * a shell script doing the same requests as metaboot, one curl process and
    one TCP connection per key, each GET with the token header.

Prints requests per run and the median / min / max wall time.

    bench/metadata_fetch.py --binary build/metaboot [--runs 20] [--nics 2]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
import netns  # noqa: E402

CURL_SCRIPT = r"""#!/bin/sh
# The cloud-init way: a fresh curl (and connection) per key, token on each GET.
set -e
B=http://169.254.169.254
c() { curl -sf -m 2 -H "X-aws-ec2-metadata-token: $T" "$B$1"; }
T=$(curl -sf -m 1 -X PUT -H "X-aws-ec2-metadata-token-ttl-seconds: 21600" "$B/latest/api/token")
c / >/dev/null
V=2021-03-23
M=$B/$V/meta-data
c /$V/dynamic/instance-identity/document >/dev/null
for k in local-hostname hostname mac; do c /$V/meta-data/$k >/dev/null; done
for mac in $(c /$V/meta-data/network/interfaces/macs/); do
  for k in device-number network-card local-ipv4s subnet-ipv4-cidr-block vpc-ipv4-cidr-blocks ipv6s subnet-ipv6-cidr-blocks; do
    c /$V/meta-data/network/interfaces/macs/${mac}$k >/dev/null || true
  done
done
for entry in $(c /$V/meta-data/public-keys/); do
  c /$V/meta-data/public-keys/${entry%%=*}/openssh-key >/dev/null
done
c /$V/user-data >/dev/null || true
"""

DRIVER = r"""
import json, subprocess, sys, time
runs, commands = int(sys.argv[1]), json.loads(sys.argv[2])
out = {}
for name, command in commands.items():
    times = []
    for _ in range(runs):
        t = time.monotonic()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append((time.monotonic() - t) * 1000)
    out[name] = times
print(json.dumps(out))
"""


def count_requests(log, before):
    with open(log) as f:
        return sum(1 for _ in f) - before


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=os.path.join(ROOT, "build", "metaboot"))
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--nics", type=int, default=2)
    args = parser.parse_args()
    netns.require_root()
    binary = os.path.abspath(args.binary)
    work = tempfile.mkdtemp(prefix="mb-bench-meta-")
    log = os.path.join(work, "requests.log")
    script = os.path.join(work, "curl-per-key.sh")
    with open(script, "w") as f:
        f.write(CURL_SCRIPT)
    os.chmod(script, 0o755)
    commands = {
        "metaboot": [binary, "metadata", "--provider", "ec2"],
        "metaboot --crawl full": [binary, "metadata", "--provider", "ec2", "--crawl", "full"],
        "curl per key": [script],
    }
    with netns.Topology(nics=1) as t:
        t.client.run(["ip", "addr", "add", "198.18.0.2/24", "dev", "eth0"])
        t.client.run(["ip", "link", "set", "eth0", "up"])
        t.client.run(["ip", "route", "add", "169.254.169.254/32", "dev", "eth0", "src", "198.18.0.2"])
        t.server.popen([sys.executable, os.path.join(ROOT, "tests", "tools", "imds_emulator.py"), "--bind",
                        "169.254.169.254", "--port", "80", "--tokens", "required", "--nics", str(args.nics),
                        "--log", log])
        netns.wait_port(t.server, "169.254.169.254", 80)
        open(log, "a").close()
        # One warm-up run of each, also counting its requests.
        requests = {}
        for name, command in commands.items():
            before = count_requests(log, 0)
            t.client.run(command)
            requests[name] = count_requests(log, before)
        result = t.client.run([sys.executable, "-c", DRIVER, str(args.runs), json.dumps(commands)])
        times = json.loads(result.stdout)
    print("EC2 fetch, %d NICs, tokens required, %d runs each (wall time per run, ms)" % (args.nics, args.runs))
    print("%-24s %8s %8s %8s %8s" % ("", "requests", "median", "min", "max"))
    for name in commands:
        ts = times[name]
        print("%-24s %8d %8.1f %8.1f %8.1f" % (name, requests[name], statistics.median(ts), min(ts), max(ts)))
    for name in os.listdir(work):
        os.unlink(os.path.join(work, name))
    os.rmdir(work)


if __name__ == "__main__":
    main()
