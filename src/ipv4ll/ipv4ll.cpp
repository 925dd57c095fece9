#include "ipv4ll/ipv4ll.h"

namespace mb::ipv4ll {

namespace {

// RFC 826's fixed fields for Ethernet and IPv4: hardware type 1 (Ethernet),
// protocol type 0x0800 (IPv4), hardware size 6, protocol size 4.
constexpr uint16_t hardware_ethernet = 1;
constexpr uint16_t protocol_ipv4 = 0x0800;

MacAddress read_mac(ByteReader& reader)
{
    std::array<uint8_t, 6> bytes {};
    auto span = reader.read_bytes(6);
    if (span.size() == 6)
        std::copy(span.begin(), span.end(), bytes.begin());
    return MacAddress(bytes);
}

}

Result<ArpPacket> decode_arp(ByteSpan bytes)
{
    ByteReader reader(bytes);
    uint16_t hardware = reader.read_u16();
    uint16_t protocol = reader.read_u16();
    uint8_t hardware_size = reader.read_u8();
    uint8_t protocol_size = reader.read_u8();
    uint16_t operation = reader.read_u16();
    ArpPacket packet;
    packet.sender_mac = read_mac(reader);
    packet.sender_ip = Ipv4Address(reader.read_u32());
    packet.target_mac = read_mac(reader);
    packet.target_ip = Ipv4Address(reader.read_u32());
    if (!reader.ok() || hardware != hardware_ethernet || protocol != protocol_ipv4 || hardware_size != 6 || protocol_size != 4
        || (operation != uint16_t(ArpOperation::Request) && operation != uint16_t(ArpOperation::Reply)))
        return Error::invalid("not an ARP request or reply for IPv4 over Ethernet");
    packet.operation = ArpOperation(operation);
    return packet;
}

Bytes encode_arp(const ArpPacket& packet)
{
    ByteWriter writer(arp_size);
    writer.put_u16(hardware_ethernet);
    writer.put_u16(protocol_ipv4);
    writer.put_u8(6);
    writer.put_u8(4);
    writer.put_u16(uint16_t(packet.operation));
    writer.put_bytes(packet.sender_mac.bytes());
    writer.put_u32(packet.sender_ip.value());
    writer.put_bytes(packet.target_mac.bytes());
    writer.put_u32(packet.target_ip.value());
    return writer.take();
}

ArpPacket probe(MacAddress own, Ipv4Address candidate)
{
    // §2.2.1: the target hardware address "SHOULD be set to all zeroes".
    return { ArpOperation::Request, own, Ipv4Address(), MacAddress(), candidate };
}

ArpPacket announcement(MacAddress own, Ipv4Address address)
{
    return { ArpOperation::Request, own, address, MacAddress(), address };
}

bool conflicts(const ArpPacket& packet, Ipv4Address candidate, MacAddress own)
{
    if (packet.sender_ip == candidate)
        return true;
    return packet.operation == ArpOperation::Request && packet.sender_ip.is_unspecified() && packet.target_ip == candidate && packet.sender_mac != own;
}

Ipv4Address candidate(MacAddress mac, unsigned attempt, Ipv4Address avoid)
{
    // 169.254.1.0 + [0, 254 * 256): RFC 3927 §2.1 leaves out the first and
    // last /24 of 169.254.0.0/16.
    constexpr uint32_t first = 0xa9fe0100, count = 254 * 256;
    for (unsigned step = 0;; ++step) {
        // FNV-1a over the MAC, the attempt number and the step past an
        // avoided address: a fixed, well-mixed
        // sequence per MAC (no state, no randomness to inject).
        uint32_t hash = 2166136261u;
        auto mix = [&](uint8_t byte) { hash = (hash ^ byte) * 16777619u; };
        for (uint8_t byte : mac.bytes())
            mix(byte);
        for (unsigned value = attempt, i = 0; i < 4; ++i, value >>= 8)
            mix(uint8_t(value));
        mix(uint8_t(step));
        Ipv4Address address(first + hash % count);
        if (address != avoid && (address.value() & 0xffffff00) != 0xa9fea900)
            return address;
    }
}

}
