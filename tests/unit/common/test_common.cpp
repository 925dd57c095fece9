#include "common/address.h"
#include "common/bytes.h"
#include "common/result.h"
#include "common/dns_name.h"
#include "common/json_writer.h"
#include "common/sort.h"
#include "common/text.h"

#include <doctest/doctest.h>

#include <algorithm>

using namespace mb;

namespace {

Result<int> half(int value)
{
    if (value % 2)
        return Error::invalid("odd");
    return value / 2;
}

Result<int> quarter(int value)
{
    int h = TRY(half(value));
    return TRY(half(h));
}

}

TEST_CASE("Result and TRY propagate the first error")
{
    CHECK(quarter(8).value() == 2);
    auto odd = quarter(6);
    REQUIRE(odd.is_error());
    CHECK(odd.error().message() == "odd");
    CHECK(odd.error().kind() == ErrorKind::Invalid);
    CHECK(Error::timeout("x").context("token").message() == "token: x");
}

TEST_CASE("ByteReader reads big-endian and keeps a sticky overrun")
{
    const uint8_t data[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07 };
    ByteReader reader { ByteSpan(data) };
    CHECK(reader.read_u8() == 0x01);
    CHECK(reader.read_u16() == 0x0203);
    CHECK(reader.read_u32() == 0x04050607u);
    CHECK(reader.ok());
    CHECK(reader.at_end());
    CHECK(reader.read_u8() == 0);
    CHECK_FALSE(reader.ok());
    CHECK(reader.read_bytes(1).empty());
    CHECK_FALSE(reader.ok());

    ByteReader short_read { ByteSpan(data, 3) };
    CHECK(short_read.read_u32() == 0);
    CHECK_FALSE(short_read.ok());
    CHECK(short_read.remaining() == 0);
}

TEST_CASE("ByteWriter appends, patches and honours a limit")
{
    ByteWriter writer;
    writer.put_u8(0xaa);
    writer.put_u16(0x1234);
    writer.put_u32(0xdeadbeef);
    writer.patch_u16(1, 0x5678);
    CHECK(writer.ok());
    CHECK(writer.bytes() == Bytes { 0xaa, 0x56, 0x78, 0xde, 0xad, 0xbe, 0xef });

    ByteWriter bounded(3);
    bounded.put_u16(1);
    CHECK(bounded.ok());
    bounded.put_u16(2);
    CHECK_FALSE(bounded.ok());
    CHECK(bounded.size() == 2);
    bounded.patch_u16(5, 1);
    CHECK_FALSE(bounded.ok());
}

TEST_CASE("Ipv4Address parses strict dotted quads only")
{
    struct Case {
        const char* text;
        bool ok;
        uint32_t value;
    };
    const Case cases[] = {
        { "198.18.0.1", true, 0xc6120001 },
        { "0.0.0.0", true, 0 },
        { "255.255.255.255", true, 0xffffffff },
        { "256.1.1.1", false, 0 },
        { "1.2.3", false, 0 },
        { "1.2.3.4.5", false, 0 },
        { "01.2.3.4", false, 0 }, // octal in inet_aton: refuse
        { "1.2.3.4 ", false, 0 },
        { "1.2.3.4\n", false, 0 },
        { "", false, 0 },
        { "a.b.c.d", false, 0 },
        { "1..2.3", false, 0 },
        { "-1.2.3.4", false, 0 },
    };
    for (auto const& c : cases) {
        CAPTURE(c.text);
        auto parsed = Ipv4Address::parse(c.text);
        CHECK(parsed.has_value() == c.ok);
        if (parsed && c.ok) {
            CHECK(parsed->value() == c.value);
            CHECK(parsed->to_string() == c.text);
        }
    }
}

