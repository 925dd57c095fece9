#include "net/packet_socket.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/socket.h>
#include <unistd.h>

namespace mb::net {

namespace {

// The frame starts at the IPv4 header (SOCK_DGRAM).
const sock_filter dhcp_client_filter[] = {
    BPF_STMT(BPF_LD + BPF_B + BPF_ABS, 0),                 // A = version/IHL byte
    BPF_STMT(BPF_ALU + BPF_AND + BPF_K, 0xf0),             // keep the version
    BPF_JUMP(BPF_JMP + BPF_JEQ + BPF_K, 0x40, 1, 0),       // IPv4?
    BPF_STMT(BPF_RET + BPF_K, 0),                          //   no: drop
    BPF_STMT(BPF_LD + BPF_B + BPF_ABS, 9),                 // A = IP protocol
    BPF_JUMP(BPF_JMP + BPF_JEQ + BPF_K, IPPROTO_UDP, 1, 0), // UDP?
    BPF_STMT(BPF_RET + BPF_K, 0),                          //   no: drop
    BPF_STMT(BPF_LD + BPF_H + BPF_ABS, 6),                 // A = flags + fragment offset
    BPF_JUMP(BPF_JMP + BPF_JSET + BPF_K, 0x1fff, 0, 1),    // a later fragment?
    BPF_STMT(BPF_RET + BPF_K, 0),                          //   yes: drop (no UDP header)
    BPF_STMT(BPF_LDX + BPF_B + BPF_MSH, 0),                // X = IP header length
    BPF_STMT(BPF_LD + BPF_H + BPF_IND, 2),                 // A = UDP destination port
    BPF_JUMP(BPF_JMP + BPF_JEQ + BPF_K, 68, 1, 0),         // the DHCP client port?
    BPF_STMT(BPF_RET + BPF_K, 0),                          //   no: drop
    BPF_STMT(BPF_RET + BPF_K, 0xffff),                     // pass the whole frame
};

// The frame starts at the ARP header (SOCK_DGRAM, bound to ETH_P_ARP).
const sock_filter arp_filter[] = {
    BPF_STMT(BPF_LD + BPF_W + BPF_ABS, 0),                 // A = hardware type, protocol type
    BPF_JUMP(BPF_JMP + BPF_JEQ + BPF_K, 0x00010800, 1, 0), // Ethernet, IPv4?
    BPF_STMT(BPF_RET + BPF_K, 0),                          //   no: drop
    BPF_STMT(BPF_LD + BPF_H + BPF_ABS, 4),                 // A = hardware size, protocol size
    BPF_JUMP(BPF_JMP + BPF_JEQ + BPF_K, 0x0604, 1, 0),     // 6 and 4?
    BPF_STMT(BPF_RET + BPF_K, 0),                          //   no: drop
    BPF_STMT(BPF_RET + BPF_K, 0xffff),                     // pass the whole frame
};

}

Result<PacketSocket> PacketSocket::open(int ifindex, Protocol protocol)
{
    // Protocol 0: no packets arrive (and no hook is registered) until bind().
    int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return Error::io("packet socket", errno);
    bool arp = protocol == Protocol::Arp;
    PacketSocket sock(fd, ifindex, htons(arp ? ETH_P_ARP : ETH_P_IP));
    sock_fprog program { sizeof dhcp_client_filter / sizeof dhcp_client_filter[0], const_cast<sock_filter*>(dhcp_client_filter) };
    if (arp)
        program = { sizeof arp_filter / sizeof arp_filter[0], const_cast<sock_filter*>(arp_filter) };
    if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof program) < 0)
        return Error::io("attaching BPF filter", errno);
    int one = 1;
    if (setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof one) < 0)
        return Error::io("PACKET_AUXDATA", errno);
    // Until linkwatch activates the device's queueing discipline (up to a
    // second after the carrier comes up), frames queued to it are dropped:
    // send straight to the driver. Old kernels without it just queue.
    (void)setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one);
    sockaddr_ll address {};
    address.sll_family = AF_PACKET;
    address.sll_protocol = sock.m_ethertype;
    address.sll_ifindex = ifindex;
    if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) < 0)
        return Error::io("binding packet socket", errno);
    return sock;
}

PacketSocket::PacketSocket(PacketSocket&& other) noexcept
    : m_fd(other.m_fd)
    , m_ifindex(other.m_ifindex)
    , m_ethertype(other.m_ethertype)
{
    other.m_fd = -1;
}

PacketSocket& PacketSocket::operator=(PacketSocket&& other) noexcept
{
    if (this != &other) {
        if (m_fd >= 0)
            close(m_fd);
        m_fd = other.m_fd;
        m_ifindex = other.m_ifindex;
        m_ethertype = other.m_ethertype;
        other.m_fd = -1;
    }
    return *this;
}

PacketSocket::~PacketSocket()
{
    if (m_fd >= 0)
        close(m_fd);
}

int PacketSocket::release_fd()
{
    int fd = m_fd;
    m_fd = -1;
    return fd;
}

Status PacketSocket::send_broadcast(ByteSpan packet)
{
    sockaddr_ll to {};
    to.sll_family = AF_PACKET;
    to.sll_protocol = m_ethertype;
    to.sll_ifindex = m_ifindex;
    to.sll_halen = 6;
    std::memset(to.sll_addr, 0xff, 6);
    ssize_t sent;
    do {
        sent = sendto(m_fd, packet.data(), packet.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
    } while (sent < 0 && errno == EINTR);
    if (sent < 0)
        return Error::io("sending a packet", errno);
    return {};
}

Result<std::optional<ReceivedPacket>> PacketSocket::receive(std::span<uint8_t> buffer)
{
    iovec iov { buffer.data(), buffer.size() };
    alignas(cmsghdr) uint8_t control[CMSG_SPACE(sizeof(tpacket_auxdata))];
    msghdr message {};
    message.msg_iov = &iov;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    ssize_t got = recvmsg(m_fd, &message, MSG_DONTWAIT);
    if (got < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            return std::optional<ReceivedPacket> {};
        return Error::io("receiving a packet", errno);
    }
    ReceivedPacket packet;
    packet.length = size_t(got);
    if (message.msg_flags & MSG_TRUNC)
        packet.length = 0; // larger than any DHCP reply we accept: ignore
    // musl's CMSG_NXTHDR compares signed with unsigned.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsign-compare"
    for (cmsghdr* c = CMSG_FIRSTHDR(&message); c; c = CMSG_NXTHDR(&message, c)) {
        if (c->cmsg_level == SOL_PACKET && c->cmsg_type == PACKET_AUXDATA) {
            tpacket_auxdata aux;
            std::memcpy(&aux, CMSG_DATA(c), sizeof aux);
            packet.checksum_offloaded = (aux.tp_status & TP_STATUS_CSUMNOTREADY) != 0;
        }
    }
#pragma GCC diagnostic pop
    return std::optional<ReceivedPacket>(packet);
}

}
