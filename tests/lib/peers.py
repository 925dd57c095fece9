"""Real peers for the namespace tests: dnsmasq, busybox udhcpd, the metadata
emulator, and a raw-socket DHCP injector for fault cases.

All of them run inside the server namespace of a netns.Topology and are
stopped by PID when the topology closes.
"""
import os
import socket
import struct
import tempfile
import threading
import time

import netns

DNSMASQ = "/usr/sbin/dnsmasq"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EMULATOR = os.path.join(ROOT, "tests", "tools", "imds_emulator.py")


def start_dnsmasq(topo, iface="veth0", subnet=0, netmask="255.255.255.0", options=(), extra=(), lease_time="1h",
                  first=100, last=200):
    """dnsmasq as a DHCP-only server (port=0 turns DNS off) on one server veth."""
    work = tempfile.mkdtemp(prefix="mbt-dnsmasq-")
    args = [DNSMASQ, "--no-daemon", "--port=0", "--no-resolv", "--no-hosts", "--conf-file=/dev/null",
            "--interface=" + iface, "--bind-interfaces", "--except-interface=lo",
            "--dhcp-range=198.18.%d.%d,198.18.%d.%d,%s,%s" % (subnet, first, subnet, last, netmask, lease_time),
            "--dhcp-leasefile=" + os.path.join(work, "leases"), "--pid-file=" + os.path.join(work, "pid"),
            "--no-ping", "--dhcp-authoritative", "--log-facility=" + os.path.join(work, "log"), "--log-dhcp"]
    args += ["--dhcp-option=" + o for o in options]
    args += list(extra)
    proc = topo.server.popen(args)
    _wait_udp_bound(topo.server, 67)
    proc.workdir = work
    return proc


def start_udhcpd(topo, iface="veth0", subnet=0, options=(), netmask="255.255.255.0"):
    """busybox udhcpd with a config file of its own."""
    work = tempfile.mkdtemp(prefix="mbt-udhcpd-")
    conf = os.path.join(work, "udhcpd.conf")
    with open(conf, "w") as f:
        f.write("start 198.18.%d.100\nend 198.18.%d.200\ninterface %s\n" % (subnet, subnet, iface))
        f.write("lease_file %s\npidfile %s\nmax_leases 100\n" % (os.path.join(work, "leases"), os.path.join(work, "pid")))
        f.write("option subnet %s\noption lease 3600\n" % netmask)
        for o in options:
            f.write("option %s\n" % o)
    open(os.path.join(work, "leases"), "w").close()
    proc = topo.server.popen(["busybox", "udhcpd", "-f", conf])
    _wait_udp_bound(topo.server, 67)
    proc.workdir = work
    return proc


def _wait_udp_bound(ns, port, timeout=5.0):
    def bound():
        out = ns.run(["ss", "-Hlun", "sport", "= :%d" % port], check=False).stdout
        return bool(out.strip())
    netns.wait_for(bound, timeout, what="udp port %d" % port)


RADVD = "/usr/sbin/radvd"


def start_radvd(t, service, prefix, work, options=""):
    """A router on the server side of veth0: forwarding on, `service`
    (address/length) on veth0 without DAD, and radvd advertising `prefix`
    with its defaults plus `options` (radvd.conf interface lines). Its
    config and pid file go in `work`, which the caller removes."""
    t.server.run(["sysctl", "-qw", "net.ipv6.conf.all.forwarding=1"])
    t.server.run(["ip", "addr", "add", service, "dev", "veth0", "nodad"])
    conf = os.path.join(work, "radvd.conf")
    with open(conf, "w") as f:
        f.write("interface veth0 {\n  AdvSendAdvert on;\n%s  prefix %s {\n  };\n};\n" % (options, prefix))
    return t.server.popen([RADVD, "--nodaemon", "-C", conf, "-p", os.path.join(work, "pid"), "-m", "stderr"])


