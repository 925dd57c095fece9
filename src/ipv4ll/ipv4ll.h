// IPv4 link-local addresses without DHCP (RFC 3927): the choice of a
// candidate and the ARP packets that check it is free. Pure: no sockets, no
// clock; cli/reach.cpp sends and times them.
#pragma once

#include "common/address.h"
#include "common/bytes.h"
#include "common/result.h"

#include <chrono>

namespace mb::ipv4ll {

// RFC 826 ARP for IPv4 over Ethernet, as it follows the Ethernet header (a
// SOCK_DGRAM packet socket bound to ETH_P_ARP sends and receives exactly this).
enum class ArpOperation : uint16_t {
    Request = 1,
    Reply = 2,
};

struct ArpPacket {
    ArpOperation operation { ArpOperation::Request };
    MacAddress sender_mac;
    Ipv4Address sender_ip;
    MacAddress target_mac;
    Ipv4Address target_ip;
    bool operator==(const ArpPacket&) const = default;
};

constexpr size_t arp_size = 28;

// Only Ethernet/IPv4 requests and replies; bytes after the 28 (Ethernet's
// padding to 60) are ignored.
Result<ArpPacket> decode_arp(ByteSpan bytes);
Bytes encode_arp(const ArpPacket& packet);

// RFC 3927 §2.2.1: "an ARP Request packet, broadcast on the local link, with
// the 'sender hardware address' field set to the hardware address of the
// interface, the 'sender IP address' field set to all zeroes, and the
// 'target IP address' field set to the address being probed".
ArpPacket probe(MacAddress own, Ipv4Address candidate);
// §2.4: the same with the sender IP address set too (a gratuitous ARP).
ArpPacket announcement(MacAddress own, Ipv4Address address);

// §2.2.1: the candidate is taken when, while probing, "the host receives any
// ARP packet (Request *or* Reply) on the interface where the probe is being
// performed where the packet's 'sender IP address' is the address being
// probed", or "any ARP Probe where the packet's 'target IP address' is the
// address being probed, and the packet's 'sender hardware address' is not
// the hardware address of the interface" (another host probing it now).
bool conflicts(const ArpPacket& packet, Ipv4Address candidate, MacAddress own);

// §2.1: an address in 169.254.1.0-169.254.254.255 from a generator seeded
// with the MAC, so a host usually picks the same address at every boot and
// two hosts rarely pick the same one; `attempt` (0, 1, ...) moves on after a
// conflict. Never `avoid` (the metadata service) nor 169.254.169.0/24, where
// clouds put their link-local services (EC2's DNS .253, NTP .123, IMDS .254).
Ipv4Address candidate(MacAddress mac, unsigned attempt, Ipv4Address avoid);

// The prefix and broadcast the address is configured with (§2.1: /16).
constexpr uint8_t prefix_length = 16;
constexpr Ipv4Address broadcast { 0xa9feffff };

// How long a candidate is probed. RFC 3927 §9 asks for a random wait of up
// to 1 s, 3 probes 1-2 s apart and a 2 s wait (PROBE_WAIT, PROBE_NUM,
// PROBE_MIN/MAX, ANNOUNCE_WAIT): 4 to 7 s, sized for shared media and slow
// hosts. A host that holds the address answers a
// probe from its kernel's ARP code (Linux: arp_process(), in softirq), in
// well under a millisecond on a virtual switch or any switched LAN, and the
// address is held only for the run, in the initramfs. So: the same three
// probes 40 ms apart (two of them lost still leave one) and 120 ms of
// listening after the last, 200 ms per candidate; the answer of a host a
// hundred times slower than a loaded VM still arrives inside it. The random
// delay before the first probe (PROBE_WAIT) is left out: two hosts probing
// the same address at once see each other's probes (the second rule of
// conflicts()) and both move on.
constexpr unsigned probe_count = 3;
constexpr std::chrono::milliseconds probe_interval { 40 };
constexpr std::chrono::milliseconds listen_after_last { 120 };
// §9 MAX_CONFLICTS: after ten conflicts the RFC slows down; here the run
// gives up and the next reach kind is tried.
constexpr unsigned max_conflicts = 10;

// §2.5 (defending the address after it is claimed) is not done, on purpose:
// the rule is for a host that keeps the address, so that the one of two
// hosts that loses it moves away. metaboot holds its address for the
// metadata fetch only (tens of milliseconds on a cloud; the run's deadline
// at most) and takes it away itself; a host that claims the same address in
// that window keeps it, which is what §2.5's option (a), "immediately
// configure a new IPv4 Link-Local address", leaves it with too. What a
// conflict could do to the run, a refused or reset connection to the
// service, ends in the fetch's retries or the next reach kind. Defending
// would keep an ARP socket listening through the fetch.

}
