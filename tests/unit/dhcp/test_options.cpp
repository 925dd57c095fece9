// One annotated fixture per option type, good and bad. A bad option is
// dropped with a warning; the rest of the message still decodes.
#include "dhcp/message.h"
#include "dhcp/options.h"
#include "helpers.h"

#include <doctest/doctest.h>

using namespace mb;
using namespace mb::dhcp;
using namespace mb::dhcp::test;
using namespace std::chrono_literals;

TEST_CASE("good options decode into typed fields")
{
    auto message = decode_ok(with_options({
        53, 1, 5,                                   // message type: ACK
        1, 4, 255, 255, 255, 0,                     // subnet mask /24
        3, 8, 198, 18, 0, 1, 198, 18, 0, 2,         // routers: two
        6, 4, 198, 18, 0, 53,                       // DNS server
        12, 6, 'g', 'u', 'e', 's', 't', '1',        // hostname
        15, 13, 'm', 'e', 't', 'a', 'b', 'o', 'o', 't', '.', 't', 'e', 's', 't', // domain
        26, 2, 0x23, 0x29,                          // MTU 9001
        28, 4, 198, 18, 0, 255,                     // broadcast
        50, 4, 198, 18, 0, 50,                      // requested address
        51, 4, 0x00, 0x00, 0x0e, 0x10,              // lease 3600 s
        54, 4, 198, 18, 0, 1,                       // server id
        55, 3, 1, 3, 121,                           // parameter request list
        57, 2, 0x05, 0xdc,                          // max message size 1500
        58, 4, 0x00, 0x00, 0x07, 0x08,              // T1 1800 s
        59, 4, 0x00, 0x00, 0x0c, 0x4e,              // T2 3150 s
        61, 7, 1, 2, 0, 0, 0, 0, 1,                 // client id: type 1 + MAC
        119, 6, 4, 't', 'e', 's', 't', 0,           // search: "test"
        121, 5, 0, 198, 18, 0, 1,                   // 0.0.0.0/0 via 198.18.0.1
        224, 3, 'x', 'y', 'z',                      // unknown site option: kept raw
        255,                                        // end
    }));
    auto const& o = message.options;
    CHECK(message.warnings.empty());
    CHECK(o.message_type == MessageType::Ack);
    CHECK(o.subnet_mask == Ipv4Address(255, 255, 255, 0));
    CHECK(o.routers == std::vector { Ipv4Address(198, 18, 0, 1), Ipv4Address(198, 18, 0, 2) });
    CHECK(o.dns_servers == std::vector { Ipv4Address(198, 18, 0, 53) });
    CHECK(o.hostname == "guest1");
    CHECK(o.domain_name == "metaboot.test");
    CHECK(o.mtu == 9001);
    CHECK(o.broadcast == Ipv4Address(198, 18, 0, 255));
    CHECK(o.requested_address == Ipv4Address(198, 18, 0, 50));
    CHECK(o.lease_time == 3600s);
    CHECK(o.server_id == Ipv4Address(198, 18, 0, 1));
    CHECK(o.parameter_request_list == std::vector<uint8_t> { 1, 3, 121 });
    CHECK(o.max_message_size == 1500);
    CHECK(o.renewal_time == 1800s);
    CHECK(o.rebinding_time == 3150s);
    CHECK(o.client_id == Bytes { 1, 2, 0, 0, 0, 0, 1 });
    CHECK(o.search_domains == std::vector<std::string> { "test" });
    REQUIRE(o.classless_routes.size() == 1);
    CHECK(o.classless_routes[0].destination == Ipv4Prefix(Ipv4Address(), 0));
    CHECK(o.classless_routes[0].router == Ipv4Address(198, 18, 0, 1));
    CHECK(o.other == std::map<uint8_t, Bytes> { { 224, Bytes { 'x', 'y', 'z' } } });
}

namespace {

struct BadOption {
    const char* what;
    Bytes option;
    const char* warning; // a fragment of the expected warning
};

}

