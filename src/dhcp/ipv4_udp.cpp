#include "dhcp/ipv4_udp.h"

#include "common/format.h"

namespace mb::dhcp {

namespace {

constexpr size_t ipv4_header_size = 20;
constexpr size_t udp_header_size = 8;
constexpr uint8_t protocol_udp = 17;
constexpr uint8_t default_ttl = 64;
// RFC 791 §3.1: flags (3 bits) then the fragment offset (13 bits).
constexpr uint16_t more_fragments = 0x2000;
constexpr uint16_t fragment_offset_mask = 0x1fff;

uint32_t pseudo_header_sum(Ipv4Address source, Ipv4Address destination, uint16_t udp_length)
{
    // RFC 768: source, destination, zero, protocol, UDP length.
    ByteWriter pseudo;
    pseudo.put_u32(source.value());
    pseudo.put_u32(destination.value());
    pseudo.put_u8(0);
    pseudo.put_u8(protocol_udp);
    pseudo.put_u16(udp_length);
    return checksum_add(0, pseudo.bytes());
}

}

uint32_t checksum_add(uint32_t sum, ByteSpan data)
{
    // RFC 1071 §4.1, with an odd trailing byte padded by a zero on the right.
    // Folding every step keeps the 32-bit sum from overflowing however long
    // the data is.
    size_t k = 0;
    for (; k + 1 < data.size(); k += 2) {
        sum += uint32_t((data[k] << 8) | data[k + 1]);
        sum = (sum & 0xffff) + (sum >> 16);
    }
    if (k < data.size()) {
        sum += uint32_t(data[k] << 8);
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return sum;
}

uint16_t checksum_finish(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(~sum);
}

Bytes encode_ipv4_udp(Ipv4Address source, Ipv4Address destination, uint16_t source_port, uint16_t destination_port, ByteSpan payload)
{
    const auto udp_length = static_cast<uint16_t>(udp_header_size + payload.size());
    const auto total_length = static_cast<uint16_t>(ipv4_header_size + udp_length);

    ByteWriter writer;
    writer.put_u8(0x45); // version 4, IHL 5 words
    writer.put_u8(0);    // DSCP/ECN
    writer.put_u16(total_length);
    writer.put_u16(0); // identification: unused without fragmentation
    writer.put_u16(0); // flags, fragment offset
    writer.put_u8(default_ttl);
    writer.put_u8(protocol_udp);
    writer.put_u16(0); // header checksum, patched below
    writer.put_u32(source.value());
    writer.put_u32(destination.value());
    writer.patch_u16(10, internet_checksum(ByteSpan(writer.bytes()).first(ipv4_header_size)));

    writer.put_u16(source_port);
    writer.put_u16(destination_port);
    writer.put_u16(udp_length);
    writer.put_u16(0); // checksum, patched below
    writer.put_bytes(payload);
    uint32_t sum = pseudo_header_sum(source, destination, udp_length);
    sum = checksum_add(sum, ByteSpan(writer.bytes()).subspan(ipv4_header_size));
    uint16_t udp_checksum = checksum_finish(sum);
    // RFC 768: a computed zero is sent as all ones; zero means "no checksum".
    writer.patch_u16(ipv4_header_size + 6, udp_checksum == 0 ? 0xffff : udp_checksum);
    return writer.take();
}

Result<UdpDatagram> decode_ipv4_udp(ByteSpan packet, UdpChecksum checksum, uint16_t destination_port)
{
    ByteReader reader(packet);
    uint8_t version_ihl = reader.read_u8();
    reader.skip(1);
    uint16_t total_length = reader.read_u16();
    reader.skip(2);
    uint16_t fragment = reader.read_u16();
    reader.skip(1);
    uint8_t protocol = reader.read_u8();
    reader.skip(2);
    UdpDatagram datagram;
    datagram.source = Ipv4Address(reader.read_u32());
    datagram.destination = Ipv4Address(reader.read_u32());
    if (!reader.ok())
        return Error::invalid("shorter than an IPv4 header");
    if ((version_ihl >> 4) != 4)
        return Error::invalid("not IPv4");
    size_t header_length = size_t(version_ihl & 0x0f) * 4;
    if (header_length < ipv4_header_size)
        return Error::invalid("IHL below 5");
    if (total_length > packet.size())
        return Error::invalid(strf("IPv4 total length %u beyond the %zu bytes received", unsigned(total_length), packet.size()));
    if (total_length < header_length + udp_header_size)
        return Error::invalid("IPv4 total length too short for UDP");
    if (protocol != protocol_udp)
        return Error::invalid("not UDP");
    // DHCP replies fit one frame; reassembly is not worth its risk here.
    if ((fragment & more_fragments) || (fragment & fragment_offset_mask))
        return Error::invalid("IPv4 fragment");

    auto ip_packet = packet.first(total_length);
    ByteReader udp(ip_packet.subspan(header_length));
    datagram.source_port = udp.read_u16();
    datagram.destination_port = udp.read_u16();
    uint16_t udp_length = udp.read_u16();
    uint16_t udp_checksum = udp.read_u16();
    if (datagram.destination_port != destination_port)
        return Error::invalid(strf("UDP destination port %u, not %u", unsigned(datagram.destination_port), unsigned(destination_port)));
    if (udp_length < udp_header_size || udp_length > total_length - header_length)
        return Error::invalid(strf("bad UDP length %u", unsigned(udp_length)));

    if (internet_checksum(ip_packet.first(header_length)) != 0)
        return Error::invalid("bad IPv4 header checksum");
    auto udp_segment = ip_packet.subspan(header_length, udp_length);
    // RFC 768: a zero checksum means the sender did not compute one.
    if (checksum == UdpChecksum::Verify && udp_checksum != 0) {
        uint32_t sum = pseudo_header_sum(datagram.source, datagram.destination, udp_length);
        if (checksum_finish(checksum_add(sum, udp_segment)) != 0)
            return Error::invalid("bad UDP checksum");
    }
    auto payload = udp_segment.subspan(udp_header_size);
    datagram.payload.assign(payload.begin(), payload.end());
    return datagram;
}

}
