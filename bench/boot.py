"""Boot time under QEMU (TCG): kernel start to switch_root, by the guest's clock.

One initramfs-tools image, built by tests/boot/bootlib.py from `make install`
of the tree under test plus the benchmark's own dhclient hook
(bench/initramfs/, laid over the installed files, never shipped), is booted
in three variants, interleaved boot by boot (A B C, A B C, ...):

- metaboot: the product's init-bottom hook doing lease + IMDSv2 metadata +
  netplan/ifupdown written into the real root + teardown;
- no network: the same image with rd.metaboot=0, so nothing touches the
  network;
- dhclient step: rd.metaboot=0 and bench.dhclient, so the bench hook does
  ISC dhclient + `ip` + an IMDSv2 token and one curl per key + teardown.

Every boot gets a fresh root image and a fresh test namespace with a tap,
dnsmasq and the metadata emulator (IMDSv2 required), EC2's DMI strings, one
NIC. The time is the real root's init reading /proc/uptime (bootlib's
ROOT_INIT), i.e. from the kernel's start to just after switch_root; what QEMU,
SeaBIOS and the bzImage's decompression take is before the guest's clock
starts and is not in it.
"""
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "boot"))

import bootlib  # noqa: E402

KIND = "initramfs-tools"
HOOK = "bench-dhclient"
KEYS = "usr/share/metaboot-bench/keys"

# (name, extra kernel command line)
VARIANTS = (
    ("metaboot", []),
    ("no network", ["rd.metaboot=0"]),
    ("dhclient step", ["rd.metaboot=0", "bench.dhclient"]),
)
BASELINE = "no network"


def log(message):
    print("bench boot: " + message, flush=True)


def lay_hook(keys):
    """The `extra` for bootlib.initramfs: our hook and script over the
    installed tree, and the keys the dhclient step fetches."""
    def extra(stage):
        share = os.path.join(stage, "usr", "share")
        for rel in ("hooks", os.path.join("scripts", "init-bottom")):
            target = os.path.join(share, "initramfs-tools", rel, HOOK)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copyfile(os.path.join(HERE, "initramfs", rel, HOOK), target)
            os.chmod(target, 0o755)
        path = os.path.join(stage, KEYS)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write("\n".join(keys) + "\n")
    return extra


def stats(values):
    s = sorted(values)
    if not s:
        return {"n": 0}
    p90 = s[min(len(s) - 1, int(round(0.9 * (len(s) - 1))))]
    return {"n": len(s), "median_s": round(statistics.median(s), 3), "p90_s": round(p90, 3),
            "min_s": round(s[0], 3), "max_s": round(s[-1], 3)}


def step_seconds(name, result):
    """The network step's own time inside the guest: metaboot's summary
    (`... N ms`), or the dhclient script's uptime before and after."""
    if name == "metaboot":
        summary = result.summary() or ""
        m = re.search(r"total (\d+) ms", summary)
        return float(m.group(1)) / 1000 if m else None
    if name == "dhclient step":
        for line in result.lines:
            m = re.search(r"bench-dhclient: ok .* step ([\d.]+)\.\.([\d.]+) s", line)
            if m:
                return float(m.group(2)) - float(m.group(1))
    return None


def lease_seconds(result):
    """The dhclient step's start to its lease (dhclient alone, with link up)."""
    for line in result.lines:
        m = re.search(r"bench-dhclient: ok .* step ([\d.]+)\.\..*lease done at ([\d.]+) s", line)
        if m:
            return round(float(m.group(2)) - float(m.group(1)), 3)
    return None


def check(name, result, requests):
    """What the variant must have done; returns a reason it did not, or None."""
    if result.mark("done") is None or result.uptime is None:
        return "the real root's init never reported"
    gets = [r for r in requests if r["method"] == "GET"]
    tokened = any(r["method"] == "PUT" and r["status"] == 200 for r in requests) and gets \
        and all(r.get("token") for r in gets)
    if name == "metaboot":
        if result.hook_warning() or not result.summary():
            return "no metaboot summary: %s" % (result.hook_warning() or "")
        if not tokened:
            return "no IMDSv2 token use seen by the emulator"
    elif name == "no network":
        if not any("disabled" in l for l in result.metaboot_lines()):
            return "rd.metaboot=0 not honoured"
        if requests:
            return "%d metadata requests with the network off" % len(requests)
    else:
        failed = [l for l in result.lines if "bench-dhclient: failed" in l]
        if failed or step_seconds(name, result) is None:
            return "dhclient step did not finish: %s" % (failed or "no bench-dhclient line")
        if not tokened:
            return "no IMDSv2 token use seen by the emulator"
    if result.nic_ipv4():
        return "address left at switch_root: %s" % result.nic_ipv4()
    return None