def start_emulator(topo, *flags, port=80, bind="169.254.169.254"):
    """The project's metadata emulator, bound inside the server namespace."""
    log = tempfile.mktemp(prefix="mbt-imds-", suffix=".log")
    proc = topo.server.popen(["python3", EMULATOR, "--bind", bind, "--port", str(port), "--log", log] + list(flags))
    if ":" in bind:  # IPv6, maybe with a zone: ss filters by the port alone
        netns.wait_for(lambda: topo.server.run(["ss", "-Hltn6", "sport", "= :%d" % port], check=False).stdout.strip(),
                       5.0, what="[%s]:%d to listen" % (bind, port))
    else:
        netns.wait_port(topo.server, bind, port)
    proc.request_log = log
    return proc


# --- a DHCP frame builder and injector for the fault cases -------------------

def _checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xffff) + (total >> 16)
    return ~total & 0xffff


def ipv4_udp(src, dst, sport, dport, payload):
    udp_len = 8 + len(payload)
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 17, udp_len)
    udp = struct.pack("!HHHH", sport, dport, udp_len, 0) + payload
    csum = _checksum(pseudo + udp) or 0xffff
    udp = udp[:6] + struct.pack("!H", csum) + udp[8:]
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, 0, 0, 64, 17, 0, socket.inet_aton(src), socket.inet_aton(dst))
    header = header[:10] + struct.pack("!H", _checksum(header)) + header[12:]
    return header + udp


def dhcp_reply(xid, chaddr, msg_type, yiaddr="0.0.0.0", server="198.18.0.1", options=b""):
    """A BOOTREPLY with option 53 = msg_type and option 54 = server."""
    fixed = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", 2, 1, 6, 0, xid, 0, 0x8000,
                        b"\0" * 4, socket.inet_aton(yiaddr), b"\0" * 4, b"\0" * 4,
                        chaddr.ljust(16, b"\0"), b"", b"")
    opts = struct.pack("!BBB", 53, 1, msg_type) + struct.pack("!BB4s", 54, 4, socket.inet_aton(server)) + options + b"\xff"
    return fixed + struct.pack("!I", 0x63825363) + opts


def parse_request(frame):
    """(message type, xid, chaddr) of a client frame to port 67, or None."""
    if len(frame) < 28 or frame[9] != 17:
        return None
    ihl = (frame[0] & 0xf) * 4
    sport, dport = struct.unpack("!HH", frame[ihl:ihl + 4])
    if dport != 67:
        return None
    bootp = frame[ihl + 8:]
    if len(bootp) < 240 or bootp[0] != 1:
        return None
    xid = struct.unpack("!I", bootp[4:8])[0]
    chaddr = bootp[28:34]
    i, mtype = 240, None
    while i < len(bootp) and bootp[i] != 255:
        if bootp[i] == 0:
            i += 1
            continue
        if i + 1 >= len(bootp):
            break
        code, length = bootp[i], bootp[i + 1]
        if code == 53 and length == 1:
            mtype = bootp[i + 2]
        i += 2 + length
    return mtype, xid, chaddr


ETH_P_ALL = 0x0003


class Injector:
    """Watches client frames on a server veth and answers with crafted frames.

    `on_frame(mtype, xid, chaddr)` returns a list of IPv4 packets to broadcast
    at once. Runs as a thread inside the server namespace (setns on a thread
    of its own, so the test process itself never leaves its namespace).

    The socket listens for every protocol (ETH_P_ALL), which makes it a tap:
    it sees a frame before the netdev ingress hooks (tc, nftables), so a
    test can drop a frame there that the injector still answers. A socket
    bound to IPv4 alone would see only what those hooks let through.
    """

    def __init__(self, topo, iface, on_frame):
        self.topo, self.iface, self.on_frame = topo, iface, on_frame
        self.sent = 0
        self.seen = []
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._error = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        if not self._ready.wait(5):
            raise RuntimeError("injector did not start")
        if self._error:
            raise self._error

    def _run(self):
        try:
            netns.enter_on_this_thread(self.topo.server.name)
            sock = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_ALL))
            sock.bind((self.iface, ETH_P_ALL))
            sock.settimeout(0.05)
        except Exception as error:  # reported to the constructor
            self._error = error
            self._ready.set()
            return
        self._ready.set()
        with sock:
            while not self._stop.is_set():
                try:
                    frame, addr = sock.recvfrom(4096)
                except socket.timeout:
                    continue
                if addr[2] == socket.PACKET_OUTGOING or addr[1] != 0x0800:
                    continue
                parsed = parse_request(frame)
                if not parsed:
                    continue
                self.seen.append(parsed)
                for packet in self.on_frame(*parsed) or []:
                    sock.sendto(packet, (self.iface, 0x0800, 0, 0, b"\xff" * 6))
                    self.sent += 1

    def stop(self):
        self._stop.set()
        self.thread.join(2)


