// IPv4 + UDP framing for an AF_PACKET SOCK_DGRAM socket, where a frame starts
// at the IPv4 header (the kernel adds and strips the Ethernet header). Pure.
#pragma once

#include "common/address.h"
#include "common/bytes.h"
#include "common/result.h"

#include <cstdint>

namespace mb::dhcp {

// RFC 2131 §4.1.
constexpr uint16_t server_port = 67;
constexpr uint16_t client_port = 68;

// RFC 1071 one's complement sum of `data` added to `sum`, not yet folded or
// complemented, so a pseudo-header and a payload can be summed in parts.
uint32_t checksum_add(uint32_t sum, ByteSpan data);
// Folds and complements a running sum into the 16-bit Internet checksum.
uint16_t checksum_finish(uint32_t sum);
inline uint16_t internet_checksum(ByteSpan data) { return checksum_finish(checksum_add(0, data)); }

// A frame with both checksums filled in: TTL 64, no options, not fragmented.
Bytes encode_ipv4_udp(Ipv4Address source, Ipv4Address destination, uint16_t source_port, uint16_t destination_port, ByteSpan payload);

struct UdpDatagram {
    Ipv4Address source;
    Ipv4Address destination;
    uint16_t source_port { 0 };
    uint16_t destination_port { 0 };
    Bytes payload;
};

// Whether the kernel says the UDP checksum was not computed yet: a packet
// generated on this host or on a veth peer with tx offload carries only the
// pseudo-header sum (PACKET_AUXDATA tp_status & TP_STATUS_CSUMNOTREADY).
enum class UdpChecksum {
    Verify,
    Offloaded,
};

// A datagram for `destination_port` (the client port, 68, unless a test
// decodes a client's frame). Cheap header checks come first (length, version,
// IHL, total length, protocol, fragment, port), checksums last. Bytes after
// the IPv4 total length (Ethernet padding) are ignored.
Result<UdpDatagram> decode_ipv4_udp(ByteSpan packet, UdpChecksum checksum, uint16_t destination_port = client_port);

}