TEST_CASE("bad options are dropped with a warning, the message survives")
{
    const BadOption cases[] = {
        { "mask of 3 bytes", { 1, 3, 255, 255, 255 }, "option 1: length 3, want 4" },
        { "mask with a hole", { 1, 4, 255, 0, 255, 0 }, "not a contiguous mask" },
        { "routers not a multiple of 4", { 3, 5, 198, 18, 0, 1, 9 }, "option 3: length 5" },
        { "routers empty", { 3, 0 }, "option 3: length 0" },
        { "DNS of 2 bytes", { 6, 2, 198, 18 }, "option 6: length 2" },
        { "hostname with a space", { 12, 3, 'a', ' ', 'b' }, "option 12: not a valid DNS name" },
        { "hostname with a newline (injection)", { 12, 4, 'a', '\n', 'x', '=' }, "option 12" },
        { "hostname empty", { 12, 0 }, "option 12" },
        { "hostname label starting with '-'", { 12, 2, '-', 'a' }, "option 12" },
        { "domain with an empty label", { 15, 4, 'a', '.', '.', 'b' }, "option 15" },
        { "domain with an underscore", { 15, 3, 'a', '_', 'b' }, "option 15" },
        { "domain with a quote", { 15, 3, 'a', '"', 'b' }, "option 15" },
        { "MTU of 1 byte", { 26, 1, 0x05 }, "option 26: length 1, want 2" },
        { "MTU of 4 bytes", { 26, 4, 0, 0, 0x05, 0xdc }, "option 26: length 4, want 2" },
        { "MTU 67 below the minimum 68", { 26, 2, 0x00, 0x43 }, "67 is below the minimum 68" },
        { "broadcast of 5 bytes", { 28, 5, 1, 2, 3, 4, 5 }, "option 28: length 5" },
        { "requested address of 3 bytes", { 50, 3, 1, 2, 3 }, "option 50" },
        { "lease time of 2 bytes", { 51, 2, 0x0e, 0x10 }, "option 51: length 2, want 4" },
        { "message type of 2 bytes", { 53, 2, 5, 5 }, "option 53: length 2, want 1" },
        { "message type 0", { 53, 1, 0 }, "unknown message type 0" },
        { "message type 9", { 53, 1, 9 }, "unknown message type 9" },
        { "server id of 6 bytes", { 54, 6, 1, 2, 3, 4, 5, 6 }, "option 54" },
        { "parameter list empty", { 55, 0 }, "option 55" },
        { "max size 575 below 576", { 57, 2, 0x02, 0x3f }, "575 is below the minimum 576" },
        { "T1 of 3 bytes", { 58, 3, 0, 0, 1 }, "option 58" },
        { "T2 of 5 bytes", { 59, 5, 0, 0, 0, 0, 1 }, "option 59" },
        { "client id of 1 byte", { 61, 1, 1 }, "option 61: length 1, want at least 2" },
        { "route prefix 33", { 121, 9, 33, 198, 18, 0, 1, 198, 18, 0, 1 }, "prefix length 33 > 32" },
        { "route truncated router", { 121, 6, 24, 198, 18, 0, 198, 18 }, "truncated route" },
        { "route with host bits in /25", { 121, 9, 25, 198, 18, 1, 129, 198, 18, 0, 1 }, "198.18.1.129/25 has host bits set" },
        { "route host bits in the last octet", { 121, 8, 23, 198, 18, 1, 198, 18, 0, 1 }, "198.18.1.0/23 has host bits set" },
        { "route option shorter than one route", { 121, 4, 0, 198, 18, 0 }, "shorter than one route" },
        { "search: label past the end", { 119, 3, 5, 'a', 'b' }, "label runs past the end" },
        { "search: no terminating zero", { 119, 2, 1, 'a' }, "name runs past the end" },
        { "search: forward pointer", { 119, 4, 0xc0, 0x02, 1, 'a' }, "pointer does not point backwards" },
        { "search: self pointer", { 119, 2, 0xc0, 0x00 }, "pointer does not point backwards" },
        { "search: reserved label type 0x40", { 119, 3, 0x41, 'a', 0 }, "unsupported label type" },
        { "search: root name", { 119, 1, 0 }, "empty (root) name" },
        { "search: bad character", { 119, 4, 2, 'a', '/', 0 }, "not a host name label" },
        { "search: empty", { 119, 0 }, "option 119" },
    };
    for (auto const& bad : cases) {
        std::string what = bad.what;
        CAPTURE(what);
        // Beside a good option 53, unless option 53 is the bad one.
        bool bad_type = bad.option[0] == 53;
        Bytes good = bad_type ? Bytes { 26, 2, 0x05, 0xdc } : Bytes { 53, 1, 5 };
        auto message = decode_ok(with_options(concat({ good, bad.option, { 255 } })));
        CHECK_MESSAGE(has_warning(message, bad.warning), (message.warnings.empty() ? "(no warning)" : message.warnings.front()));
        // Nothing of the bad option survives: the options equal those of a
        // message that carried only the good one.
        Options expected;
        if (bad_type)
            expected.mtu = 1500;
        else
            expected.message_type = MessageType::Ack;
        CHECK(message.options == expected);
    }
}

