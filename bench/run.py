#!/usr/bin/python3
"""`make bench`: metaboot against the tools people use today, side by side.

Runs as root in namespaces it creates and removes, against dnsmasq started
with --no-ping and the project's metadata emulator. Contenders alternate run
by run. Writes bench/results.json, bench/results.md and bench/results.png.
The `boot` part (bench/boot.py) boots a real kernel and initramfs under QEMU.
A run of only some parts (--only keepalive,growth) updates those parts in an
existing results.json and keeps the others. The `keepalive` part compares the
metadata phase against a plain metadata server and a TCP_NODELAY one.

Every contender is started from a thread that has entered the client
namespace (setns on that thread only), so the time measured is the
contender's own, from fork to exit, with no `ip netns exec` in it.
"""
import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))

import netns  # noqa: E402
import peers  # noqa: E402
import boot  # noqa: E402  (bench/boot.py: boot time under QEMU)
import fullroot_boot as fullroot_bench  # noqa: E402  (bench/fullroot_boot.py: real roots, metaboot against cloud-init)


class ClientRunner:
    """Runs commands from a thread that lives in the client namespace."""

    def __init__(self, ns_name):
        self.ns_name = ns_name

    def run(self, args, env=None, timeout=60):
        box = {}

        def work():
            netns.enter_on_this_thread(self.ns_name)
            box.update(spawn(args, env))

        thread = threading.Thread(target=work)
        thread.start()
        thread.join(timeout)
        return box


def spawn(args, env=None):
    """posix_spawn (no copy of this Python process's memory, so the child's
    peak RSS is its own), wait4 for its rusage, output through temp files."""
    with tempfile.TemporaryFile("w+") as out_file, tempfile.TemporaryFile("w+") as err_file:
        actions = [(os.POSIX_SPAWN_DUP2, out_file.fileno(), 1), (os.POSIX_SPAWN_DUP2, err_file.fileno(), 2)]
        started = time.perf_counter()
        pid = os.posix_spawnp(args[0], args, env if env is not None else os.environ, file_actions=actions)
        _, status, usage = os.wait4(pid, 0)
        elapsed = time.perf_counter() - started
        out_file.seek(0)
        err_file.seek(0)
        return {"elapsed": elapsed, "code": os.waitstatus_to_exitcode(status), "out": out_file.read(),
                "err": err_file.read(), "maxrss_kb": usage.ru_maxrss}


def summarize(samples):
    s = sorted(samples)
    p90 = s[min(len(s) - 1, int(round(0.9 * (len(s) - 1))))]
    return {"n": len(s), "median_ms": round(statistics.median(s) * 1000, 2), "p90_ms": round(p90 * 1000, 2),
            "min_ms": round(s[0] * 1000, 2), "stdev_ms": round(statistics.pstdev(s) * 1000, 2)}


def pairwise_ratio(ours, theirs):
    """Median of run-by-run ratios (runs are interleaved, so run i of each
    contender saw the same machine state)."""
    ratios = [a / b for a, b in zip(ours, theirs) if b > 0]
    return round(statistics.median(ratios), 3) if ratios else None


def reset_client(t, iface="eth0"):
    t.client.run(["ip", "addr", "flush", "dev", iface], check=False)
    t.client.run(["ip", "route", "flush", "dev", iface], check=False)
    t.client.run(["ip", "link", "set", iface, "down"], check=False)


def link_up(t, iface="eth0"):
    """Brings the client's link up and waits for carrier, so a timed run
    starts from a link that is up."""
    t.client.run(["ip", "link", "set", iface, "up"])
    netns.wait_for(lambda: "LOWER_UP" in t.client.run(["ip", "link", "show", iface]).stdout, what="carrier")
    time.sleep(0.05)


def bench_lease(binary, runs, results):
    with netns.Topology() as t:
        peers.start_dnsmasq(t, options=["option:router,198.18.0.1"])
        runner = ClientRunner(t.client.name)
        work = tempfile.mkdtemp(prefix="mbt-bench-")
        tuned_conf = os.path.join(work, "dhcpcd-tuned.conf")
        with open(tuned_conf, "w") as f:
            f.write("noarp\nnodelay\nipv4only\nnohook resolv.conf\n")
        # dhcpcd keeps state in /var/lib/dhcpcd and /run/dhcpcd: give each run
        # private tmpfs copies so nothing on this machine is written.
        def dhcpcd(flags):
            script = ("mount -t tmpfs tmpfs /var/lib/dhcpcd 2>/dev/null || mount -t tmpfs tmpfs /var/lib; "
                      "mkdir -p /run/dhcpcd; mount -t tmpfs tmpfs /run/dhcpcd; exec dhcpcd %s eth0" % flags)
            return ["unshare", "-m", "--propagation", "private", "sh", "-c", script]

        contenders = {
            "metaboot lease": [binary, "lease", "--interface", "eth0", "--timeout", "10"],
            "dhclient (cloud-init sandbox)": ["dhclient", "-1", "-lf", os.path.join(work, "lease"), "-pf",
                                              os.path.join(work, "pid"), "-sf", "/bin/true", "eth0"],
            "dhcpcd (cloud-init flags)": dhcpcd("--ipv4only --waitip --persistent --noarp --script=/bin/true -1 -B --timeout 10"),
            "dhcpcd (tuned)": dhcpcd("-f %s -1 -4 -B --noarp --script=/bin/true --timeout 10" % tuned_conf),
            "udhcpc": ["busybox", "udhcpc", "-i", "eth0", "-n", "-q", "-f", "-s", "/bin/true", "-T", "1"],
        }
        cold = []  # metaboot from a link that is down: link up + carrier + DHCP
        samples = {name: [] for name in contenders}
        failures = {name: 0 for name in contenders}
        for i in range(runs):
            for name, args in contenders.items():
                reset_client(t)
                # Every contender finds the link up and running (the peers'
                # callers bring it up; metaboot would do it itself, measured
                # separately below), so this compares the DHCP exchanges.
                link_up(t)
                r = runner.run(args)
                if r.get("code") != 0:
                    failures[name] += 1
                    continue
                samples[name].append(r["elapsed"])
                if name.startswith("dhclient"):
                    pid = os.path.join(work, "pid")
                    if os.path.exists(pid):
                        with open(pid) as f:
                            try:
                                os.kill(int(f.read().strip()), 15)
                            except (ValueError, ProcessLookupError):
                                pass
                        os.unlink(pid)
            reset_client(t)
            r = runner.run(contenders["metaboot lease"])
            if r.get("code") == 0:
                cold.append(r["elapsed"])
        reset_client(t)
        shutil.rmtree(work, ignore_errors=True)
    ours = samples["metaboot lease"]
    if cold:
        results["lease_from_link_down"] = summarize(cold)
    results["lease"] = {name: dict(summarize(s), failures=failures[name],
                                   ratio_metaboot_to_this=pairwise_ratio(ours, s) if name != "metaboot lease" else 1.0)
                        for name, s in samples.items() if s}