def boot_on_fresh_root(ctx, assets, kind, name, extra_cmdline, folder, index):
    """One EC2-DMI boot of `kind` on a fresh root image in its own tap
    namespace: (result, the emulator's requests), or (None, why) when QEMU
    failed or timed out (the folder is then kept for reading; the other
    boots go on)."""
    kernel, initrd, busybox = assets
    os.makedirs(folder)
    rootimg = os.path.join(folder, "root.img")
    bootlib.make_rootfs(rootimg, busybox, folder)
    network = bootlib.TapNetwork(ctx, folder)
    try:
        result = bootlib.boot(kernel, initrd, rootimg, bootlib.cmdline(kind, extra_cmdline), network, folder,
                              smbios=bootlib.EC2_SMBIOS, name=name.replace(" ", "-"))
        log_path = network.requests_log
    except AssertionError as e:
        log("%s boot %d FAILED (kept %s): %s" % (name, index, folder, str(e)[-2000:]))
        return None, str(e).split("\n")[0]
    finally:
        network.close()
    return result, bootlib.metadata_requests(log_path) if os.path.exists(log_path) else []


def one_boot(ctx, assets, name, extra_cmdline, workdir, index):
    folder = os.path.join(workdir, "boot-%d-%s" % (index, name.replace(" ", "-")))
    result, requests = boot_on_fresh_root(ctx, assets, KIND, name, extra_cmdline, folder, index)
    if result is None:
        return {"failed": requests, "switch_root_s": None, "kernel_s": None, "initramfs_s": None}
    problem = check(name, result, requests)
    record = dict(result.phases(), host_s=round(result.seconds, 2), requests=len(requests),
                  step_s=step_seconds(name, result))
    if name == "dhclient step":
        record["lease_s"] = lease_seconds(result)
    if problem:
        log("%s boot %d FAILED: %s\n%s" % (name, index, problem, result.tail(40)))
        record["failed"] = problem
    else:
        shutil.rmtree(folder, ignore_errors=True)
        log("%s boot %d: switch_root at %.2f s (kernel %.2f s), step %s, %d requests, %.1f s host wall"
            % (name, index, record["switch_root_s"], record["kernel_s"] or 0,
               "%.3f s" % record["step_s"] if record["step_s"] is not None else "-", len(requests), result.seconds))
    return record


def paired(a, b, op):
    """Median over boot pairs (boot i of each variant ran back to back)."""
    values = [op(x, y) for x, y in zip(a, b) if x is not None and y is not None]
    return round(statistics.median(values), 3) if values else None


def bench_boot(binary, runs, results, keys, machine_note):
    """results["boot"]: per-variant stats and the pair-by-pair costs."""
    ctx = {"root": ROOT, "binary": binary, "build": os.path.dirname(binary)}
    bootlib.require_host()
    started = time.monotonic()
    note = machine_note()
    with bootlib.Workdir() as workdir:
        kernel = bootlib.prepare_kernel()
        tools = bootlib.prepare_tools()
        busybox = bootlib.prepare_busybox()
        initrd, built = bootlib.initramfs(KIND, ctx, kernel, tools, workdir, extra=lay_hook(keys),
                                          needed=("usr/sbin/dhclient", "usr/bin/curl", KEYS,
                                                  "scripts/init-bottom/" + HOOK))
        assets = (kernel, initrd, busybox)
        boots = {name: [] for name, _ in VARIANTS}
        for i in range(runs):
            for name, extra in VARIANTS:
                boots[name].append(one_boot(ctx, assets, name, extra, workdir, i))
    good = {name: [b if "failed" not in b else None for b in records] for name, records in boots.items()}
    uptime = {name: [b["switch_root_s"] if b else None for b in records] for name, records in good.items()}
    initramfs = {name: [b["initramfs_s"] if b else None for b in records] for name, records in good.items()}
    variants = {}
    for name, _ in VARIANTS:
        ok = [b for b in good[name] if b]
        steps = [b["step_s"] for b in ok if b["step_s"] is not None]
        variants[name] = dict(stats([b["switch_root_s"] for b in ok]),
                              failures=len(good[name]) - len(ok),
                              kernel_median_s=round(statistics.median([b["kernel_s"] for b in ok]), 3) if ok else None,
                              initramfs_median_s=round(statistics.median([b["initramfs_s"] for b in ok]), 3) if ok else None,
                              step_median_s=round(statistics.median(steps), 3) if steps else None,
                              requests=ok[-1]["requests"] if ok else None,
                              cmdline_extra=" ".join(dict(VARIANTS)[name]),
                              boots=boots[name])
        leases = [b["lease_s"] for b in ok if b.get("lease_s") is not None]
        if leases:
            variants[name]["lease_median_s"] = round(statistics.median(leases), 3)
        if name != BASELINE:
            variants[name]["cost_vs_no_network_s"] = paired(uptime[name], uptime[BASELINE], lambda x, y: x - y)
            # The same on the initramfs phase alone (Run /init to the root's
            # init): leaves out the kernel phase's own noise.
            variants[name]["initramfs_cost_vs_no_network_s"] = paired(
                initramfs[name], initramfs[BASELINE], lambda x, y: x - y)
            variants[name]["ratio_to_no_network"] = paired(uptime[name], uptime[BASELINE], lambda x, y: x / y)
    qemu = subprocess.run(["qemu-system-x86_64", "--version"], capture_output=True, text=True).stdout.split("\n")[0]
    note["load_after"] = os.getloadavg()
    results["boot"] = {
        "variants": variants,
        "ratio_metaboot_to_dhclient": paired(uptime["metaboot"], uptime["dhclient step"], lambda x, y: x / y),
        "image": KIND, "kernel": "%s %s (%s)" % (kernel.package, kernel.version,
                                                 "vmlinux, PVH entry" if os.environ.get("METABOOT_BOOT_KERNEL") == "vmlinux"
                                                 else "bzImage"),
        "qemu": qemu, "accel": "tcg, -smp 1, -m 512", "boots_per_variant": runs,
        "image_built_s": round(built, 1), "wall_s": round(time.monotonic() - started, 1), "machine": note,
    }


