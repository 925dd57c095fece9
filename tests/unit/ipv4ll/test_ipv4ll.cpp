// RFC 3927: the choice of a link-local address and the ARP packets that
// check it, byte for byte.
#include "ipv4ll/ipv4ll.h"

#include <doctest/doctest.h>

#include <set>

using namespace mb;
using namespace mb::ipv4ll;

namespace {

const MacAddress own = MacAddress::parse("02:00:00:00:00:01").value();
const MacAddress peer = MacAddress::parse("02:00:00:00:00:02").value();
const Ipv4Address candidate_address(169, 254, 23, 45);
const Ipv4Address service(169, 254, 169, 254);

// A probe for 169.254.23.45 from 02:00:00:00:00:01, field by field (RFC 826),
// then 18 bytes of the padding Ethernet adds to a 60-byte frame.
const uint8_t probe_bytes[] = {
    0x00, 0x01,                         // hardware type: Ethernet
    0x08, 0x00,                         // protocol type: IPv4
    0x06,                               // hardware address size
    0x04,                               // protocol address size
    0x00, 0x01,                         // operation: request
    0x02, 0x00, 0x00, 0x00, 0x00, 0x01, // sender MAC
    0x00, 0x00, 0x00, 0x00,             // sender IP: 0.0.0.0, a probe (RFC 3927 §2.2.1)
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // target MAC: zero
    0xa9, 0xfe, 0x17, 0x2d,             // target IP: 169.254.23.45
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

}

TEST_CASE("ipv4ll: a probe encodes to RFC 826's layout and decodes back, padding ignored")
{
    auto encoded = encode_arp(probe(own, candidate_address));
    CHECK(encoded == Bytes(probe_bytes, probe_bytes + arp_size));
    auto decoded = decode_arp(ByteSpan(probe_bytes, sizeof probe_bytes));
    REQUIRE(decoded.ok());
    CHECK(*decoded == probe(own, candidate_address));
    auto announced = encode_arp(announcement(own, candidate_address));
    CHECK(decode_arp(announced)->sender_ip == candidate_address);
    CHECK(decode_arp(announced)->target_ip == candidate_address);
}

TEST_CASE("ipv4ll: ARP the decoder refuses")
{
    Bytes good(probe_bytes, probe_bytes + arp_size);
    CHECK(decode_arp(ByteSpan(good.data(), arp_size - 1)).is_error());
    CHECK(decode_arp({}).is_error());
    struct Bad {
        const char* name;
        size_t offset;
        uint8_t value;
    };
    for (auto bad : { Bad { "IEEE 802 hardware", 1, 6 }, Bad { "IPv6 protocol", 2, 0x86 }, Bad { "hardware size 8", 4, 8 },
             Bad { "protocol size 16", 5, 16 }, Bad { "RARP request", 7, 3 }, Bad { "operation 0", 7, 0 } }) {
        INFO(bad.name);
        auto bytes = good;
        bytes[bad.offset] = bad.value;
        CHECK(decode_arp(bytes).is_error());
    }
}

TEST_CASE("ipv4ll: what counts as a conflict (RFC 3927 §2.2.1)")
{
    struct Case {
        const char* name;
        ArpPacket packet;
        bool conflict;
    };
    const Case cases[] = {
        { "a reply from its owner", { ArpOperation::Reply, peer, candidate_address, own, Ipv4Address() }, true },
        { "its owner's own request", { ArpOperation::Request, peer, candidate_address, MacAddress(), Ipv4Address(169, 254, 1, 1) }, true },
        { "another host probing it", probe(peer, candidate_address), true },
        { "our own probe, looped back", probe(own, candidate_address), false },
        { "another host probing another address", probe(peer, Ipv4Address(169, 254, 9, 9)), false },
        { "a request for it from a host that has another", { ArpOperation::Request, peer, Ipv4Address(169, 254, 9, 9), MacAddress(), candidate_address }, false },
        { "a reply to someone else", { ArpOperation::Reply, peer, Ipv4Address(169, 254, 9, 9), own, candidate_address }, false },
    };
    for (auto const& c : cases) {
        INFO(c.name);
        CHECK(conflicts(c.packet, candidate_address, own) == c.conflict);
    }
}

TEST_CASE("ipv4ll: candidates are RFC 3927 §2.1's, the same at every boot, spread, and never the services'")
{
    CHECK(candidate(own, 0, service) == candidate(own, 0, service));
    CHECK(candidate(own, 0, service) != candidate(own, 1, service));
    CHECK(candidate(own, 0, service) != candidate(peer, 0, service));
    std::set<uint32_t> seen;
    std::array<uint8_t, 6> bytes { 0x02, 0, 0, 0, 0, 0 };
    for (unsigned i = 0; i < 2000; ++i) {
        bytes[4] = uint8_t(i >> 8);
        bytes[5] = uint8_t(i);
        for (unsigned attempt = 0; attempt < 3; ++attempt) {
            auto address = candidate(MacAddress(bytes), attempt, service).value();
            REQUIRE(address >= 0xa9fe0100);
            REQUIRE(address <= 0xa9fefeff);
            REQUIRE((address & 0xffffff00) != 0xa9fea900);
            seen.insert(address);
        }
    }
    // 6,000 draws from 65,024 - 256 addresses: a uniform choice repeats
    // about 270 of them; a poor mix would repeat far more.
    CHECK(seen.size() > 5600);
    // An avoided address is stepped over, not returned.
    auto first = candidate(own, 0, Ipv4Address());
    CHECK(candidate(own, 0, first) != first);
}
