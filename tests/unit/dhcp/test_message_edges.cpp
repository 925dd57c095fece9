// The message codec's rarer paths, each with its exact outcome (issue 19
// item 4): the 'sname' field as an option field, typed codes in `other` on
// encoding, and the names of every message type.
#include "dhcp/message.h"
#include "dhcp/options.h"
#include "helpers.h"

#include <doctest/doctest.h>

using namespace mb;
using namespace mb::dhcp;
using namespace mb::dhcp::test;

TEST_CASE("message edges: 'sname' as an option field names itself in warnings and errors")
{
    // Overload 2: 'sname' continues the options.
    Bytes nested = { 52, 1, 1, 26, 2, 0x05, 0xdc, 255 };
    auto m = decode_ok(concat({ bootp_header(2, nested, {}), Bytes { 52, 1, 2, 255 } }));
    CHECK(m.warnings == std::vector<std::string> { "option 52 inside 'sname' ignored" });
    CHECK(m.options.mtu == 1500);

    // 60 Pad bytes, then a Host Name whose 9 bytes would end past the
    // field's 64.
    Bytes cut = concat({ Bytes(60, 0), Bytes { 12, 9, 'h', 'o' } });
    auto broken = decode_message(concat({ bootp_header(2, cut, {}), Bytes { 52, 1, 2, 255 } }));
    REQUIRE(broken.is_error());
    CHECK(broken.error().kind() == ErrorKind::Invalid);
    CHECK(broken.error().message() == "option 12 runs past the end of 'sname'");
}

TEST_CASE("message edges: a typed option code put in `other` is not encoded twice, nor at all from `other`")
{
    Message m;
    m.op = OpCode::BootRequest;
    m.options.message_type = MessageType::Discover;
    m.options.mtu = 1500;
    // Codes the codec owns (Pad, Subnet Mask, Router, DNS, Host Name, Domain
    // Name, MTU, Overload, End) and one it does not (224).
    for (uint8_t code : { 0, 1, 3, 6, 12, 15, 26, 52, 255, 224 })
        m.options.other[code] = Bytes { 9, 9, 9, 9 };
    auto decoded = decode_message(encode_message(m));
    REQUIRE_MESSAGE(decoded.ok(), decoded.error().message());
    CHECK(decoded->warnings.empty());
    CHECK(decoded->options.mtu == 1500);
    CHECK_FALSE(decoded->options.subnet_mask.has_value());
    CHECK(decoded->options.routers.empty());
    CHECK(decoded->options.dns_servers.empty());
    CHECK_FALSE(decoded->options.hostname.has_value());
    CHECK_FALSE(decoded->options.domain_name.has_value());
    CHECK(decoded->options.other == std::map<uint8_t, Bytes> { { 224, Bytes { 9, 9, 9, 9 } } });
}

TEST_CASE("message edges: every message type has its RFC 2132 §9.6 name")
{
    const std::pair<MessageType, const char*> names[] = {
        { MessageType::Discover, "DISCOVER" }, { MessageType::Offer, "OFFER" }, { MessageType::Request, "REQUEST" },
        { MessageType::Decline, "DECLINE" }, { MessageType::Ack, "ACK" }, { MessageType::Nak, "NAK" },
        { MessageType::Release, "RELEASE" }, { MessageType::Inform, "INFORM" },
    };
    for (auto const& [type, name] : names)
        CHECK(std::string(message_type_name(type)) == name);
}

TEST_CASE("message edges: a non-Ethernet chaddr has no client MAC; option 119's pointer cut after its first byte")
{
    Message m;
    m.set_client_mac(*MacAddress::parse("02:00:00:00:00:01"));
    REQUIRE(m.client_mac().has_value());
    m.htype = 6; // IEEE 802 (token ring): RFC 1700's hardware types
    CHECK_FALSE(m.client_mac().has_value());
    m.htype = 1;
    m.hlen = 8;
    CHECK_FALSE(m.client_mac().has_value());

    // "a" then a compression pointer of which only the first byte came.
    Bytes cut = { 1, 'a', 0xc0 };
    auto names = decode_domain_search(cut);
    REQUIRE(names.is_error());
    CHECK(names.error().message() == "domain search: truncated pointer");
}