def bench_rapidcommit(binary, runs, results):
    """`metaboot lease` against dnsmasq with --dhcp-rapid-commit (DISCOVER,
    ACK) and without (DISCOVER, OFFER, REQUEST, ACK), side by side: one
    server per NIC of one topology, runs interleaved, each from a link that
    is already up. On veth a round trip is tens of microseconds, so the same
    pair also runs against servers that hold every reply 1 s
    (--dhcp-reply-delay, whole seconds only: this kernel has no netem), where
    each message the exchange saves is visible."""
    variants = {"four messages": ("eth0", []), "rapid commit": ("eth1", ["--dhcp-rapid-commit"]),
                "four messages, 1 s per reply": ("eth2", ["--dhcp-reply-delay=1"]),
                "rapid commit, 1 s per reply": ("eth3", ["--dhcp-rapid-commit", "--dhcp-reply-delay=1"])}
    samples = {name: [] for name in variants}
    with netns.Topology(nics=4) as t:
        for i, (name, (iface, extra)) in enumerate(variants.items()):
            peers.start_dnsmasq(t, iface="veth%d" % i, subnet=i, options=["option:router,198.18.%d.1" % i], extra=extra)
        runner = ClientRunner(t.client.name)
        for i in range(runs):
            for name, (iface, extra) in variants.items():
                if extra and "--dhcp-reply-delay=1" in extra and i >= 5:
                    continue  # five of the slow ones are enough
                reset_client(t, iface)
                link_up(t, iface)
                r = runner.run([binary, "lease", "--interface", iface, "--timeout", "10"])
                if r.get("code") == 0:
                    samples[name].append(r["elapsed"])
        for iface, _ in variants.values():
            reset_client(t, iface)
    results["rapidcommit"] = {name: summarize(s) for name, s in samples.items() if s}
    for fast, slow, key in (("rapid commit", "four messages", "ratio_rapid_to_four"),
                            ("rapid commit, 1 s per reply", "four messages, 1 s per reply", "ratio_rapid_to_four_delayed")):
        if samples[fast] and samples[slow]:
            results["rapidcommit"][key] = pairwise_ratio(samples[fast], samples[slow])


def timing_table(title, intro, column, names, r):
    """A section's heading, its one-line description and the median/p90
    table of the named rows that were measured."""
    out = ["## " + title, "", intro, "", "| %s | median ms | p90 ms | runs |" % column, "|---|---|---|---|"]
    for name in names:
        if name in r:
            out.append("| %s | %.2f | %.2f | %d |" % (name, r[name]["median_ms"], r[name]["p90_ms"], r[name]["n"]))
    return out


def rapidcommit_markdown(r):
    out = timing_table("DHCP in two messages (RFC 4039 Rapid Commit)",
                       "`metaboot lease` from exec to exit against dnsmasq, with `--dhcp-rapid-commit` and without, runs interleaved.",
                       "server", ("four messages", "rapid commit", "four messages, 1 s per reply", "rapid commit, 1 s per reply"), r)
    out += ["", "rapid / four: %s on veth, %s with 1 s per server reply (medians of run-by-run ratios)."
            % (r.get("ratio_rapid_to_four"), r.get("ratio_rapid_to_four_delayed")), ""]
    return out


def bench_pair(part, binary, other, kinds, ratio_prefix, runs, results):
    """`binary` against `other`, another build of the same tree, runs
    interleaved: `metaboot lease` from a link that is up, and the two-NIC
    full run. `kinds` names the two builds in the table."""
    if not other or not os.path.exists(other):
        print("bench: %s: no binary to compare with, part skipped" % part, flush=True)
        return
    samples = {"%s, %s" % (job, kind): [] for job in ("lease", "full run") for kind in kinds}
    with netns.Topology(nics=2) as t:
        runner = two_nic_peers(t)
        root, state = make_root(), tempfile.mkdtemp(prefix="mbt-bench-state-")
        for i in range(runs):
            for kind, path in zip(kinds, (binary, other)):
                reset_client(t)
                link_up(t)
                r = runner.run([path, "lease", "--interface", "eth0", "--timeout", "10"])
                if r.get("code") == 0:
                    samples["lease, " + kind].append(r["elapsed"])
                reset_client(t)
                r = runner.run([path, "--interface", "eth0", "--root", root, "--output", "netplan,ifupdown", "--state-dir", state,
                                "--provider", "ec2", "--timeout", "10", "--json"])
                if r.get("code") == 0:
                    samples["full run, " + kind].append(r["elapsed"])
        reset_client(t)
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(state, ignore_errors=True)
    out = {name: summarize(s) for name, s in samples.items() if s}
    out["bytes"] = {kinds[0]: os.path.getsize(binary), kinds[1]: os.path.getsize(other)}
    for what in ("lease", "full run"):
        first, second = samples["%s, %s" % (what, kinds[0])], samples["%s, %s" % (what, kinds[1])]
        if first and second:
            out[ratio_prefix + what.replace(" ", "_")] = pairwise_ratio(first, second)
    out["measured"] = "%s; load average before: %s" % (results["machine"]["date"],
                                                        ", ".join("%.2f" % x for x in results["machine"]["load_before"]))
    results[part] = out


