"""Real Debian 12 roots side by side (issue 17): metaboot against Debian's own
cloud-init, both under QEMU/TCG against the same dnsmasq and metadata emulator.

- metaboot: the netplan root of tests/boot/fullroot.py, metaboot installed
  from the project's .deb, its initramfs built by the root's update-initramfs;
- cloud-init: the same packages plus Debian 12's cloud-init and
  isc-dhcp-client (its EC2 datasource's sandboxed lease runs dhclient), no
  metaboot, `datasource_list: [ Ec2 ]`.

Each boot: EC2's DMI, two NICs on taps to dnsmasq (MTU 9001, option 121),
each on its own subnet, the emulator with IMDSv2 required and a secondary
address on the first NIC. The variants are interleaved boot by boot. Times
are the guest's clock from kernel start, read by the test unit from systemd
(UserspaceTimestampMonotonic for switch_root, the targets'
ActiveEnterTimestampMonotonic). Each boot also records whether the real root
reached the metadata service and whether the second NIC's address reached a
host behind its gateway (policy routing); a boot that fails those is
reported as it is, never tuned for.
"""
import os
import re
import shutil
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "boot"))

import bootlib  # noqa: E402
import fullroot  # noqa: E402

VARIANTS = (("metaboot", "netplan"), ("cloud-init", "cloud-init"))
PHASES = ("switch_root_s", "network_online_s", "test_unit_s")


def log(message):
    print("bench fullroot: " + message, flush=True)


def one_boot(ctx, image, name, workdir, index):
    folder = os.path.join(workdir, "boot-%d-%s" % (index, name))
    os.makedirs(folder)
    try:
        result, network = fullroot.boot(ctx, image, folder, name)
    except AssertionError as e:
        log("%s boot %d FAILED (kept %s): %s" % (name, index, folder, str(e)[-2000:]))
        return {"failed": str(e).split("\n")[0]}
    report = fullroot.Report(result)
    record = report.timings()
    record.update(
        done=result.mark("done") is not None,
        network_online=result.mark("network-online"),
        metadata=bool(result.mark("imds-instance-id")),
        policy_routing=result.mark("http-remote") == "mbtest-http-ok",
        addresses=sorted("%s %s/%d" % (l["ifname"], a["local"], a["prefixlen"])
                         for l in (report.json("ip-addr") if result.mark("ip-addr") else [])
                         for a in l.get("addr_info", []) if a.get("family") == "inet" and l["ifname"] != "lo"),
        analyze=result.mark("analyze"),
        failed_units=(result.mark("failed") or "").split(),
        metaboot=result.summary())
    # What the metadata service answered 404, by path: a client that asks
    # for what the emulator does not serve shows here, with the count.
    missing = {}
    for r in bootlib.metadata_requests(network.requests_log):
        if r["status"] == 404:
            missing[r["path"]] = missing.get(r["path"], 0) + 1
    record["metadata_404"] = missing
    if not record["done"] or record["network_online_s"] is None:
        record["failed"] = "no report or network-online.target not reached"
        log("%s boot %d FAILED (kept %s):\n%s" % (name, index, folder, result.tail(60)))
    else:
        log("%s boot %d: switch_root %s s, network-online %s s, test unit %s s, %.0f s host wall; "
            "metadata %s, second NIC's policy routing %s; addresses %s"
            % (name, index, record["switch_root_s"], record["network_online_s"], record["test_unit_s"],
               result.seconds, "ok" if record["metadata"] else "FAILED",
               "ok" if record["policy_routing"] else "FAILED", ", ".join(record["addresses"])))
    return record


def median(values):
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 2) if values else None


def bench_fullroot(binary, runs, results, machine_note):
    ctx = {"root": ROOT, "binary": binary, "build": os.path.dirname(binary)}
    bootlib.require_host()
    started = time.monotonic()
    note = machine_note()
    with bootlib.Workdir() as workdir:
        images = {name: fullroot.build_image(ctx, stack, workdir) for name, stack in VARIANTS}
        boots = {name: [] for name, _ in VARIANTS}
        for i in range(runs):
            for name, _ in VARIANTS:
                boots[name].append(one_boot(ctx, images[name], name, workdir, i))
    variants = {}
    for name, _ in VARIANTS:
        ok = [b for b in boots[name] if "failed" not in b]
        variants[name] = {phase: median([b[phase] for b in ok]) for phase in PHASES}
        variants[name].update(n=len(ok), failures=len(boots[name]) - len(ok),
                              metadata_ok=sum(1 for b in ok if b["metadata"]),
                              policy_routing_ok=sum(1 for b in ok if b["policy_routing"]), boots=boots[name])
    ratios = {}
    for phase in PHASES:
        pairs = [(a.get(phase), b.get(phase)) for a, b in zip(boots["cloud-init"], boots["metaboot"])]
        values = [a / b for a, b in pairs if a and b]
        ratios[phase] = round(statistics.median(values), 2) if values else None
    note["load_after"] = os.getloadavg()
    results["fullroot"] = {"variants": variants, "ratio_cloud_init_to_metaboot": ratios, "boots_per_variant": runs,
                           "wall_s": round(time.monotonic() - started, 1), "machine": note}


