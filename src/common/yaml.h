// A strict YAML subset reader, into the JSON reader's tree. For the YAML
// that seeds and metadata services write (NoCloud's meta-data and
// network-config, Hetzner's metadata): block mappings and sequences by
// indentation ("- key: value" included), plain, 'single' and "double"
// quoted scalars, one-line flow collections of scalars ([a, b], {k: v}),
// '|' and '>' block scalars, comments and one leading "---".
//
// Refused, with the line number, instead of guessed at: anchors, aliases,
// tags, merge keys ("<<"), complex keys ("? "), directives, a second
// document, tabs in indentation, duplicate keys, plain scalars or flow
// collections over more than one line, nested flow collections.
//
// Scalars are typed as PyYAML's SafeLoader (YAML 1.1), which cloud-init
// reads with, types them, for the types a consumer asks for: plain null,
// ~ and an empty value are Null; plain true/false/yes/no/on/off (and their
// Capitalised and UPPER forms) are Bool; a plain decimal integer of up to
// 15 digits is a Number. Everything else is a String, quoted scalars
// always, and unlike PyYAML also plain floats, octal and hex numbers, dates
// and base-60 numbers ("52:54:00:12:34:56" stays the MAC it was meant to
// be). Keys are always text.
#pragma once

#include "common/json.h"
#include "common/result.h"

#include <string_view>

namespace mb {

// Caps: a larger input, a deeper or larger tree or a longer scalar is
// Error::too_large.
constexpr size_t max_yaml_size = 128 * 1024;
constexpr size_t max_yaml_depth = 32;
constexpr size_t max_yaml_nodes = 8192;
constexpr size_t max_yaml_scalar = 64 * 1024;

// One document; an empty one (or only comments) is Null. Text that is not UTF-8, or anything outside
// the subset is Error::invalid naming the line.
Result<JsonValue> parse_yaml(std::string_view text);

}
