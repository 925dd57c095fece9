#!/usr/bin/python3
"""`make demo`: the whole job, once, in test namespaces.

Two namespaces joined by two veth pairs. The server side runs dnsmasq on both
links and the metadata emulator on 169.254.169.254 (2 NICs, IMDSv2 required);
the client side runs metaboot into a temporary root. Prints the files written,
the summary line and the timings, shows that the lease is gone, and removes
everything it made.
"""
import argparse
import json
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "lib"))

import netns  # noqa: E402
import peers  # noqa: E402


def show(title, text):
    print("\n== %s" % title)
    print(text.rstrip())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=os.path.join(os.path.dirname(HERE), "build", "metaboot"))
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("make demo needs root (network namespaces)", file=sys.stderr)
        return 1
    root = tempfile.mkdtemp(prefix="metaboot-demo-root-")
    state = tempfile.mkdtemp(prefix="metaboot-demo-state-")
    try:
        # A root with netplan and ifupdown both installed and no systemd:
        # metaboot writes for one stack, netplan (see doc/metaboot.8).
        os.makedirs(os.path.join(root, "etc/netplan"))
        os.makedirs(os.path.join(root, "etc/network"))
        os.makedirs(os.path.join(root, "usr/sbin"))
        os.symlink("usr/sbin", os.path.join(root, "sbin"))
        for program in ("usr/sbin/netplan", "usr/sbin/ifup"):
            with open(os.path.join(root, program), "w") as f:
                f.write("#!/bin/sh\n")
        with open(os.path.join(root, "etc/network/interfaces"), "w") as f:
            f.write("auto lo\niface lo inet loopback\n")
        with netns.Topology(nics=2) as t:
            for i in range(2):
                peers.start_dnsmasq(t, iface="veth%d" % i, subnet=i,
                                    options=["option:router,198.18.%d.1" % i, "26,9001"] +
                                    (["121,169.254.169.254/32,198.18.0.1,0.0.0.0/0,198.18.0.1"] if i == 0 else []))
                t.server.run(["ip", "link", "set", "veth%d" % i, "mtu", "9001"])
            emulator = peers.start_emulator(t, "--tokens", "required", "--nics", "2")
            show("client namespace before", t.client.run(["ip", "-br", "addr"]).stdout)
            run = t.client.run([args.binary, "--root", root, "--state-dir", state, "--provider", "ec2",
                                "--timeout", "10"], check=False)
            show("metaboot's output (exit %d)" % run.returncode, run.stdout + run.stderr)
            for rel in ("etc/netplan/50-cloud-init.yaml", "etc/network/interfaces.d/50-cloud-init",
                        "etc/network/interfaces"):
                path = os.path.join(root, rel)
                if os.path.exists(path):
                    show(rel, open(path).read())
            show("state directory", "\n".join(sorted(os.listdir(state))))
            timings = os.path.join(state, "timings.json")
            if os.path.exists(timings):
                show("timings.json", json.dumps(json.load(open(timings)), indent=2))
            with open(emulator.request_log) as f:
                show("requests the metadata service saw", "%d requests" % sum(1 for _ in f))
            show("client namespace after (the lease is gone)", t.client.run(["ip", "-br", "addr"]).stdout)
            show("client routes after", t.client.run(["ip", "route", "show", "table", "all"]).stdout or "(none)")
        return run.returncode
    finally:
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
