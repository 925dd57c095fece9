// The message codec: structure, RFC 3396 concatenation, option overload,
// deterministic encoding, round trips.
#include "dhcp/message.h"
#include "helpers.h"

#include <doctest/doctest.h>

using namespace mb;
using namespace mb::dhcp;
using namespace mb::dhcp::test;
using namespace std::chrono_literals;

TEST_CASE("the fixed header decodes field by field")
{
    Bytes data = {
        0x02,                   // op: BOOTREPLY
        0x01,                   // htype: Ethernet
        0x06,                   // hlen: 6
        0x01,                   // hops: 1
        0x12, 0x34, 0x56, 0x78, // xid
        0x00, 0x07,             // secs: 7
        0x80, 0x00,             // flags: broadcast
        198, 18, 0, 9,          // ciaddr
        198, 18, 0, 50,         // yiaddr
        198, 18, 0, 1,          // siaddr
        198, 18, 0, 254,        // giaddr
        2, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // chaddr, 16 bytes
    };
    Bytes sname = { 's', 'r', 'v' };
    sname.resize(64);
    Bytes file = { 'p', 'x', 'e', 0, 'j', 'u', 'n', 'k' }; // cut at the NUL
    file.resize(128);
    data = concat({ data, sname, file, { 0x63, 0x82, 0x53, 0x63, 255 } });
    auto m = decode_ok(data);
    CHECK(m.op == OpCode::BootReply);
    CHECK(m.htype == 1);
    CHECK(m.hlen == 6);
    CHECK(m.hops == 1);
    CHECK(m.xid == 0x12345678u);
    CHECK(m.secs == 7);
    CHECK(m.flags == broadcast_flag);
    CHECK(m.ciaddr == Ipv4Address(198, 18, 0, 9));
    CHECK(m.yiaddr == Ipv4Address(198, 18, 0, 50));
    CHECK(m.siaddr == Ipv4Address(198, 18, 0, 1));
    CHECK(m.giaddr == Ipv4Address(198, 18, 0, 254));
    CHECK(m.client_mac() == MacAddress::parse("02:00:00:00:00:01"));
    CHECK(m.sname == "srv");
    CHECK(m.file == "pxe");
    CHECK(m.warnings.empty());
    CHECK(m.options == Options {});
}

TEST_CASE("structurally broken messages are errors")
{
    auto good = with_options({ 53, 1, 2, 255 });
    REQUIRE(decode_message(good).ok());

    SUBCASE("every truncation of the fixed part") {
        for (size_t length = 0; length < 240; ++length)
            CHECK(decode_message(ByteSpan(good).first(length)).is_error());
    }
    SUBCASE("bad op") {
        auto bad = good;
        bad[0] = 3;
        CHECK(decode_message(bad).error().message().find("op") != std::string::npos);
        bad[0] = 0;
        CHECK(decode_message(bad).is_error());
    }
    SUBCASE("hlen larger than chaddr") {
        auto bad = good;
        bad[2] = 17;
        CHECK(decode_message(bad).is_error());
    }
    SUBCASE("wrong magic cookie") {
        auto bad = good;
        bad[236 + 3] = 0x64;
        CHECK(decode_message(bad).error().message().find("cookie") != std::string::npos);
    }
    SUBCASE("an option running past the end") {
        CHECK(decode_message(with_options({ 53, 1, 2, 6, 8, 198, 18, 0, 1 })).is_error());
        CHECK(decode_message(with_options({ 53, 1, 2, 6 })).is_error()); // no length octet
    }
}

TEST_CASE("pads are skipped, a missing End is tolerated with a warning")
{
    auto m = decode_ok(with_options({ 0, 0, 53, 1, 2, 0, 26, 2, 0x05, 0xdc }));
    CHECK(m.options.message_type == MessageType::Offer);
    CHECK(m.options.mtu == 1500);
    CHECK(has_warning(m, "no End option"));
    // Anything after End is padding, even if it looks like options.
    auto after_end = decode_ok(with_options({ 53, 1, 2, 255, 26, 2, 0x05, 0xdc }));
    CHECK_FALSE(after_end.options.mtu);
}

