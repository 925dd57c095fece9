"""Test network namespaces: the only place metaboot's tests send DHCP or talk to
169.254.169.254.

Every namespace gets the prefix `mbt<pid>-`, so concurrent runs never collide
and a leftover is easy to attribute. Everything made here is removed on every
exit path: the context manager's exit, atexit, and SIGTERM/SIGINT. Processes are
killed only by the PIDs this module started. Addresses come from 198.18.0.0/15
(RFC 2544, reserved for benchmarking) and 169.254.169.254 on the server side.
"""
import atexit
import json
import os
import re
import signal
import subprocess
import time

PREFIX = "mbt%d-" % os.getpid()
# metaboot logs to stderr in the tests, not to this machine's /dev/kmsg.
os.environ["METABOOT_LOG"] = "stderr"
_live = []  # Topology objects not yet cleaned up


class Skip(Exception):
    """Raised by a test that cannot run here (reported, not counted as a pass)."""


def require_root():
    if os.geteuid() != 0:
        raise Skip("needs root for network namespaces")


def run(args, check=True, **kw):
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    proc = subprocess.run(args, **kw)
    if check and proc.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(args), proc.returncode, proc.stderr.strip()))
    return proc


def _cleanup_all():
    for topo in list(_live):
        topo.close()


def _on_signal(signum, frame):
    _cleanup_all()
    raise SystemExit(128 + signum)


atexit.register(_cleanup_all)
for _sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    try:
        signal.signal(_sig, _on_signal)
    except ValueError:
        pass


class Namespace:
    def __init__(self, topo, short):
        self.topo = topo
        self.name = PREFIX + short
        run(["ip", "netns", "add", self.name])
        self.run(["ip", "link", "set", "lo", "up"])

    def cmd(self, args):
        return ["ip", "netns", "exec", self.name] + list(args)

    def run(self, args, check=True, **kw):
        return run(self.cmd(args), check=check, **kw)

    def popen(self, args, **kw):
        return self.topo.start(self.cmd(args), **kw)

    def snapshot(self):
        """Links, addresses, routes and rules, normalised for comparison.

        Counters, timers and kernel-assigned volatile fields are dropped: the
        question is whether the configuration is the same, not the traffic.
        """
        def j(args):
            out = self.run(["ip", "-j"] + args).stdout.strip()
            return json.loads(out) if out else []

        links = []
        for link in j(["-d", "link", "show"]):
            links.append({k: link.get(k) for k in ("ifname", "flags", "mtu", "operstate", "address", "link_type")})
        addrs = []
        for link in j(["addr", "show"]):
            for a in link.get("addr_info", []):
                addrs.append((link["ifname"], a.get("family"), a.get("local"), a.get("prefixlen"), a.get("broadcast")))
        routes = []
        for family in ("-4", "-6"):
            for r in j([family, "route", "show", "table", "all"]):
                r = {k: v for k, v in r.items() if k not in ("expires", "pref")}
                routes.append(json.dumps(r, sort_keys=True))
        rules = []
        for family in ("-4", "-6"):
            rules += [json.dumps(r, sort_keys=True) for r in j([family, "rule", "show"])]
        return {"links": links, "addrs": sorted(map(str, addrs)), "routes": sorted(routes), "rules": sorted(rules)}