def markdown(r):
    v = r["variants"]
    m = r["machine"]
    out = ["## Real Debian 12 roots: metaboot against cloud-init (QEMU, TCG)", "",
           "Guest-clock seconds from kernel start (systemd's own timestamps), medians of %d boots per variant, "
           "interleaved; EC2 DMI, two NICs each on its own subnet, dnsmasq and the metadata emulator (IMDSv2 "
           "required). metaboot: the netplan root with metaboot from the .deb in its initramfs; cloud-init: "
           "the same root with Debian 12's cloud-init (`datasource_list: [ Ec2 ]`) instead." % r["boots_per_variant"],
           "",
           "| variant | boots | switch_root s | network-online s | test unit s | metadata from the root | "
           "second NIC policy-routed |",
           "|---|---|---|---|---|---|---|"]
    for name, s in v.items():
        fmt = lambda x: "%.2f" % x if x is not None else "-"  # noqa: E731
        out.append("| %s | %d%s | %s | %s | %s | %d/%d | %d/%d |" % (
            name, s["n"], " (+%d failed)" % s["failures"] if s["failures"] else "",
            fmt(s["switch_root_s"]), fmt(s["network_online_s"]), fmt(s["test_unit_s"]),
            s["metadata_ok"], s["n"], s["policy_routing_ok"], s["n"]))
    ratios = r["ratio_cloud_init_to_metaboot"]
    for name, s in v.items():
        missing = {}
        for b in s["boots"]:
            for path, count in (b.get("metadata_404") or {}).items():
                missing[path] = missing.get(path, 0) + count
        if missing:
            out += ["", "%s's requests the emulator answered 404 (all boots): %s." % (
                name, ", ".join("`%s` %d" % kv for kv in sorted(missing.items())))]
    out += ["", "cloud-init / metaboot, boot by boot (median): switch_root %s, network-online %s, test unit %s. "
            "Load average %s before, %s after (a shared 2-core machine). Part wall time %.0f s." % (
                ratios["switch_root_s"], ratios["network_online_s"], ratios["test_unit_s"],
                ", ".join("%.2f" % x for x in m["load_before"]),
                ", ".join("%.2f" % x for x in m.get("load_after", ())), r["wall_s"]), ""]
    return out


# Issue 18, item 3: the systemd initrd's overlap measured on a real root. The
# dracut root (its initramfs built by Debian 12's dracut, systemd as its
# init) booted with rd.metaboot.overlap=1 (lease and fetch while the root is
# found and mounted) and without (the lease once the root is mounted),
# interleaved boot by boot. The overlap part of bench/boot.py does the same on
# the harness's dracut-systemd image and a busybox root.
OVERLAP_STACK = "dracut"
OVERLAP_VARIANTS = (("overlap", ["rd.metaboot.overlap=1"]), ("after the root", []))


def overlap_boot(ctx, image, name, extra, workdir, index):
    """One boot; its record, with what the NIC names were in the initramfs
    and in the real root. A boot whose files name a NIC other than the real
    root does (the lease taken on eth0 before udev renamed it) keeps its
    console in the folder and says so."""
    folder = os.path.join(workdir, "overlap-%d-%s" % (index, name.replace(" ", "-")))
    os.makedirs(folder)
    try:
        result, _ = fullroot.boot(ctx, image, folder, name.replace(" ", "-"), extra_cmdline=extra)
    except AssertionError as e:
        log("%s boot %d FAILED (kept %s): %s" % (name, index, folder, str(e)[-2000:]))
        return {"failed": str(e).split("\n")[0]}
    report = fullroot.Report(result)
    record = report.timings()
    real = report.names()
    files = report.files()
    written = {}
    if "/etc/netplan/50-cloud-init.yaml" in files:
        import yaml
        doc = yaml.safe_load(files["/etc/netplan/50-cloud-init.yaml"]) or {}
        for key, nic in ((doc.get("network") or {}).get("ethernets") or {}).items():
            written[(nic.get("match") or {}).get("macaddress")] = nic.get("set-name") or key
    record.update(done=result.mark("done") is not None, network_online=result.mark("network-online"),
                  real_names=real, written_names=written, metaboot=result.summary(),
                  initramfs_lines=[l for l in result.metaboot_lines() if not l.startswith(bootlib.MARK)][:40])
    record["names_ok"] = bool(written) and all(written.get(mac) == nic for mac, nic in real.items() if mac in written)
    # metaboot's own lines naming a kernel name (the NIC taken before udev renamed it).
    record["saw_kernel_name"] = any(re.search(r"\beth\d+\b", l) for l in record["initramfs_lines"])
    if not record["done"] or record["switch_root_s"] is None:
        record["failed"] = "no report from the real root"
        log("%s boot %d FAILED (kept %s):\n%s" % (name, index, folder, result.tail(60)))
    elif not record["names_ok"] or record["saw_kernel_name"]:
        # Kept: the console of a boot where the initramfs saw a kernel name.
        record["console_kept"] = folder
        log("%s boot %d: NIC names differ or metaboot saw ethN (console kept in %s): written %s, real root %s\n%s"
            % (name, index, folder, written, real, "\n".join(record["initramfs_lines"])))
    else:
        shutil.rmtree(folder, ignore_errors=True)
    if "failed" not in record:
        log("%s boot %d: switch_root %s s, network-online %s s, %.0f s host wall; names %s; metaboot: %s"
            % (name, index, record["switch_root_s"], record["network_online_s"], result.seconds,
               "as the real root's" if record["names_ok"] else "DIFFERENT", (record["metaboot"] or "")[-160:]))
    return record