TEST_CASE("Ipv6Address parses RFC 4291 forms and prints RFC 5952")
{
    struct Case {
        const char* text;
        const char* canonical; // nullptr: must be refused
    };
    const Case cases[] = {
        { "2001:db8::1", "2001:db8::1" },
        { "2001:DB8:0:0:0:0:0:1", "2001:db8::1" },
        { "::", "::" },
        { "::1", "::1" },
        { "fe80::", "fe80::" },
        { "2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1" },
        { "2001:0db8:0000:0000:0000:ff00:0042:8329", "2001:db8::ff00:42:8329" },
        { "2001:db8:1:2:3:4:5:0", "2001:db8:1:2:3:4:5:0" },
        { "::ffff:198.18.0.1", "::ffff:c612:1" },
        { "1:2:3:4:5:6:7:8:9", nullptr },
        { "1::2::3", nullptr },
        { ":1::", nullptr },
        { "1:", nullptr },
        { "12345::", nullptr },
        { "g::1", nullptr },
        { "2001:db8::1\n", nullptr },
        { "2001:db8::1/64", nullptr },
        { "1:2:3:4:5:6:7::8", nullptr },
    };
    for (auto const& c : cases) {
        CAPTURE(c.text);
        auto parsed = Ipv6Address::parse(c.text);
        CHECK(parsed.has_value() == (c.canonical != nullptr));
        if (parsed && c.canonical)
            CHECK(parsed->to_string() == c.canonical);
    }
}

TEST_CASE("MacAddress parses six hex pairs and prints lowercase")
{
    auto mac = MacAddress::parse("0A:1b:2C:3d:4E:5f");
    REQUIRE(mac);
    CHECK(mac->to_string() == "0a:1b:2c:3d:4e:5f");
    CHECK_FALSE(MacAddress::parse("0a:1b:2c:3d:4e"));
    CHECK_FALSE(MacAddress::parse("0a-1b-2c-3d-4e-5f"));
    CHECK_FALSE(MacAddress::parse("0a:1b:2c:3d:4e:5g"));
    CHECK_FALSE(MacAddress::parse("0a:1b:2c:3d:4e:5f/"));
    CHECK(MacAddress().is_zero());
}

TEST_CASE("prefixes: parse, mask, contain")
{
    auto p = Ipv4Prefix::parse("198.18.5.77/20");
    REQUIRE(p);
    CHECK(p->network().to_string() == "198.18.0.0");
    CHECK(p->broadcast().to_string() == "198.18.15.255");
    CHECK(p->netmask().to_string() == "255.255.240.0");
    CHECK(p->contains(*Ipv4Address::parse("198.18.15.1")));
    CHECK_FALSE(p->contains(*Ipv4Address::parse("198.18.16.1")));
    CHECK(p->to_string() == "198.18.5.77/20");
    CHECK_FALSE(Ipv4Prefix::parse("198.18.0.0/33"));
    CHECK_FALSE(Ipv4Prefix::parse("198.18.0.0"));
    CHECK_FALSE(Ipv4Prefix::parse("198.18.0.0/"));
    CHECK_FALSE(Ipv4Prefix::parse("198.18.0.0/2x"));
    CHECK(Ipv4Prefix::parse("0.0.0.0/0")->contains(Ipv4Address(1, 2, 3, 4)));

    CHECK(Ipv4Prefix::length_from_netmask(Ipv4Address(255, 255, 255, 0)) == 24);
    CHECK(Ipv4Prefix::length_from_netmask(Ipv4Address(0, 0, 0, 0)) == 0);
    CHECK(Ipv4Prefix::length_from_netmask(Ipv4Address(255, 255, 255, 255)) == 32);
    CHECK_FALSE(Ipv4Prefix::length_from_netmask(Ipv4Address(255, 0, 255, 0)));

    auto v6 = Ipv6Prefix::parse("2001:db8:1:2::99/64");
    REQUIRE(v6);
    CHECK(v6->network().to_string() == "2001:db8:1:2::");
    CHECK(v6->contains(*Ipv6Address::parse("2001:db8:1:2:ffff::1")));
    CHECK_FALSE(v6->contains(*Ipv6Address::parse("2001:db8:1:3::1")));
    CHECK_FALSE(Ipv6Prefix::parse("2001:db8::/129"));
}

TEST_CASE("interface names are validated")
{
    CHECK(is_valid_interface_name("eth0"));
    CHECK(is_valid_interface_name("enp0s3.100"));
    CHECK(is_valid_interface_name("a23456789012345"));
    CHECK_FALSE(is_valid_interface_name("a234567890123456"));
    CHECK_FALSE(is_valid_interface_name(""));
    CHECK_FALSE(is_valid_interface_name(".."));
    CHECK_FALSE(is_valid_interface_name("eth0\n"));
    CHECK_FALSE(is_valid_interface_name("eth 0"));
    CHECK_FALSE(is_valid_interface_name("eth0:1"));
    CHECK_FALSE(is_valid_interface_name("a/b"));
    CHECK_FALSE(is_valid_interface_name("x'y"));
}