class Topology:
    """A server namespace and a client namespace joined by veth pairs.

    `with Topology(nics=2) as t:` gives t.server, t.client and t.nics: a list
    of (client_ifname, server_ifname, mac, subnet_index). Server side i holds
    198.18.i.1/24; server side 0 also holds 169.254.169.254/32, where the
    metadata emulator listens.
    """

    def __init__(self, nics=1, server_addrs=True, macs=None):
        self.procs = []
        self.namespaces = []
        self.closed = False
        _live.append(self)
        try:
            self.server = self.add_namespace("srv")
            self.client = self.add_namespace("cli")
            self.nics = []
            for i in range(nics):
                mac = macs[i] if macs else "02:00:00:00:%02x:%02x" % (i // 256, i % 256 + 1)
                cif, sif = "eth%d" % i, "veth%d" % i
                run(["ip", "link", "add", sif, "netns", self.server.name, "type", "veth",
                     "peer", "name", cif, "netns", self.client.name])
                self.client.run(["ip", "link", "set", cif, "address", mac])
                self.server.run(["ip", "link", "set", sif, "up"])
                if server_addrs:
                    self.server.run(["ip", "addr", "add", "198.18.%d.1/24" % i, "dev", sif])
                self.nics.append((cif, sif, mac, i))
            if server_addrs and nics:
                self.server.run(["ip", "addr", "add", "169.254.169.254/32", "dev", "veth0"])
        except BaseException:
            self.close()
            raise

    def add_namespace(self, short):
        ns = Namespace(self, short)
        self.namespaces.append(ns)
        return ns

    def start(self, args, **kw):
        kw.setdefault("stdout", subprocess.DEVNULL)
        kw.setdefault("stderr", subprocess.DEVNULL)
        proc = subprocess.Popen(args, **kw)
        self.procs.append(proc)
        return proc

    def stop(self, proc, timeout=3):
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def close(self):
        if self.closed:
            return
        self.closed = True
        for proc in reversed(self.procs):
            try:
                self.stop(proc)
            except Exception:
                pass
        # Daemons our commands left behind inside our namespaces (dhclient
        # forks into the background once bound): anything whose network
        # namespace is one of ours was started by this test.
        for ns in self.namespaces:
            kill_processes_in(ns.name)
        for ns in reversed(self.namespaces):
            subprocess.run(["ip", "netns", "del", ns.name], capture_output=True)
        if self in _live:
            _live.remove(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def enter_on_this_thread(name):
    """setns() the calling thread (only) into a test namespace. Python 3.11
    has no os.setns, so this goes through libc."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open("/run/netns/" + name, os.O_RDONLY)
    try:
        if libc.setns(fd, 0x40000000) != 0:  # CLONE_NEWNET
            raise OSError(ctypes.get_errno(), "setns " + name)
    finally:
        os.close(fd)


def drop_every(ns, dev, residues, modulus, port):
    """Drop, at `dev`'s ingress, the UDP datagrams to `port` whose running
    count (from 0, modulo `modulus`) is in `residues`: a loss pattern that is
    the same on every run, where random loss fails a test now and then.
    Only datagrams to `port` advance the count (nftables evaluates numgen
    only once the port matched). Returns the table's name, for `dropped()`."""
    table = "mbt_drop_" + dev.replace("-", "_").replace(".", "_")
    ns.run(["nft", "add", "table", "netdev", table])
    ns.run(["nft", "add", "chain", "netdev", table, "in",
            '{ type filter hook ingress device "%s" priority 0; }' % dev])
    ns.run(["nft", "add", "rule", "netdev", table, "in", "udp", "dport", str(port), "numgen", "inc", "mod",
            str(modulus), "{ %s }" % ", ".join(str(r) for r in residues), "counter", "drop"])
    return table


def dropped(ns, table):
    """How many datagrams the `drop_every` rule of `table` has dropped."""
    listing = ns.run(["nft", "list", "table", "netdev", table]).stdout
    found = re.search(r"counter packets (\d+)", listing)
    assert found, listing
    return int(found.group(1))


def kill_processes_in(name):
    """SIGKILL every process whose network namespace is the test namespace
    `name` (found by the namespace's inode, never by process name)."""
    try:
        inode = os.stat("/run/netns/" + name).st_ino
    except OSError:
        return
    me = os.getpid()
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == me:
            continue
        try:
            link = os.readlink("/proc/%s/ns/net" % pid)
        except OSError:
            continue
        if link == "net:[%d]" % inode:
            try:
                os.kill(int(pid), signal.SIGKILL)
            except OSError:
                pass


def wait_for(predicate, timeout=5.0, interval=0.02, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError("timed out waiting for " + what)


def wait_port(ns, address, port, timeout=5.0):
    """Waits until something listens on address:port inside the namespace."""
    def listening():
        out = ns.run(["ss", "-Hltn", "src", "%s:%d" % (address, port)], check=False).stdout
        return bool(out.strip())
    wait_for(listening, timeout, what="%s:%d to listen" % (address, port))
