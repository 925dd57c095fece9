// The YAML subset reader: what it reads (each case checked against PyYAML's
// safe_load while it was written, except where the table says it differs),
// what it refuses, and its caps.
#include "common/yaml.h"
#include "json_text.h"

#include <doctest/doctest.h>

#include <string>

using namespace mb;
using mb::testing::json_text;

namespace {

struct Accepted {
    const char* yaml;
    const char* json;
};

struct Refused {
    const char* yaml;
    const char* message; // a part of the error message
};

}

TEST_CASE("yaml: the subset reads as PyYAML reads it")
{
    static const Accepted table[] = {
        { "", "null" },
        { "# only a comment\n", "null" },
        { "---\n", "null" },
        { "plain\n", "\"plain\"" },
        { "a: 1\nb: [x, 'y', \"z\\n\"]\n", "{\"a\":\"1\",\"b\":[\"x\",\"y\",\"z\\n\"]}" },
        // Comments, a document start, a document end.
        { "---\n# c\ninstance-id: iid-1 # comment\nlocal-hostname: host\n...\n", "{\"instance-id\":\"iid-1\",\"local-hostname\":\"host\"}" },
        { "a: b#c\n", "{\"a\":\"b#c\"}" },
        { "url: http://198.18.0.1/seed/\n", "{\"url\":\"http://198.18.0.1/seed/\"}" },
        // Sequences: plain, compact maps, nested, empty items, at the key's indentation.
        { "- a\n- b: 1\n  c: 2\n- - x\n  - y\n-\n  k: v\n- \n", "[\"a\",{\"b\":\"1\",\"c\":\"2\"},[\"x\",\"y\"],{\"k\":\"v\"},null]" },
        { "key:\n- 1\n- 2\nother: ~\nempty:\nq: ''\n", "{\"empty\":null,\"key\":[\"1\",\"2\"],\"other\":null,\"q\":\"\"}" },
        { "a:\n  b:\n    c:\n      - d\n", "{\"a\":{\"b\":{\"c\":[\"d\"]}}}" },
        { "'quoted key': 1\n\"dq\": 2\n", "{\"dq\":\"2\",\"quoted key\":\"1\"}" },
        // Escapes.
        { "e: \"\\x41\\u00e9\\U0001F600\\t\\\\\\/\"\n", "{\"e\":\"A\xc3\xa9\xf0\x9f\x98\x80\\t\\\\/\"}" },
        { "s: 'it''s \\n'\n", "{\"s\":\"it's \\\\n\"}" },
        // Only null is typed; every other scalar stays text, where PyYAML
        // would make numbers and booleans (and base 60 of a MAC address).
        { "n: [1, -2, +3, yes, No, ON, off, null, ~, 'null', \"1\", 010, 0x10, 1.5]\nmac: 52:54:00:12:34:56\n",
            "{\"mac\":\"52:54:00:12:34:56\",\"n\":[\"1\",\"-2\",\"+3\",\"yes\",\"No\",\"ON\",\"off\",null,null,\"null\",\"1\",\"010\",\"0x10\",\"1.5\"]}" },
        // Flow collections of scalars on one line.
        { "m: {a: 1, b: two, 'c d': \"e\"}\nl: [a, b, ]\ne: []\nf: {}\n", "{\"e\":[],\"f\":{},\"l\":[\"a\",\"b\"],\"m\":{\"a\":\"1\",\"b\":\"two\",\"c d\":\"e\"}}" },
        // Block scalars: literal, folded, chomping, an indentation indicator.
        { "ud: |\n  #cloud-config\n  a: b\n\n  c\n", "{\"ud\":\"#cloud-config\\na: b\\n\\nc\\n\"}" },
        { "ud: |-\n  one\n  two\n\n\n", "{\"ud\":\"one\\ntwo\"}" },
        { "ud: |+\n  one\n  two\n\n\nnext: 1\n", "{\"next\":\"1\",\"ud\":\"one\\ntwo\\n\\n\\n\"}" },
        { "f: >\n  one\n  two\n\n  three\n    more\n  four\n", "{\"f\":\"one two\\nthree\\n  more\\nfour\\n\"}" },
        { "f: >-\n  a\n  b\n", "{\"f\":\"a b\"}" },
        { "f: |2\n    two extra\n  base\n", "{\"f\":\"  two extra\\nbase\\n\"}" },
        { "- |\n  lit\n- >\n  fold\n  ed\n", "[\"lit\\n\",\"fold ed\\n\"]" },
        // CRLF line ends, a byte order mark, tabs after the indentation.
        { "\xef\xbb\xbf" "a: 1\r\nb:\tc\r\n", "{\"a\":\"1\",\"b\":\"c\"}" },
    };
    for (const auto& row : table) {
        CAPTURE(row.yaml);
        auto parsed = parse_yaml(row.yaml);
        REQUIRE_MESSAGE(parsed.ok(), parsed.error().message());
        CHECK(json_text(*parsed) == row.json);
    }
}