TEST_CASE("text options: trailing NULs and one trailing dot are tolerated")
{
    auto message = decode_ok(with_options({
        12, 4, 'h', 'o', 's', 't',
        15, 7, 'e', 'x', '.', 'o', 'r', 'g', '.', // trailing dot
        255,
    }));
    CHECK(message.options.hostname == "host");
    CHECK(message.options.domain_name == "ex.org");
    auto nul = decode_ok(with_options({ 12, 5, 'h', 'o', 's', 't', 0, 255 }));
    CHECK(nul.options.hostname == "host");
}

TEST_CASE("DNS name validation")
{
    CHECK(is_valid_dns_name("a"));
    CHECK(is_valid_dns_name("metaboot.test"));
    CHECK(is_valid_dns_name("ip-198-18-0-50.ec2.internal"));
    CHECK(is_valid_dns_name(std::string(63, 'a') + ".b"));
    CHECK_FALSE(is_valid_dns_name(std::string(64, 'a')));
    std::string long_name;
    for (int k = 0; k < 64; ++k)
        long_name += "abc.";
    long_name.pop_back();
    CHECK(long_name.size() == 255);
    CHECK_FALSE(is_valid_dns_name(long_name));
    CHECK_FALSE(is_valid_dns_name(""));
    CHECK_FALSE(is_valid_dns_name("."));
    CHECK_FALSE(is_valid_dns_name("a."));
    CHECK_FALSE(is_valid_dns_name(".a"));
    CHECK_FALSE(is_valid_dns_name("a-"));
    CHECK_FALSE(is_valid_dns_name("a b"));
    CHECK_FALSE(is_valid_dns_name("a;b"));
    CHECK_FALSE(is_valid_dns_name(std::string("a\0b", 3)));
}

