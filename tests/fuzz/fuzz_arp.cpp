// libFuzzer target for the ARP decoder of the IPv4 link-local reach. A
// packet that decodes re-encodes to exactly its first 28 bytes (the rest is
// Ethernet padding), and the conflict check reads only decoded fields.
#include "ipv4ll/ipv4ll.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    auto packet = mb::ipv4ll::decode_arp(mb::ByteSpan(data, size));
    if (!packet)
        return 0;
    auto encoded = mb::ipv4ll::encode_arp(*packet);
    if (size < mb::ipv4ll::arp_size || !std::equal(encoded.begin(), encoded.end(), data, data + mb::ipv4ll::arp_size))
        __builtin_trap();
    if (mb::ipv4ll::decode_arp(encoded).value() != *packet)
        __builtin_trap();
    (void)mb::ipv4ll::conflicts(*packet, packet->target_ip, packet->sender_mac);
    return 0;
}