def bench_fullroot_overlap(binary, runs, results, machine_note):
    ctx = {"root": ROOT, "binary": binary, "build": os.path.dirname(binary)}
    bootlib.require_host()
    started = time.monotonic()
    note = machine_note()
    with bootlib.Workdir() as workdir:
        image = fullroot.build_image(ctx, OVERLAP_STACK, workdir)
        boots = {name: [] for name, _ in OVERLAP_VARIANTS}
        for i in range(runs):
            for name, extra in OVERLAP_VARIANTS:
                boots[name].append(overlap_boot(ctx, image, name, extra, workdir, i))
        kept = [b["console_kept"] for records in boots.values() for b in records if b.get("console_kept")]
        if kept:
            # The consoles of the boots that saw ethN, out of the scratch folder.
            keep = os.path.join(bootlib.CACHE, "fullroot-overlap-consoles")
            shutil.rmtree(keep, ignore_errors=True)
            for folder in kept:
                shutil.copytree(folder, os.path.join(keep, os.path.basename(folder)),
                                ignore=shutil.ignore_patterns("*.img"))
            log("consoles of %d boot(s) kept in %s" % (len(kept), keep))
    variants = {}
    for name, extra in OVERLAP_VARIANTS:
        ok = [b for b in boots[name] if "failed" not in b]
        variants[name] = {phase: median([b[phase] for b in ok]) for phase in PHASES}
        variants[name].update(n=len(ok), failures=len(boots[name]) - len(ok), cmdline_extra=" ".join(extra),
                              names_differ=sum(1 for b in ok if not b["names_ok"]),
                              saw_kernel_name=sum(1 for b in ok if b["saw_kernel_name"]),
                              switch_root_all_s=[b.get("switch_root_s") for b in boots[name]])
    pairs = [(a.get("switch_root_s"), b.get("switch_root_s"))
             for a, b in zip(boots["overlap"], boots["after the root"])]
    diffs = [a - b for a, b in pairs if a and b]
    note["load_after"] = os.getloadavg()
    results["fullroot-overlap"] = {
        "variants": variants, "stack": OVERLAP_STACK, "boots_per_variant": runs,
        "overlap_minus_after_root_s": round(statistics.median(diffs), 2) if diffs else None,
        "differences_s": [round(d, 2) for d in diffs],
        "wall_s": round(time.monotonic() - started, 1), "machine": note}


def overlap_markdown(r):
    m = r["machine"]
    out = ["## The overlap on a real root (dracut-built initramfs, systemd initrd)", "",
           "Guest-clock seconds from kernel start (systemd's own timestamps), medians of %d boots per variant, "
           "interleaved: the netplan root whose initramfs Debian 12's dracut built, EC2 DMI, two NICs, dnsmasq "
           "and the metadata emulator (IMDSv2 required)." % r["boots_per_variant"], "",
           "| variant | boots | switch_root s | network-online s | files name the NICs otherwise | metaboot saw ethN |",
           "|---|---|---|---|---|---|"]
    fmt = lambda x: "%.2f" % x if x is not None else "-"  # noqa: E731
    for name, s in r["variants"].items():
        out.append("| %s%s | %d%s | %s | %s | %d | %s |" % (
            name, " (`%s`)" % s["cmdline_extra"] if s["cmdline_extra"] else "", s["n"],
            " (+%d failed)" % s["failures"] if s["failures"] else "", fmt(s["switch_root_s"]),
            fmt(s["network_online_s"]), s["names_differ"], s.get("saw_kernel_name", "-")))
    out += ["", "overlap minus after the root, boot by boot: median %s s (each: %s). Load average %s before, %s "
            "after (a shared 2-core machine). Part wall time %.0f s." % (
                r["overlap_minus_after_root_s"], ", ".join("%+.2f" % d for d in r["differences_s"]),
                ", ".join("%.2f" % x for x in m["load_before"]),
                ", ".join("%.2f" % x for x in m.get("load_after", ())), r["wall_s"]), ""]
    return out