TEST_CASE("text helpers")
{
    CHECK(parse_decimal("0") == 0u);
    CHECK(parse_decimal("18446744073709551615") == UINT64_MAX);
    CHECK_FALSE(parse_decimal("18446744073709551616"));
    CHECK_FALSE(parse_decimal("12", 11));
    CHECK_FALSE(parse_decimal("+1"));
    CHECK_FALSE(parse_decimal(""));
    CHECK(trim("  a b \r\n") == "a b");
    CHECK(iequals("Content-Length", "content-length"));
    auto lines = split_lines("a\r\nb\n\nc");
    REQUIRE(lines.size() == 3);
    CHECK(lines[2] == "c");
    CHECK(split("a,,b", ',').size() == 3);
    CHECK(json_string("a\"b\\\n\x01") == "\"a\\\"b\\\\\\n\\u0001\"");
    CHECK(printable("a\nb\x01\xff\"\\") == "a?b????");
    CHECK(printable(std::string(100, 'x')).size() == 64);
    CHECK(printable("abcdef", 3) == "abc");
}

TEST_CASE("json: invalid UTF-8 becomes U+FFFD; compact and pretty layouts")
{
    CHECK(json_string("caf\xc3\xa9") == "\"caf\xc3\xa9\"");
    CHECK(json_string("\xc0\xaf") == "\"\xef\xbf\xbd\xef\xbf\xbd\"");    // overlong
    CHECK(json_string("\xed\xa0\x80") == "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");  // surrogate
    JsonWriter compact;
    compact.open_object();
    compact.field("a", uint64_t(1));
    compact.key("b");
    compact.open_array();
    compact.string("x");
    compact.null();
    compact.close_array();
    compact.key("c");
    compact.open_object();
    compact.close_object();
    compact.field("d", true);
    compact.close_object();
    CHECK(compact.release() == "{\"a\":1,\"b\":[\"x\",null],\"c\":{},\"d\":true}");
    JsonWriter pretty(JsonWriter::Layout::Pretty);
    pretty.open_object();
    pretty.field("a", "b");
    pretty.key("list");
    pretty.open_array();
    pretty.close_array();
    pretty.close_object();
    CHECK(pretty.release() == "{\n  \"a\": \"b\",\n  \"list\": []\n}\n");
}

TEST_CASE("one DNS-name check: labels, lengths, the trailing dot only where allowed")
{
    CHECK(is_valid_dns_name("ip-198-18-0-50.ec2.internal"));
    CHECK(is_valid_dns_name("example.com.", TrailingDot::Allowed));
    CHECK_FALSE(is_valid_dns_name("example.com."));
    CHECK_FALSE(is_valid_dns_name(".", TrailingDot::Allowed));
    CHECK_FALSE(is_valid_dns_name("a..b"));
    CHECK_FALSE(is_valid_dns_name("-a.b"));
    CHECK_FALSE(is_valid_dns_name("under_score"));
    CHECK(is_valid_dns_name(std::string(63, 'a')));
    CHECK_FALSE(is_valid_dns_name(std::string(64, 'a')));
    std::string name;
    while (name.size() < 250)
        name += "abcdefghi.";
    name += "abc";
    CHECK(name.size() == 253);
    CHECK(is_valid_dns_name(name));
    CHECK_FALSE(is_valid_dns_name(name + "d"));
    CHECK(is_valid_hostname("host-1"));
    CHECK_FALSE(is_valid_hostname("host-1."));
}

TEST_CASE("the small sort: ordered, stable, and the strings' order is std::string's")
{
    std::vector<std::pair<int, char>> items { { 3, 'a' }, { 1, 'b' }, { 3, 'c' }, { 2, 'd' }, { 1, 'e' }, { 0, 'f' } };
    sort_small(items, [](auto const& a, auto const& b) { return a.first < b.first; });
    std::vector<std::pair<int, char>> expected { { 0, 'f' }, { 1, 'b' }, { 1, 'e' }, { 2, 'd' }, { 3, 'a' }, { 3, 'c' } };
    CHECK(items == expected);

    std::vector<int> none;
    sort_small(none, [](int a, int b) { return a < b; });
    CHECK(none.empty());

    std::vector<std::string> names { "eth10", "eth1", "", "Eth2", "eth1", "\xff" };
    sort_strings(names);
    std::vector<std::string> sorted = names;
    std::sort(sorted.begin(), sorted.end());
    CHECK(names == sorted);
    CHECK(names.front().empty());
}