PIE_KINDS = ("static PIE", "static EXEC")
# The shipped flags against the same tree without canaries and zeroed locals
# (`make bench` builds it with STACK_PROTECTED= AUTO_VAR_INIT=).
HARDENING_KINDS = ("canaries, zeroed locals", "neither")


def bench_pie(binary, runs, results, baseline):
    """The static PIE (own start-up: DT_RELR applied, RELRO made read-only)
    against the same tree linked as a static EXEC (`make bench` builds it
    with PIE_CFLAGS= PIE_LDFLAGS= START_OBJ=)."""
    bench_pair("pie", binary, baseline, PIE_KINDS, "ratio_pie_to_exec_", runs, results)


def bench_hardening(binary, runs, results, plain):
    """Stack canaries and zeroed locals (the Makefile's STACK_PROTECTED and
    AUTO_VAR_INIT) against a build of the same tree with neither."""
    bench_pair("hardening", binary, plain, HARDENING_KINDS, "ratio_hardened_to_plain_", runs, results)


def pair_markdown(title, r, kinds, ratio_prefix, ratio_name):
    jobs = ["%s, %s" % (job, kind) for job in ("lease", "full run") for kind in kinds]
    out = timing_table(title, "Runs interleaved: `metaboot lease` from a link that is up, and the two-NIC EC2 full run.",
                       "binary, job", jobs, r)
    out += ["", "%s: lease %s, full run %s (medians of run-by-run ratios); %d bytes against %d.%s"
            % (ratio_name, r.get(ratio_prefix + "lease"), r.get(ratio_prefix + "full_run"),
               r["bytes"][kinds[0]], r["bytes"][kinds[1]],
               " Measured %s." % r["measured"] if r.get("measured") else ""), ""]
    return out


def hardening_markdown(r):
    return pair_markdown("Canaries and zeroed locals against neither, same tree", r, HARDENING_KINDS,
                         "ratio_hardened_to_plain_", "with / without")


def pie_markdown(r):
    return pair_markdown("The static PIE against a static EXEC of the same tree", r, PIE_KINDS,
                         "ratio_pie_to_exec_", "PIE / EXEC")


def key_list(nics, macs):
    """The keys the cloud-init way fetches, one curl each (the same data as
    metaboot's targeted fetch)."""
    v = "latest/meta-data/"
    keys = ["latest/meta-data/"] + [v + k for k in ("instance-id", "local-hostname", "hostname", "instance-type",
                                                      "placement/availability-zone", "placement/region", "mac",
                                                      "network/interfaces/macs/", "public-keys/")]
    for mac in macs[:nics]:
        for k in ("device-number", "network-card", "local-ipv4s", "subnet-ipv4-cidr-block", "ipv6s",
                  "subnet-ipv6-cidr-blocks", "vpc-ipv4-cidr-blocks"):
            keys.append(v + "network/interfaces/macs/%s/%s" % (mac, k))
    keys += ["latest/dynamic/instance-identity/document", "latest/meta-data/public-keys/0/openssh-key",
             "latest/user-data"]
    return keys


def make_root():
    root = tempfile.mkdtemp(prefix="mbt-bench-root-")
    os.makedirs(os.path.join(root, "etc/netplan"))
    os.makedirs(os.path.join(root, "etc/network"))
    with open(os.path.join(root, "etc/network/interfaces"), "w") as f:
        f.write("auto lo\niface lo inet loopback\n")
    return root


def two_nic_peers(t):
    """The two-NIC EC2 job's peers: dnsmasq on each network and the IMDS
    emulator with tokens required and two NICs. Returns the client's runner."""
    for i in range(2):
        peers.start_dnsmasq(t, iface="veth%d" % i, subnet=i, options=["option:router,198.18.%d.1" % i])
    peers.start_emulator(t, "--tokens", "required", "--nics", "2")
    return ClientRunner(t.client.name)


def bench_full(binary, runs, results):
    with netns.Topology(nics=2) as t:
        runner = two_nic_peers(t)
        work = tempfile.mkdtemp(prefix="mbt-bench-")
        keys = os.path.join(work, "keys")
        with open(keys, "w") as f:
            f.write("\n".join(key_list(2, ["02:00:00:00:00:01", "02:00:00:00:00:02"])) + "\n")
        root, state = make_root(), tempfile.mkdtemp(prefix="mbt-bench-state-")
        contenders = {
            "metaboot (full run)": [binary, "--interface", "eth0", "--root", root, "--output", "netplan,ifupdown", "--state-dir", state,
                                    "--provider", "ec2", "--timeout", "10", "--json"],
            "cloud-init way (dhclient + curl + ip)": ["bash", os.path.join(HERE, "cloud_init_way.sh"), "eth0", work, keys],
        }
        samples = {name: [] for name in contenders}
        requests = {}
        for i in range(runs):
            for name, args in contenders.items():
                reset_client(t)
                r = runner.run(args)
                if r.get("code") != 0:
                    print("  %s failed: %s" % (name, r.get("err", "")[-300:]), file=sys.stderr)
                    continue
                samples[name].append(r["elapsed"])
                if name.startswith("metaboot"):
                    requests[name] = json.loads(r["out"])["requests"]
                else:
                    requests[name] = int(r["out"].split()[-1])
        reset_client(t)
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(state, ignore_errors=True)
    ours = samples["metaboot (full run)"]
    results["full"] = {name: dict(summarize(s), requests=requests.get(name),
                                  ratio_metaboot_to_this=pairwise_ratio(ours, s) if not name.startswith("metaboot") else 1.0)
                       for name, s in samples.items() if s}


