// An AF_PACKET socket for DHCP: SOCK_DGRAM (frames start at the IPv4 header),
// a BPF filter that passes only IPv4 UDP to port 68, and PACKET_AUXDATA so a
// frame whose checksum the NIC will compute (TP_STATUS_CSUMNOTREADY) is not
// thrown away as corrupt. The same for ARP (RFC 3927 probes): frames start at
// the ARP header, the filter passes only ARP for IPv4 over Ethernet.
//
// Binding or closing an AF_PACKET socket that has a protocol hook waits for an
// RCU grace period (16-28 ms measured on this kernel), so the socket is created
// with protocol 0, bound once with ETH_P_IP and the ifindex, kept for the whole
// exchange, and closed off the critical path (release_fd()).
#pragma once

#include "common/bytes.h"
#include "common/result.h"

#include <optional>

namespace mb::net {

struct ReceivedPacket {
    size_t length { 0 };
    bool checksum_offloaded { false };
};

class PacketSocket {
public:
    enum class Protocol {
        Dhcp,
        Arp,
    };
    static Result<PacketSocket> open(int ifindex, Protocol protocol = Protocol::Dhcp);

    PacketSocket(PacketSocket&& other) noexcept;
    PacketSocket& operator=(PacketSocket&& other) noexcept;
    PacketSocket(const PacketSocket&) = delete;
    ~PacketSocket();

    int fd() const { return m_fd; }
    // Sends a packet of the socket's protocol to the link-layer broadcast address.
    Status send_broadcast(ByteSpan packet);
    // Non-blocking: nullopt when nothing is queued.
    Result<std::optional<ReceivedPacket>> receive(std::span<uint8_t> buffer);
    // Hands the descriptor over (for closing on another thread).
    int release_fd();

private:
    PacketSocket(int fd, int ifindex, uint16_t ethertype)
        : m_fd(fd)
        , m_ifindex(ifindex)
        , m_ethertype(ethertype)
    {
    }
    int m_fd { -1 };
    int m_ifindex { 0 };
    uint16_t m_ethertype { 0 };
};

}