TEST_CASE("RFC 3396: repeated options are concatenated before decoding")
{
    auto m = decode_ok(with_options({
        6, 2, 198, 18,          // first half of a DNS address...
        53, 1, 5,
        6, 6, 0, 53, 198, 18, 0, 54, // ...second half, then a second address
        121, 3, 24, 198, 18,    // a route split inside its destination
        121, 5, 0, 198, 18, 0, 1,
        255,
    }));
    CHECK(m.warnings.empty());
    CHECK(m.options.dns_servers == std::vector { Ipv4Address(198, 18, 0, 53), Ipv4Address(198, 18, 0, 54) });
    REQUIRE(m.options.classless_routes.size() == 1);
    CHECK(m.options.classless_routes[0].destination == Ipv4Prefix(Ipv4Address(198, 18, 0, 0), 24));
    CHECK(m.options.classless_routes[0].router == Ipv4Address(198, 18, 0, 1));

    // Two 4-byte lease times concatenate to 8 bytes: wrong length, dropped.
    auto twice = decode_ok(with_options({ 51, 4, 0, 0, 0, 60, 51, 4, 0, 0, 0, 60, 255 }));
    CHECK_FALSE(twice.options.lease_time);
    CHECK(has_warning(twice, "option 51: length 8"));
}

TEST_CASE("option overload (52): 'file' then 'sname' continue the options")
{
    Bytes file = {
        3, 4, 198, 18, 0, 1, // router
        6, 2, 198, 18,       // DNS, first half
        255,
    };
    Bytes sname = {
        6, 2, 0, 53,         // DNS, second half (RFC 3396 §5: options, file, sname)
        26, 2, 0x23, 0x29,   // MTU 9001
        255,
    };
    auto data = concat({ bootp_header(2, sname, file), Bytes { 53, 1, 5, 52, 1, 3, 255 } });
    auto m = decode_ok(data);
    CHECK(m.warnings.empty());
    CHECK(m.options.routers == std::vector { Ipv4Address(198, 18, 0, 1) });
    CHECK(m.options.dns_servers == std::vector { Ipv4Address(198, 18, 0, 53) });
    CHECK(m.options.mtu == 9001);
    CHECK(m.sname.empty());
    CHECK(m.file.empty());

    SUBCASE("overload 1: only 'file'; 'sname' stays a name") {
        Bytes name = { 'b', 'o', 'o', 't' };
        auto only_file = decode_ok(concat({ bootp_header(2, name, file), Bytes { 52, 1, 1, 255 } }));
        CHECK(only_file.sname == "boot");
        CHECK(only_file.options.routers.size() == 1);
        CHECK(only_file.options.dns_servers.empty()); // half an address: dropped
        CHECK(has_warning(only_file, "option 6: length 2"));
    }
    SUBCASE("overload 2: only 'sname'") {
        auto only_sname = decode_ok(concat({ bootp_header(2, sname, file), Bytes { 52, 1, 2, 255 } }));
        CHECK(only_sname.options.mtu == 9001);
        CHECK(only_sname.options.routers.empty());
        CHECK_FALSE(only_sname.file.empty()); // raw bytes up to the first NUL
    }
    SUBCASE("a bad overload value is ignored with a warning") {
        auto bad = decode_ok(concat({ bootp_header(2, sname, file), Bytes { 52, 1, 4, 255 } }));
        CHECK(has_warning(bad, "option 52"));
        CHECK(bad.options.routers.empty());
    }
    SUBCASE("an option running past the end of 'file' is an error") {
        Bytes broken = { 3, 200, 1, 2, 3 };
        CHECK(decode_message(concat({ bootp_header(2, {}, broken), Bytes { 52, 1, 1, 255 } })).is_error());
    }
    SUBCASE("option 52 inside an overloaded field does not recurse") {
        Bytes nested = { 52, 1, 3, 255 };
        auto m2 = decode_ok(concat({ bootp_header(2, {}, nested), Bytes { 52, 1, 1, 255 } }));
        CHECK(has_warning(m2, "option 52 inside 'file'"));
    }
}