def markdown(b):
    """The results.md section."""
    v = b["variants"]
    m = b["machine"]
    out = ["## Boot time under QEMU (TCG)", "",
           "Kernel start to switch_root by the guest's clock (the real root's init reads /proc/uptime), "
           "%s image, %s, %s, %s; one NIC on a tap with dnsmasq and the metadata emulator (IMDSv2 required), "
           "EC2 DMI strings. Variants interleaved boot by boot; cost and ratio are medians of boot-by-boot "
           "differences and ratios against the no-network boot of the same round." % (
               b["image"], b["kernel"], b["qemu"], b["accel"]), "",
           "| variant | boots | median s | p90 s | min s | cost vs no network, s | ratio to no network "
           "| initramfs phase median s | its cost vs no network, s | network step in guest, median s "
           "| metadata requests |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, s in v.items():
        if not s.get("n"):
            out.append("| %s | 0 (%d failed) | | | | | | | | | |" % (name, s["failures"]))
            continue
        cost = s.get("cost_vs_no_network_s")
        ratio = s.get("ratio_to_no_network")
        step = s.get("step_median_s")
        icost = s.get("initramfs_cost_vs_no_network_s")
        out.append("| %s%s | %d%s | %.2f | %.2f | %.2f | %s | %s | %.2f | %s | %s | %s |" % (
            name, " (`%s`)" % s["cmdline_extra"] if s["cmdline_extra"] else "", s["n"],
            " (+%d failed)" % s["failures"] if s["failures"] else "", s["median_s"], s["p90_s"], s["min_s"],
            "%+.2f" % cost if cost is not None else "", "%.3f" % ratio if ratio is not None else "",
            s["initramfs_median_s"], "%+.2f" % icost if icost is not None else "",
            "%.3f" % step if step is not None else "", s.get("requests", "")))
    r = b.get("ratio_metaboot_to_dhclient")
    out += ["",
            "metaboot / dhclient step, boot by boot: %s. The network step's own time is metaboot's summary, "
            "or the dhclient script's /proc/uptime before and after (dhclient, `ip`, an IMDSv2 token and one "
            "curl per key, teardown; it writes no config); of that, dhclient's lease took a median %s s."
            % ("%.3f" % r if r is not None else "n/a",
               "%.3f" % v["dhclient step"]["lease_median_s"] if v.get("dhclient step", {}).get("lease_median_s")
               is not None else "n/a"),
            "",
            "Noise: software emulation on a shared machine (%s, %d cores, load average %s before and %s after; "
            "other jobs were running). A boot's total moves by more than metaboot's whole cost from one boot "
            "to the next, so the cost column can come out at or below zero for metaboot; the in-guest step "
            "time is the steadier figure. Boot part wall time: %.0f s." % (
                m["cpu"], m["cores"], ", ".join("%.2f" % x for x in m["load_before"]),
                ", ".join("%.2f" % x for x in m.get("load_after", ())), b["wall_s"]),
            ""]
    return out


# The systemd initrd's early start (issue 18): the same dracut-systemd image
# booted with metaboot overlapping the root's mount (rd.metaboot.overlap=1),
# with the lease after the root (the default, the shell hooks' order), and
# with no network, interleaved boot by boot.
OVERLAP_KIND = "dracut-systemd"
OVERLAP_VARIANTS = (
    ("overlap", ["rd.metaboot.overlap=1"]),
    ("after the root", []),
    ("no network", ["rd.metaboot=0"]),
)


def overlap_boot(ctx, assets, name, extra_cmdline, workdir, index):
    folder = os.path.join(workdir, "overlap-%d-%s" % (index, name.replace(" ", "-")))
    result, _ = boot_on_fresh_root(ctx, assets, OVERLAP_KIND, name, extra_cmdline, folder, index)
    if result is None:
        return None
    record = dict(result.phases(), host_s=round(result.seconds, 2))
    summary = result.summary() or ""
    problem = None
    if result.mark("done") is None or result.uptime is None:
        problem = "the real root's init never reported"
    elif name != "no network" and "total" not in summary:
        problem = "no metaboot summary"
    elif name == "overlap" and "the root is ready" not in result.console:
        problem = "metaboot did not wait for the root"
    elif result.nic_ipv4():
        problem = "address left at switch_root: %s" % result.nic_ipv4()
    if problem:
        log("%s boot %d FAILED: %s\n%s" % (name, index, problem, result.tail(40)))
        return None
    m = re.search(r"total (\d+) ms", summary)
    record["step_s"] = float(m.group(1)) / 1000 if m else None
    shutil.rmtree(folder, ignore_errors=True)
    log("%s boot %d: switch_root at %.2f s, metaboot %s" % (name, index, record["switch_root_s"], summary[-160:]))
    return record


def bench_overlap(binary, runs, results, machine_note):
    """results["overlap"]: switch_root time per variant and the boot-by-boot
    difference of the overlap against the lease after the root."""
    ctx = {"root": ROOT, "binary": binary, "build": os.path.dirname(binary)}
    bootlib.require_host()
    started = time.monotonic()
    note = machine_note()
    with bootlib.Workdir() as workdir:
        kernel = bootlib.prepare_kernel()
        tools = bootlib.prepare_tools()
        busybox = bootlib.prepare_busybox()
        initrd, _ = bootlib.initramfs(OVERLAP_KIND, ctx, kernel, tools, workdir)
        assets = (kernel, initrd, busybox)
        boots = {name: [] for name, _ in OVERLAP_VARIANTS}
        for i in range(runs):
            for name, extra in OVERLAP_VARIANTS:
                boots[name].append(overlap_boot(ctx, assets, name, extra, workdir, i))
    uptime = {name: [b["switch_root_s"] if b else None for b in records] for name, records in boots.items()}
    variants = {}
    for name, extra in OVERLAP_VARIANTS:
        ok = [b for b in boots[name] if b]
        variants[name] = dict(stats([b["switch_root_s"] for b in ok]), failures=len(boots[name]) - len(ok),
                              cmdline_extra=" ".join(extra))
    note["load_after"] = os.getloadavg()
    results["overlap"] = {
        "variants": variants,
        "overlap_minus_after_root_s": paired(uptime["overlap"], uptime["after the root"], lambda x, y: x - y),
        "ratio_overlap_to_after_root": paired(uptime["overlap"], uptime["after the root"], lambda x, y: x / y),
        "image": OVERLAP_KIND, "boots_per_variant": runs, "wall_s": round(time.monotonic() - started, 1), "machine": note,
    }


def overlap_markdown(b):
    out = ["## The lease overlapped with mounting the root (systemd initrd)", "",
           "Kernel start to switch_root by the guest's clock, %s image, EC2 DMI, one NIC on a tap with dnsmasq and "
           "the metadata emulator; variants interleaved boot by boot." % b["image"], "",
           "| variant | boots | median s | p90 s | min s |", "|---|---|---|---|---|"]
    for name, s in b["variants"].items():
        if not s.get("n"):
            out.append("| %s | 0 (%d failed) | | | |" % (name, s["failures"]))
            continue
        out.append("| %s%s | %d%s | %.2f | %.2f | %.2f |" % (
            name, " (`%s`)" % s["cmdline_extra"] if s["cmdline_extra"] else "", s["n"],
            " (+%d failed)" % s["failures"] if s["failures"] else "", s["median_s"], s["p90_s"], s["min_s"]))
    out += ["", "overlap minus after the root, boot by boot (median): %s s; ratio %s. TCG on a shared machine "
            "moves a boot by seconds, so read the medians over several rounds." % (
                b.get("overlap_minus_after_root_s"), b.get("ratio_overlap_to_after_root")), ""]
    return out
