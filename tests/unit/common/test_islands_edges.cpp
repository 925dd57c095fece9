// The JSON and YAML islands' rarer paths, each with its exact outcome (issue
// 19 item 4).
#include "common/address.h"
#include "common/json.h"
#include "common/yaml.h"
#include "json_text.h"

#include <doctest/doctest.h>

#include <string>

using namespace mb;
using mb::testing::json_text;

TEST_CASE("yaml edges: three-byte escapes, blanks after a quoted key, a comment before a colon")
{
    struct Accepted {
        const char* name;
        const char* yaml;
        const char* json;
    };
    const Accepted table[] = {
        // \u20ac is three bytes of UTF-8, as are \L (U+2028) and \P (U+2029);
        // \N (U+0085) and \_ (U+00A0) two.
        { "three-byte escapes", "e: \"\\u20ac\\L\\P\\N\\_\"\n", "{\"e\":\"\xe2\x82\xac\xe2\x80\xa8\xe2\x80\xa9\xc2\x85\xc2\xa0\"}" },
        { "blanks between a quoted key and its colon", "\"k\"  : v\n", "{\"k\":\"v\"}" },
        // " #" starts a comment: the colon after it is not a key's.
        { "a comment before the colon", "a #b: c\n", "\"a\"" },
    };
    for (auto const& row : table) {
        INFO(std::string(row.name));
        auto parsed = parse_yaml(row.yaml);
        REQUIRE_MESSAGE(parsed.ok(), parsed.error().message());
        CHECK(json_text(*parsed) == row.json);
    }
}

TEST_CASE("yaml edges: the exact error for a cut escape, a bad hex digit, an unclosed quoted key, a key that starts with an indicator")
{
    struct Refused {
        const char* name;
        const char* yaml;
        const char* message;
    };
    const Refused table[] = {
        { "a backslash at the end of the line", "a: \"abc\\\n", "YAML line 1: a quoted scalar must end on its line, with valid escapes" },
        { "a bad hex digit", "a: \"\\x4g\"\n", "YAML line 1: a quoted scalar must end on its line, with valid escapes" },
        { "an unclosed quoted key", "\"k : v\n", "YAML line 1: a quoted scalar must end on its line, with valid escapes" },
        { "a complex key", "?a: 1\n", "YAML line 1: a key must be a plain or quoted scalar (no anchors, aliases, tags or complex keys)" },
        { "an anchor on a key", "&a b: 1\n", "YAML line 1: a key must be a plain or quoted scalar (no anchors, aliases, tags or complex keys)" },
        { "an alias as a key", "*a: 1\n", "YAML line 1: a key must be a plain or quoted scalar (no anchors, aliases, tags or complex keys)" },
    };
    for (auto const& row : table) {
        INFO(std::string(row.name));
        auto parsed = parse_yaml(row.yaml);
        REQUIRE(parsed.is_error());
        CHECK(parsed.error().kind() == ErrorKind::Invalid);
        CHECK(parsed.error().message() == std::string(row.message));
    }
}

TEST_CASE("json edges: picojson's message keeps the service's text to printable ASCII")
{
    struct Refused {
        const char* name;
        const char* json;
        const char* message;
    };
    const Refused table[] = {
        { "non-ASCII near the error", "[1, \xc3\xa9]", "malformed JSON: syntax error at line 1 near: ??]" },
        // picojson itself leaves out bytes below 0x20; DEL is replaced here.
        { "DEL near the error", "[1, x\x7f]", "malformed JSON: syntax error at line 1 near: x?]" },
        { "the line of the error", "{\"a\"\n:\n x}", "malformed JSON: syntax error at line 3 near: x}" },
    };
    for (auto const& row : table) {
        INFO(std::string(row.name));
        auto parsed = parse_json(row.json);
        REQUIRE(parsed.is_error());
        CHECK(parsed.error().kind() == ErrorKind::Invalid);
        CHECK(parsed.error().message() == std::string(row.message));
    }
}

TEST_CASE("json edges: typed accessors answer nothing for another type")
{
    auto parsed = parse_json(R"({"n": 1.5, "s": "x", "b": true, "z": null})");
    REQUIRE(parsed.ok());
    CHECK(parsed->find("n")->as_number() == 1.5);
    CHECK_FALSE(parsed->find("s")->as_number().has_value());
    CHECK_FALSE(parsed->find("b")->as_number().has_value());
    CHECK_FALSE(parsed->find("z")->as_number().has_value());
    CHECK_FALSE(parsed->as_number().has_value());
}

TEST_CASE("address edges: an IPv6 prefix needs its '/'; the unspecified address is all zero bytes")
{
    CHECK_FALSE(Ipv6Prefix::parse("2001:db8::").has_value());
    CHECK(Ipv6Prefix::parse("2001:db8::/32").has_value());
    CHECK(Ipv6Address::parse("::")->is_unspecified());
    CHECK_FALSE(Ipv6Address::parse("::1")->is_unspecified());
    CHECK_FALSE(Ipv6Address::parse("8000::")->is_unspecified());
}