namespace {

Message sample_message()
{
    Message m;
    m.op = OpCode::BootReply;
    m.xid = 0xdeadbeef;
    m.secs = 3;
    m.flags = broadcast_flag;
    m.yiaddr = Ipv4Address(198, 18, 0, 50);
    m.siaddr = Ipv4Address(198, 18, 0, 1);
    m.set_client_mac(*MacAddress::parse("02:00:00:00:00:01"));
    m.sname = "server";
    m.file = "boot.efi";
    auto& o = m.options;
    o.message_type = MessageType::Ack;
    o.subnet_mask = Ipv4Address(255, 255, 254, 0);
    o.routers = { Ipv4Address(198, 18, 0, 1) };
    o.dns_servers = { Ipv4Address(198, 18, 0, 1), Ipv4Address(198, 18, 0, 2) };
    o.hostname = "guest1";
    o.domain_name = "metaboot.test";
    o.mtu = 9001;
    o.broadcast = Ipv4Address(198, 18, 1, 255);
    o.requested_address = Ipv4Address(198, 18, 0, 50);
    o.lease_time = 3600s;
    o.server_id = Ipv4Address(198, 18, 0, 1);
    o.parameter_request_list = { 1, 3, 6 };
    o.max_message_size = 1500;
    o.renewal_time = 1800s;
    o.rebinding_time = 3150s;
    o.client_id = Bytes { 1, 2, 0, 0, 0, 0, 1 };
    o.search_domains = { "metaboot.test", "example.test" };
    o.classless_routes = { { Ipv4Prefix(Ipv4Address(198, 19, 0, 0), 16), Ipv4Address(198, 18, 0, 1) },
        { Ipv4Prefix(Ipv4Address(), 0), Ipv4Address(198, 18, 0, 1) } };
    o.rapid_commit = true; // option 80: zero length (RFC 4039)
    o.other[224] = Bytes { 1, 2, 3 };
    o.other[252] = Bytes {}; // a zero-length unknown option
    return m;
}

}

TEST_CASE("option 80 (Rapid Commit): empty, and any content is refused")
{
    auto m = sample_message();
    auto bytes = encode_message(m);
    // Find "80 0" in the options and give it a byte of content.
    Bytes longer;
    bool done = false;
    for (size_t i = 0; i < bytes.size(); ++i) {
        longer.push_back(bytes[i]);
        if (!done && i >= 240 && bytes[i] == 80 && i + 1 < bytes.size() && bytes[i + 1] == 0) {
            longer.push_back(1);
            longer.push_back(7);
            ++i;
            done = true;
        }
    }
    REQUIRE(done);
    auto decoded = decode_message(longer);
    CHECK((decoded.is_error() || !decoded->options.rapid_commit));
}

TEST_CASE("round trip: decode(encode(m)) == m")
{
    auto m = sample_message();
    auto decoded = decode_ok(encode_message(m));
    CHECK(decoded.warnings.empty());
    CHECK(decoded == m);

    SUBCASE("minimal message") {
        Message empty;
        CHECK(decode_ok(encode_message(empty)) == empty);
    }
    SUBCASE("values longer than 255 octets split and rejoin (RFC 3396)") {
        Message big;
        big.options.message_type = MessageType::Offer;
        for (uint32_t k = 0; k < 100; ++k)
            big.options.dns_servers.push_back(Ipv4Address(0xc6120000u + k));
        big.options.other[250] = Bytes(600, 0xab);
        auto encoded = encode_message(big);
        CHECK(decode_ok(encoded) == big);
    }
}

TEST_CASE("encoding is deterministic: 53 first, then ascending codes, End, 300 bytes minimum")
{
    Message m;
    m.options.message_type = MessageType::Discover;
    m.options.other[224] = Bytes { 7 };
    m.options.mtu = 1500;
    m.options.parameter_request_list = { 1, 3 };
    m.options.other[2] = Bytes { 0, 0, 0, 0 }; // time offset
    auto encoded = encode_message(m);
    REQUIRE(encoded.size() == 300); // RFC 1542 §2.1 minimum BOOTP size
    const Bytes expected_options = {
        0x63, 0x82, 0x53, 0x63, // cookie
        53, 1, 1,               // message type first
        2, 4, 0, 0, 0, 0,       // then ascending codes
        26, 2, 0x05, 0xdc,
        55, 2, 1, 3,
        224, 1, 7,
        255,
    };
    CHECK(Bytes(encoded.begin() + 236, encoded.begin() + 236 + expected_options.size()) == expected_options);
    for (size_t k = 236 + expected_options.size(); k < encoded.size(); ++k)
        CHECK(encoded[k] == 0);
    CHECK(encode_message(m) == encoded);

    // Typed and structural codes in `other` are never written twice.
    m.options.other[26] = Bytes { 0, 0 };
    m.options.other[52] = Bytes { 3 };
    m.options.other[255] = Bytes {};
    CHECK(encode_message(m) == encoded);
}