TEST_CASE("yaml: everything outside the subset is refused with its line")
{
    static const Refused table[] = {
        { "a: &x 1\nb: *x\n", "line 1: anchors" },
        { "a: !!str 1\n", "line 1: anchors, aliases and tags" },
        { "b: *x\n", "line 1: anchors" },
        { "<<: {a: 1}\n", "merge keys" },
        { "a: 1\na: 2\n", "line 2: duplicate key" },
        { "m: {a: 1, a: 2}\n", "duplicate key" },
        { "a:\n\tb: 1\n", "line 2: a tab in the indentation" },
        { "-\tx\n", "a tab" },
        { "--- 1\n", "content on the '---' line" },
        { "a: 1\n---\nb: 2\n", "line 2: a second document" },
        { "a: 1\n...\nb: 2\n", "unexpected content" },
        { "? a\n: b\n", "line 1" },
        { "%YAML 1.2\n---\na: 1\n", "directives" },
        { "a: [1, [2]]\n", "scalars only" },
        { "a: [1,\n  2]\n", "on one line" },
        { "a: [1, 2] x\n", "text after a flow collection" },
        { "a: [x: y]\n", "must end on its line" },
        { "a: 'x\n  y'\n", "must end on its line" },
        { "a: b: c\n", "a mapping cannot start here" },
        { "a: 1\n  b: 2\n", "line 2: unexpected indentation" },
        { "a:\n  b\n  c\n", "line 3: unexpected indentation" },
        { "- a\n  - b\n", "unexpected indentation" },
        { "a: \"\\q\"\n", "valid escapes" },
        { "a: \"\\ud800\"\n", "valid escapes" },
        { "a: \"\\U00110000\"\n", "valid escapes" },
        { "a: \x01\n", "a control character" },
        { "a: \x7f\n", "a control character" },
        { "a: \xc3\n", "not UTF-8" },
        { "a: 'x' y\n", "text after a quoted scalar" },
        { "a: - b\n", "cannot start with an indicator" },
        { "a: @b\n", "cannot start with an indicator" },
        { "  a: 1\nb: 2\n", "line 2: unexpected content" },
        { "a: |x\n  b\n", "block scalar header" },
        { "[a]: 1\n", "line 1" },
    };
    for (const auto& row : table) {
        CAPTURE(row.yaml);
        auto parsed = parse_yaml(row.yaml);
        REQUIRE(parsed.is_error());
        CHECK(parsed.error().kind() == ErrorKind::Invalid);
        CHECK_MESSAGE(parsed.error().message().find(row.message) != std::string::npos, parsed.error().message());
    }
}

TEST_CASE("yaml: caps on size, depth, nodes and scalar length; hostile input never crashes")
{
    auto too_large = [](const std::string& text) {
        auto parsed = parse_yaml(text);
        return parsed.is_error() && parsed.error().kind() == ErrorKind::TooLarge;
    };
    CHECK(too_large(std::string(max_yaml_size + 1, '#')));
    CHECK(too_large(std::string(max_yaml_lines, '\n')));
    CHECK(parse_yaml(std::string(max_yaml_lines - 1, '\n')).ok());
    std::string deep;
    for (size_t i = 0; i <= max_yaml_depth; ++i)
        deep += std::string(i, ' ') + "k:\n";
    CHECK(too_large(deep + std::string(max_yaml_depth + 1, ' ') + "v\n"));
    std::string deep_sequence;
    for (size_t i = 0; i <= max_yaml_depth; ++i)
        deep_sequence += "- ";
    CHECK(too_large(deep_sequence + "x\n"));
    std::string many = "[";
    for (size_t i = 0; i < max_yaml_nodes; ++i)
        many += "1,";
    CHECK(too_large(many + "]\n"));
    std::string long_scalar = "a: |\n";
    for (size_t i = 0; i < 1100; ++i)
        long_scalar += "  " + std::string(60, 'x') + "\n";
    CHECK(too_large(long_scalar));
    // Within the caps the same shapes read.
    CHECK(parse_yaml(deep_sequence.substr(4) + "x\n").ok());
    // Truncations of a real document: every prefix reads or is refused,
    // never more.
    std::string document = "network:\n  version: 2\n  ethernets:\n    id0:\n      match: {macaddress: \"52:54:00:aa:bb:cc\"}\n      addresses: ['198.18.0.2/24']\n      routes:\n      - to: 0.0.0.0/0\n        via: 198.18.0.1\nud: |\n  x\n";
    for (size_t i = 0; i <= document.size(); ++i)
        (void)parse_yaml(document.substr(0, i));
}