class Duplicator:
    """Sends every DHCP frame twice more: at once and `later` seconds after.

    One thread, watching the server veth: a server reply (UDP source port 67)
    leaving it is re-sent on it, towards the client; a client request (UDP
    destination port 67) arriving on it is re-sent out of the client's NIC
    from inside the client namespace, so the server gets it again. (The client
    side cannot be watched directly: metaboot's PACKET_QDISC_BYPASS sends skip
    the kernel's taps.) Frames it sent itself are recognised and not copied
    again.
    """

    def __init__(self, topo, server_iface="veth0", client_iface="eth0", later=0.05):
        self.topo, self.server_iface, self.client_iface, self.later = topo, server_iface, client_iface, later
        self.copied = {"reply": 0, "request": 0}
        self.log = []  # (time, packet type, UDP ports) of every DHCP frame seen
        self._ours = {}  # frame -> copies still expected back
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._error = None
        self._timers = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        if not self._ready.wait(5):
            raise RuntimeError("duplicator did not start")
        if self._error:
            raise self._error

    @staticmethod
    def _udp_ports(frame):
        if len(frame) < 42 or frame[12:14] != b"\x08\x00" or frame[23] != 17:
            return None
        ihl = (frame[14] & 0xf) * 4
        return struct.unpack("!HH", frame[14 + ihl:14 + ihl + 4])

    def _send(self, sock, iface, frame, track):
        # A copy sent from the client side comes back past the server veth's
        # tap; one sent on the server veth itself does not (the sending
        # socket never sees its own frames).
        try:
            if track:
                with self._lock:
                    self._ours[frame] = self._ours.get(frame, 0) + 1
            sock.sendto(frame, (iface, 0))
        except OSError:  # the client's NIC went down at the end of the run
            pass

    def _copy(self, sock, iface, frame, kind):
        track = kind == "request"
        self._send(sock, iface, frame, track)
        timer = threading.Timer(self.later, self._send, (sock, iface, frame, track))
        timer.daemon = True
        timer.start()
        self._timers.append(timer)
        self.copied[kind] += 2

    def _run(self):
        try:
            netns.enter_on_this_thread(self.topo.client.name)
            client = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
            netns.enter_on_this_thread(self.topo.server.name)
            # ETH_P_ALL: only such sockets see frames leaving the device.
            server = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
            server.bind((self.server_iface, 0x0003))
            server.settimeout(0.05)
        except Exception as error:  # reported to the constructor
            self._error = error
            self._ready.set()
            return
        self._ready.set()
        with client, server:
            while not self._stop.is_set():
                try:
                    frame, addr = server.recvfrom(4096)
                except socket.timeout:
                    continue
                except OSError:  # ENETDOWN, reported once when the link drops
                    continue
                ports = self._udp_ports(frame)
                if not ports:
                    continue
                with self._lock:
                    if self._ours.get(frame):
                        self._ours[frame] -= 1
                        continue
                if 67 in ports:
                    self.log.append((round(time.monotonic(), 3), addr[2], ports))
                if addr[2] == socket.PACKET_OUTGOING and ports[0] == 67:
                    self._copy(server, self.server_iface, frame, "reply")
                elif addr[2] != socket.PACKET_OUTGOING and ports[1] == 67:
                    self._copy(client, self.client_iface, frame, "request")
            for timer in self._timers:
                timer.cancel()

    def stop(self):
        self._stop.set()
        self.thread.join(2)