TEST_CASE("option 119: RFC 1035 compression, bounded and loop-safe")
{
    // RFC 3397 §3's own example shape: two names sharing a suffix.
    const Bytes compressed = {
        3, 'e', 'n', 'g', 5, 'a', 'p', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, // offset 0: eng.apple.com
        9, 'm', 'a', 'r', 'k', 'e', 't', 'i', 'n', 'g', 0xc0, 4,           // offset 15: marketing + -> apple.com
        0xc0, 15,                                                          // offset 27: -> marketing.apple.com
    };
    auto names = decode_domain_search(compressed);
    REQUIRE(names.ok());
    CHECK(*names == std::vector<std::string> { "eng.apple.com", "marketing.apple.com", "marketing.apple.com" });

    // A pointer may only go below everything the name has read so far, so no
    // chain can come back to where it was. Here the second name points back
    // into the first (allowed), whose own pointer goes forward (refused).
    const Bytes loop = {
        1, 'a', 0xc0, 4, // offset 0: a + -> 4
        1, 'b', 0xc0, 0, // offset 4: b + -> 0, which would lead back to 4
    };
    CHECK(decode_domain_search(loop).is_error());
    // Two names each pointing at the other's start: the second jump is refused.
    CHECK(decode_domain_search(Bytes { 1, 'a', 0, 1, 'b', 0xc0, 0x07, 0xc0, 0x03 }).is_error());
    // A pointer into the name itself.
    CHECK(decode_domain_search(Bytes { 1, 'a', 0xc0, 0x01 }).is_error());

    // Names over 253 octets are refused.
    Bytes huge;
    for (int k = 0; k < 4; ++k) {
        huge.push_back(63);
        huge.insert(huge.end(), 63, 'x');
    }
    huge.push_back(0);
    CHECK(decode_domain_search(huge).is_error());

    // Encoding is uncompressed and decodes back.
    std::vector<std::string> list = { "metaboot.test", "example.test" };
    auto encoded = encode_domain_search(list);
    CHECK(encoded == Bytes { 8, 'm', 'e', 't', 'a', 'b', 'o', 'o', 't', 4, 't', 'e', 's', 't', 0, 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 4, 't', 'e', 's', 't', 0 });
    CHECK(decode_domain_search(encoded).value() == list);
}

TEST_CASE("option 121: significant octets, prefix bounds, host bits")
{
    const Bytes routes = {
        0, 198, 18, 0, 1,                // 0.0.0.0/0 via 198.18.0.1: no destination octets
        8, 10, 198, 18, 0, 2,            // 10.0.0.0/8: one octet
        16, 198, 19, 0, 0, 0, 0,         // 198.19.0.0/16 on-link (router 0.0.0.0): two octets
        25, 198, 18, 1, 128, 198, 18, 0, 3, // 198.18.1.128/25: four octets
        32, 169, 254, 169, 254, 198, 18, 0, 1, // host route to the metadata service
    };
    auto decoded = decode_classless_routes(routes);
    REQUIRE(decoded.ok());
    REQUIRE(decoded->size() == 5);
    CHECK((*decoded)[0] == ClasslessRoute { Ipv4Prefix(Ipv4Address(), 0), Ipv4Address(198, 18, 0, 1) });
    CHECK((*decoded)[1] == ClasslessRoute { Ipv4Prefix(Ipv4Address(10, 0, 0, 0), 8), Ipv4Address(198, 18, 0, 2) });
    CHECK((*decoded)[2] == ClasslessRoute { Ipv4Prefix(Ipv4Address(198, 19, 0, 0), 16), Ipv4Address() });
    CHECK((*decoded)[3] == ClasslessRoute { Ipv4Prefix(Ipv4Address(198, 18, 1, 128), 25), Ipv4Address(198, 18, 0, 3) });
    CHECK((*decoded)[4] == ClasslessRoute { Ipv4Prefix(Ipv4Address(169, 254, 169, 254), 32), Ipv4Address(198, 18, 0, 1) });
    CHECK(encode_classless_routes(*decoded) == routes);

    CHECK(decode_classless_routes(Bytes { 33, 1, 2, 3, 4, 5, 6, 7, 8 }).is_error());
    CHECK(decode_classless_routes(Bytes { 24, 198, 18, 0, 198, 18, 0 }).is_error()); // router cut short
    CHECK(decode_classless_routes(Bytes { 28, 198, 18, 0, 7, 198, 18, 0, 1 }).is_error()); // host bits in /28
    CHECK(decode_classless_routes(Bytes { 9, 10, 128, 198, 18, 0, 1 }).ok());               // 10.128/9 ok...
    CHECK(decode_classless_routes(Bytes { 9, 10, 128, 198, 18, 0, 1, 0 }).is_error());   // ...then a truncated route
    CHECK(decode_classless_routes(Bytes { 9, 10, 192, 198, 18, 0, 1 }).is_error());      // bit 10 set below /9
    CHECK(decode_classless_routes(Bytes {}).is_error());
}