def bench_growth(binary, runs, results):
    rows = []
    for nics, keys, user_data in ((1, 1, 0), (2, 1, 0), (4, 1, 0), (8, 1, 0), (15, 1, 0),
                                  (2, 10, 0), (2, 100, 0), (2, 1, 16384), (2, 100, 16384)):
        with netns.Topology() as t:
            peers.start_dnsmasq(t, options=["option:router,198.18.0.1"])
            flags = ["--tokens", "required", "--nics", str(nics), "--public-keys", str(keys)]
            if user_data:
                flags += ["--user-data", "#cloud-config\n# " + "x" * (user_data - 17)]
            # The leased NIC's MAC must be one of the metadata's.
            peers.start_emulator(t, *flags)
            runner = ClientRunner(t.client.name)
            root, state = make_root(), tempfile.mkdtemp(prefix="mbt-bench-state-")
            times, reqs = [], None
            for i in range(max(5, runs // 2)):
                reset_client(t)
                r = runner.run([binary, "--interface", "eth0", "--root", root, "--output", "netplan,ifupdown", "--state-dir", state,
                                "--provider", "ec2", "--timeout", "10", "--json"])
                if r.get("code") == 0:
                    data = json.loads(r["out"])
                    times.append(data["timings_ms"]["metadata"] / 1000.0)
                    reqs = data["requests"]
            shutil.rmtree(root, ignore_errors=True)
            shutil.rmtree(state, ignore_errors=True)
        rows.append({"nics": nics, "public_keys": keys, "user_data_bytes": user_data, "requests": reqs,
                     "metadata_phase": summarize(times) if times else None})
    results["growth"] = rows


# One row per cloud: the emulator's settings for it and what dnsmasq hands
# out there (as the integration tests serve each cloud).
GCE_BENCH = {"attributes": {"ssh-keys": "cloudinit:" + "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGJlbmNoLWtleS1nY2UtYmVuY2gta2V5LWdjZQ bench"}}
CLOUD_ROWS = (
    ("ec2", ["--tokens", "required", "--nics", "1"], ["option:router,198.18.0.1"]),
    ("openstack", ["--nics", "1", "--openstack-network", "static-slaac"], ["option:router,198.18.0.1"]),
    ("oracle", ["--nics", "1"], ["option:router,198.18.0.1"]),
    ("gce", ["--gce", json.dumps(GCE_BENCH)], ["option:netmask,255.255.255.255", "option:router,198.18.0.1",
                                                "option:classless-static-route,198.18.0.1/32,0.0.0.0,0.0.0.0/0,198.18.0.1",
                                                "option:mtu,1460"]),
    # Azure's primary lease routes IMDS by option 121 (option 245, the
    # wireserver, plays no part in the metadata phase).
    ("azure", ["--nics", "1"], ["option:classless-static-route,169.254.169.254/32,198.18.0.1,0.0.0.0/0,198.18.0.1"]),
    # Reached by a DHCPv4 lease until the link-local reach exists (issue 14).
    ("digitalocean", ["--nics", "1", "--metadata-v1", json.dumps({"cloud": "digitalocean"})], ["option:router,198.18.0.1"]),
    ("upcloud", ["--nics", "1", "--metadata-v1", json.dumps({"cloud": "upcloud"})], ["option:router,198.18.0.1"]),
    # Forced with --provider: no DMI serial, so Hetzner's serial check is off.
    ("hetzner", ["--nics", "1", "--metadata-v1", json.dumps({"cloud": "hetzner"})], ["option:router,198.18.0.1"]),
    ("vultr", ["--nics", "1", "--metadata-v1", json.dumps({"cloud": "vultr"})], ["option:router,198.18.0.1"]),
    # The routed services: on the router's loopback, reached through the
    # host route the row's reach kind adds (a 4th member: the address; a
    # 5th: another emulator).
    ("alibaba", ["--alibaba", "--tokens", "required", "--nics", "1"], ["option:router,198.18.0.1"], "100.100.100.200"),
    ("scaleway", [], ["option:router,198.18.0.1"], "169.254.42.42", "scaleway_emulator.py"),
)


def bench_clouds(binary, runs, results):
    """The metadata phase of the full run per cloud (issue 13), same harness as
    the growth rows: one NIC, the cloud's emulator, its DHCP options."""
    rows = []
    for provider, flags, dhcp, *service in CLOUD_ROWS:
        with netns.Topology() as t:
            peers.start_dnsmasq(t, options=dhcp)
            if service:
                t.server.run(["ip", "addr", "add", service[0] + "/32", "dev", "lo"])
            if len(service) > 1:
                t.server.popen(["python3", os.path.join(ROOT, "tests", "tools", service[1]), "--bind", service[0], "--port", "80"])
                netns.wait_port(t.server, service[0], 80)
            else:
                peers.start_emulator(t, *flags, bind=service[0] if service else "169.254.169.254")
            runner = ClientRunner(t.client.name)
            root, state = make_root(), tempfile.mkdtemp(prefix="mbt-bench-state-")
            times, reqs, errors = [], None, []
            for i in range(max(5, runs // 2)):
                reset_client(t)
                r = runner.run([binary, "--interface", "eth0", "--root", root, "--output", "netplan,ifupdown", "--state-dir", state,
                                "--provider", provider, "--timeout", "10", "--json"])
                if r.get("code") == 0:
                    data = json.loads(r["out"])
                    times.append(data["timings_ms"]["metadata"] / 1000.0)
                    reqs = data["requests"]
                else:
                    errors.append(r.get("err", "")[-300:])
            shutil.rmtree(root, ignore_errors=True)
            shutil.rmtree(state, ignore_errors=True)
        rows.append({"provider": provider, "requests": reqs, "metadata_phase": summarize(times) if times else None,
                     "failed_runs": len(errors), "first_error": errors[0] if errors else None})
    results["clouds"] = rows


def clouds_markdown(rows):
    out = ["## Metadata phase per cloud (one NIC, its emulator)", "",
           "| cloud | requests | median ms | p90 ms | failed runs |", "|---|---|---|---|---|"]
    for row in rows:
        mp = row["metadata_phase"] or {"median_ms": float("nan"), "p90_ms": float("nan")}
        out.append("| %s | %s | %.1f | %.1f | %d |" % (row["provider"], row["requests"], mp["median_ms"], mp["p90_ms"],
                                                   row["failed_runs"]))
    return out + [""]


RELAY = os.path.join(ROOT, "tests", "tools", "latency_relay.py")
PIPELINING_BAR = 3.0  # at a 5 ms round trip, the 15-NIC metadata phase within this many times the 1-NIC one


def bench_pipelining(binary, runs, results):
    """The metadata phase with a round trip of 0, 1 and 5 ms between client and
    service (tests/tools/latency_relay.py in front of the emulator), 1 and 15
    NICs, pipelined and one request at a time (--no-pipelining), the two
    modes interleaved run by run in one topology (issue 18)."""
    rows = []
    for rtt in (0, 1, 5):
        for nics in (1, 15):
            with netns.Topology() as t:
                peers.start_dnsmasq(t, options=["option:router,198.18.0.1"])
                flags = ["--tokens", "required", "--nics", str(nics), "--public-keys", "1"]
                relay = None
                if rtt:
                    # The emulator on the server's loopback, the relay on the
                    # metadata address in front of it.
                    peers.start_emulator(t, *flags, port=8080, bind="127.0.0.1")
                    relay = t.server.popen(["python3", RELAY, "--listen", "169.254.169.254:80", "--to", "127.0.0.1:8080",
                                            "--rtt-ms", str(rtt)])
                    netns.wait_port(t.server, "169.254.169.254", 80)
                else:
                    peers.start_emulator(t, *flags)
                runner = ClientRunner(t.client.name)
                root, state = make_root(), tempfile.mkdtemp(prefix="mbt-bench-state-")
                times = {"pipelined": [], "one_by_one": []}
                requests = {}
                for i in range(max(5, runs // 2)):
                    for mode in ("pipelined", "one_by_one"):
                        reset_client(t)
                        extra = ["--no-pipelining"] if mode == "one_by_one" else []
                        r = runner.run([binary, "--interface", "eth0", "--root", root, "--output", "netplan", "--state-dir", state,
                                        "--provider", "ec2", "--timeout", "20", "--json"] + extra)
                        if r.get("code") == 0:
                            data = json.loads(r["out"])
                            times[mode].append(data["timings_ms"]["metadata"] / 1000.0)
                            requests[mode] = data["requests"]
                if relay:
                    relay.terminate()
                    relay.wait()
                shutil.rmtree(root, ignore_errors=True)
                shutil.rmtree(state, ignore_errors=True)
            row = {"rtt_ms": rtt, "nics": nics, "requests": requests}
            for mode, samples in times.items():
                row[mode] = summarize(samples) if samples else None
            if times["pipelined"] and times["one_by_one"]:
                row["ratio_pipelined_to_one_by_one"] = pairwise_ratio(times["pipelined"], times["one_by_one"])
            rows.append(row)
    results["pipelining"] = rows


def pipelining_markdown(rows):
    out = ["## Metadata round trips: pipelined against one request at a time", "",
           "EC2 with IMDSv2, one public key; the round trip is added by a relay in front of the emulator "
           "(tests/tools/latency_relay.py; each direction up to 1 ms more than asked, from asyncio's timer).", "",
           "| round trip | NICs | requests | pipelined median ms | one by one median ms | ratio pipelined / one by one |",
           "|---|---|---|---|---|---|"]
    by = {}
    for row in rows:
        p, o = row.get("pipelined"), row.get("one_by_one")
        by[(row["rtt_ms"], row["nics"])] = p
        out.append("| %s ms | %d | %s | %s | %s | %s |" % (
            row["rtt_ms"], row["nics"], row["requests"].get("pipelined"),
            "%.1f" % p["median_ms"] if p else "-", "%.1f" % o["median_ms"] if o else "-",
            "%.3f" % row["ratio_pipelined_to_one_by_one"] if "ratio_pipelined_to_one_by_one" in row else "-"))
    one, fifteen = by.get((5, 1)), by.get((5, 15))
    if one and fifteen:
        ratio = fifteen["median_ms"] / one["median_ms"]
        out += ["", "At a 5 ms round trip, pipelined, 15 NICs take %.2f times as long as 1 NIC (bar: %.0f): %s." % (
            ratio, PIPELINING_BAR, "met" if ratio <= PIPELINING_BAR else "NOT MET")]
    return out + [""]



KEEPALIVE_BAR = 1.5  # plain server's metadata phase at most this many times the NODELAY server's


def bench_keepalive(binary, runs, results):
    """The metadata phase against a plain server (Nagle on, headers and body
    in two sends: the emulator's default, like Python's http.server) and a
    friendly one (--nodelay: TCP_NODELAY, one send a response), interleaved
    run by run in one topology. A client that leaves its ACKs to the
    delayed-ACK timer pays 40 ms a request against the plain one (issue 12).

    Two measures: the full run's own metadata phase (whole milliseconds, as
    the run reports it), and `metaboot metadata` from exec to exit (the same
    requests, at the clock's resolution, for phases too short for whole ms).
    """
    servers = {"plain": ("80", ()), "nodelay": ("81", ("--nodelay",))}
    with netns.Topology(nics=2) as t:
        for i in range(2):
            peers.start_dnsmasq(t, iface="veth%d" % i, subnet=i, options=["option:router,198.18.%d.1" % i])
        for port, flags in servers.values():
            peers.start_emulator(t, "--tokens", "required", "--nics", "2", *flags, port=int(port))
        runner = ClientRunner(t.client.name)
        root, state = make_root(), tempfile.mkdtemp(prefix="mbt-bench-state-")
        phase = {name: [] for name in servers}
        fetch = {name: [] for name in servers}
        requests = {}
        failures = {name: 0 for name in servers}
        for i in range(runs):
            for name, (port, _) in servers.items():
                url = "http://169.254.169.254:" + port
                reset_client(t)
                r = runner.run([binary, "--interface", "eth0", "--root", root, "--output", "netplan,ifupdown", "--state-dir", state, "--provider", "ec2",
                                "--metadata-url", url, "--timeout", "10", "--json"])
                if r.get("code") != 0:
                    failures[name] += 1
                    print("  %s full run failed: %s" % (name, r.get("err", "")[-300:]), file=sys.stderr)
                    continue
                data = json.loads(r["out"])
                phase[name].append(data["timings_ms"]["metadata"] / 1000.0)
                requests[name] = data["requests"]
            # The fetch alone needs an address and a route to the service.
            reset_client(t)
            t.client.run(["ip", "addr", "add", "198.18.0.2/24", "dev", "eth0"])
            t.client.run(["ip", "link", "set", "eth0", "up"])
            t.client.run(["ip", "route", "add", "169.254.169.254/32", "dev", "eth0", "src", "198.18.0.2"])
            for name, (port, _) in servers.items():
                r = runner.run([binary, "metadata", "--provider", "ec2", "--metadata-url", "http://169.254.169.254:" + port])
                if r.get("code") == 0:
                    fetch[name].append(r["elapsed"])
                else:
                    failures[name] += 1
        reset_client(t)
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(state, ignore_errors=True)
    out = {"nics": 2, "bar": KEEPALIVE_BAR, "failures": failures, "requests": requests}
    for name in servers:
        out[name] = {"metadata_phase": summarize(phase[name]) if phase[name] else None,
                     "fetch": summarize(fetch[name]) if fetch[name] else None}
    if phase["plain"] and phase["nodelay"]:
        # Whole milliseconds: a run-by-run ratio of 4 to 3 says little, the
        # ratio of the medians is the figure.
        nodelay = statistics.median(phase["nodelay"])
        out["phase_ratio_plain_to_nodelay"] = round(statistics.median(phase["plain"]) / nodelay, 3) if nodelay else None
    out["fetch_ratio_plain_to_nodelay"] = pairwise_ratio(fetch["plain"], fetch["nodelay"])
    ratio = out.get("phase_ratio_plain_to_nodelay")
    out["within_bar"] = ratio is not None and ratio <= KEEPALIVE_BAR
    results["keepalive"] = out


def keepalive_markdown(k):
    out = ["## Keep-alive against a server without TCP_NODELAY (%d NICs)" % k["nics"], "",
           "The emulator's default is a plain server (Nagle on, headers and body in two sends, like Python's "
           "http.server); `--nodelay` is the friendly one. Full run's metadata phase (whole ms, as the run reports "
           "it) and `metaboot metadata` from exec to exit (same requests).", "",
           "| server | requests | metadata phase median ms | p90 ms | fetch median ms | fetch p90 ms |",
           "|---|---|---|---|---|---|"]
    for name, title in (("plain", "plain (Nagle, two sends)"), ("nodelay", "`--nodelay` (one send)")):
        p = k[name]["metadata_phase"] or {"median_ms": float("nan"), "p90_ms": float("nan")}
        f = k[name]["fetch"] or {"median_ms": float("nan"), "p90_ms": float("nan")}
        out.append("| %s | %s | %.1f | %.1f | %.2f | %.2f |" % (title, k["requests"].get(name, ""), p["median_ms"],
                                                          p["p90_ms"], f["median_ms"], f["p90_ms"]))
    out += ["", "plain / nodelay: metadata phase %s (bar: %s, %s), fetch %s (median of run-by-run ratios)."
            % (k.get("phase_ratio_plain_to_nodelay"), k["bar"], "met" if k["within_bar"] else "NOT MET",
               k.get("fetch_ratio_plain_to_nodelay")), ""]
    return out


def peak_rss(launcher, runner_or_none, args):
    """Peak RSS in KiB of one run, measured by the static launcher."""
    full = [launcher] + args
    r = runner_or_none.run(full) if runner_or_none else spawn(full, dict(os.environ, METABOOT_LOG="stderr"))
    for line in r.get("err", "").splitlines():
        if line.startswith("peak-rss-kib "):
            return int(line.split()[1])
    return None


def bench_footprint(binary, runs, results, launcher):
    stripped = os.path.getsize(binary)
    sysfs = tempfile.mkdtemp(prefix="mbt-bench-sysfs-")
    os.makedirs(os.path.join(sysfs, "class/dmi/id"))
    with open(os.path.join(sysfs, "class/dmi/id/sys_vendor"), "w") as f:
        f.write("QEMU\n")
    version, noncloud = [], []
    env = dict(os.environ, METABOOT_LOG="stderr")
    for i in range(max(runs, 20)):
        for args, bucket in (([binary, "--version"], version),
                             ([binary, "--root", "/nonexistent", "--sysfs", sysfs, "--cmdline", "/dev/null"], noncloud)):
            r = spawn(args, env)
            bucket.append(r["elapsed"])
    rss_startup = peak_rss(launcher, None, [binary, "--version"])
    shutil.rmtree(sysfs, ignore_errors=True)
    results["footprint"] = {"stripped_bytes": stripped, "stripped_kib": round(stripped / 1024, 1),
                            "version": summarize(version), "non_cloud_run": summarize(noncloud),
                            "peak_rss_kib_startup": rss_startup}
    # Peak RSS of a full run, from the lease benchmark's environment.
    with netns.Topology(nics=2) as t:
        runner = two_nic_peers(t)
        root, state = make_root(), tempfile.mkdtemp(prefix="mbt-bench-state-")
        results["footprint"]["peak_rss_kib_full_run"] = peak_rss(
            launcher, runner, [binary, "--root", root, "--output", "netplan,ifupdown", "--state-dir", state, "--provider", "ec2", "--timeout", "10"])
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(state, ignore_errors=True)
    # The same with the metadata of 15 NICs and a 16 KiB user-data (bar: 2 MiB).
    with netns.Topology() as t:
        peers.start_dnsmasq(t, options=["option:router,198.18.0.1"])
        peers.start_emulator(t, "--tokens", "required", "--nics", "15", "--user-data", "#cloud-config\n# " + "x" * (16384 - 17))
        runner = ClientRunner(t.client.name)
        root, state = make_root(), tempfile.mkdtemp(prefix="mbt-bench-state-")
        results["footprint"]["peak_rss_kib_15_nics_16k_user_data"] = peak_rss(
            launcher, runner, [binary, "--interface", "eth0", "--root", root, "--output", "netplan,ifupdown", "--state-dir", state,
                               "--provider", "ec2", "--timeout", "10"])
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(state, ignore_errors=True)


def machine_note():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "kernel": platform.release(),
            "load_before": os.getloadavg(), "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}


def write_markdown(results, path):
    m = results["machine"]
    out = ["# metaboot benchmarks", "",
           "Machine: %s, %d cores, kernel %s, %s; load average before: %s. Medians and p90 over interleaved runs; "
           "ratio = median of run-by-run ratios (metaboot / peer; below 1 means metaboot is faster)."
           % (m["cpu"], m["cores"], m["kernel"], m["date"], ", ".join("%.2f" % x for x in m["load_before"])), ""]
    for section, title in (("lease", "Lease only"), ("full", "Lease + metadata + config + teardown")):
        if section not in results:
            continue
        out += ["## " + title, "", "| contender | runs | median ms | p90 ms | ratio metaboot/this | requests |",
                "|---|---|---|---|---|---|"]
        for name, s in results[section].items():
            out.append("| %s | %d | %.1f | %.1f | %s | %s |" % (name, s["n"], s["median_ms"], s["p90_ms"],
                                                            s.get("ratio_metaboot_to_this"), s.get("requests", "")))
        if section == "lease" and "lease_from_link_down" in results:
            c = results["lease_from_link_down"]
            out += ["", "metaboot lease starting from a link that is down (link up, carrier, DHCP, teardown): "
                    "median %.1f ms, p90 %.1f ms over %d runs." % (c["median_ms"], c["p90_ms"], c["n"])]
        out.append("")
    if "growth" in results:
        out += ["## Cost growth (metadata phase of the full run)", "",
                "| NICs | public keys | user-data bytes | requests | median ms | p90 ms |", "|---|---|---|---|---|---|"]
        for row in results["growth"]:
            mp = row["metadata_phase"] or {"median_ms": float("nan"), "p90_ms": float("nan")}
            out.append("| %d | %d | %d | %s | %.1f | %.1f |" % (row["nics"], row["public_keys"], row["user_data_bytes"],
                                                            row["requests"], mp["median_ms"], mp["p90_ms"]))
        out.append("")
    if "clouds" in results:
        out += clouds_markdown(results["clouds"])
    if "rapidcommit" in results:
        out += rapidcommit_markdown(results["rapidcommit"])
    if "pie" in results:
        out += pie_markdown(results["pie"])
    if "hardening" in results:
        out += hardening_markdown(results["hardening"])
    if "keepalive" in results:
        out += keepalive_markdown(results["keepalive"])
    if "pipelining" in results:
        out += pipelining_markdown(results["pipelining"])
    if "footprint" in results:
        f = results["footprint"]
        out += ["## Footprint", "",
                "| measure | value |", "|---|---|",
                "| stripped binary | %d bytes (%.1f KiB; budget 409,600 bytes, %d %s) |" % (
                    f["stripped_bytes"], f["stripped_kib"], abs(409600 - f["stripped_bytes"]),
                    "left" if f["stripped_bytes"] <= 409600 else "OVER"),
                "| peak RSS, full run | %s KiB (the kernel's per-CPU RSS counters can read low by up to 128 KiB a CPU) |" % f.get("peak_rss_kib_full_run"),
                "| peak RSS, 15 NICs' metadata and a 16 KiB user-data | %s KiB (bar: 2048) |" % f.get("peak_rss_kib_15_nics_16k_user_data"),
                "| peak RSS, startup | %s KiB |" % f["peak_rss_kib_startup"],
                "| `metaboot --version` median | %.2f ms |" % f["version"]["median_ms"],
                "| non-cloud machine, whole run, median | %.2f ms |" % f["non_cloud_run"]["median_ms"], ""]
    if "boot" in results:
        out += boot.markdown(results["boot"])
    if "overlap" in results:
        out += boot.overlap_markdown(results["overlap"])
    if "fullroot" in results:
        out += fullroot_bench.markdown(results["fullroot"])
    if "fullroot-overlap" in results:
        out += fullroot_bench.overlap_markdown(results["fullroot-overlap"])
    with open(path, "w") as fh:
        fh.write("\n".join(out))


def ratio_rows(results):
    """The side-by-side ratios of one run, as (label, ratio) for the chart's
    second panel; below 1 means the first-named is faster (or smaller)."""
    rows = []
    for name, s in results.get("lease", {}).items():
        if name.startswith("dhclient") and s.get("ratio_metaboot_to_this"):
            rows.append(("lease: metaboot / dhclient", s["ratio_metaboot_to_this"]))
    for name, s in results.get("full", {}).items():
        if s.get("ratio_metaboot_to_this") and "cloud-init" in name:
            rows.append(("full run: metaboot / the cloud-init way", s["ratio_metaboot_to_this"]))
    rc = results.get("rapidcommit", {})
    if rc.get("ratio_rapid_to_four_delayed"):
        rows.append(("DHCP: rapid commit / four messages (1 s a reply)", rc["ratio_rapid_to_four_delayed"]))
    for row in results.get("pipelining", []):
        if row["rtt_ms"] == 5 and row.get("ratio_pipelined_to_one_by_one"):
            rows.append(("metadata, 5 ms RTT, %d NIC(s): pipelined / one by one" % row["nics"], row["ratio_pipelined_to_one_by_one"]))
    ov = results.get("overlap", {})
    if ov.get("ratio_overlap_to_after_root"):
        rows.append(("boot to switch_root: overlap / lease after the root", ov["ratio_overlap_to_after_root"]))
    by = {(row["rtt_ms"], row["nics"]): row.get("pipelined") for row in results.get("pipelining", [])}
    if by.get((5, 1)) and by.get((5, 15)):
        rows.append(("metadata, 5 ms RTT: 15 NICs / 1 NIC (bar 3)", by[(5, 15)]["median_ms"] / by[(5, 1)]["median_ms"]))
    f = results.get("footprint")
    if f:
        rows.append(("stripped binary / 400 KiB budget", f["stripped_bytes"] / 409600.0))
    return rows


def write_chart(results, path):
    """Two panels drawn by gnuplot (Debian's gnuplot-nox): the contenders'
    medians, and the run's side-by-side ratios."""
    if not shutil.which("gnuplot"):
        return False
    rows = []
    for section in ("lease", "full"):
        for name, s in results.get(section, {}).items():
            rows.append((name, s["median_ms"], s["p90_ms"]))
    ratios = ratio_rows(results)
    data = tempfile.mktemp(suffix=".dat")
    ratio_data = tempfile.mktemp(suffix=".dat")
    with open(data, "w") as f:
        for i, (name, med, p90) in enumerate(rows):
            f.write('%d "%s" %f %f\n' % (i, name.replace('"', "'"), med, p90))
    with open(ratio_data, "w") as f:
        for i, (name, ratio) in enumerate(ratios):
            f.write('%d "%s" %f\n' % (i, name.replace('"', "'"), ratio))
    script = """
set terminal pngcairo size 1000,1000 font 'sans,10'
set output '%s'
set multiplot layout 2,1
set title 'metaboot against its peers (bar: median, dot: p90; log scale, lower is better)'
set ylabel 'milliseconds'
set style fill solid 0.7
set boxwidth 0.6
set logscale y
set xtics rotate by -25 left
set grid ytics
set key off
plot '%s' using 1:3:xtic(2) with boxes lc rgb '#3b7dd8', '' using 1:4 with points pt 7 lc rgb '#d83b3b'
set title 'side by side in the same run: ratios (log scale; below 1: the first named is faster or smaller)'
set ylabel 'ratio'
set yrange [0.001:10]
plot '%s' using 1:3:xtic(2) with boxes lc rgb '#3bd87d', 1 with lines lc rgb '#888888'
unset multiplot
""" % (path, data, ratio_data)
    proc = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True)
    os.unlink(data)
    os.unlink(ratio_data)
    return proc.returncode == 0


PARTS = ("lease", "rapidcommit", "pie", "hardening", "full", "keepalive", "pipelining", "growth", "clouds", "footprint", "boot", "overlap",
         "fullroot", "fullroot-overlap")
# Parts that keep their own machine note (QEMU boots, long).
OWN_NOTE = {"boot", "overlap", "fullroot", "fullroot-overlap"}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=os.path.join(ROOT, "build", "metaboot"))
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--peak-rss", default=os.path.join(ROOT, "build", "peak-rss"))
    parser.add_argument("--baseline", help="the same tree linked as a static EXEC, for the pie part")
    parser.add_argument("--plain", help="the same tree without canaries and zeroed locals, for the hardening part")
    parser.add_argument("--only", default=",".join(PARTS))
    parser.add_argument("--boot-runs", type=int, default=5, help="boots per variant in the boot part")
    parser.add_argument("--fullroot-runs", type=int, default=3, help="boots per variant in the fullroot part")
    parser.add_argument("--out", default=HERE)
    parser.add_argument("--report-only", action="store_true", help="redraw the table and chart from results.json")
    args = parser.parse_args()
    if args.report_only:
        with open(os.path.join(args.out, "results.json")) as f:
            results = json.load(f)
        write_markdown(results, os.path.join(args.out, "results.md"))
        write_chart(results, os.path.join(args.out, "results.png"))
        return 0
    if os.geteuid() != 0:
        print("make bench needs root (network namespaces)", file=sys.stderr)
        return 1
    binary = os.path.abspath(args.binary)
    parts = args.only.split(",")
    unknown = set(parts) - set(PARTS)
    if unknown:
        print("unknown part(s): %s (known: %s)" % (",".join(sorted(unknown)), ",".join(PARTS)), file=sys.stderr)
        return 2
    results = {"machine": machine_note(), "runs": args.runs}
    existing = os.path.join(args.out, "results.json")
    if set(parts) != set(PARTS) and os.path.exists(existing):
        # A partial run updates its parts in place; the machine note stays
        # the one of the run that measured the others (the boot part keeps
        # its own).
        fresh = results["machine"]
        with open(existing) as f:
            results = json.load(f)
        if set(parts) - OWN_NOTE:
            results["machine"] = fresh
        print("bench: updating %s in %s" % (",".join(parts), existing), flush=True)
    for part in parts:
        print("bench: %s ..." % part, flush=True)
        if part == "pie":
            bench_pie(binary, args.runs, results, args.baseline and os.path.abspath(args.baseline))
        elif part == "hardening":
            bench_hardening(binary, args.runs, results, args.plain and os.path.abspath(args.plain))
        elif part == "footprint":
            bench_footprint(binary, args.runs, results, os.path.abspath(args.peak_rss))
        elif part == "overlap":
            boot.bench_overlap(binary, args.boot_runs, results, machine_note=machine_note)
        elif part == "boot":
            boot.bench_boot(binary, args.boot_runs, results, keys=key_list(1, [boot.bootlib.GUEST_MAC]),
                            machine_note=machine_note)
        elif part == "fullroot":
            fullroot_bench.bench_fullroot(binary, args.fullroot_runs, results, machine_note=machine_note)
        elif part == "fullroot-overlap":
            fullroot_bench.bench_fullroot_overlap(binary, args.fullroot_runs, results, machine_note=machine_note)
        else:
            {"lease": bench_lease, "rapidcommit": bench_rapidcommit, "full": bench_full, "keepalive": bench_keepalive,
             "pipelining": bench_pipelining, "growth": bench_growth, "clouds": bench_clouds}[part](binary, args.runs, results)
    if set(parts) - OWN_NOTE:
        results["machine"]["load_after"] = os.getloadavg()
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(results, f, indent=2)
    write_markdown(results, os.path.join(args.out, "results.md"))
    charted = write_chart(results, os.path.join(args.out, "results.png"))
    print(open(os.path.join(args.out, "results.md")).read())
    if not charted:
        print("(no chart: gnuplot missing)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
