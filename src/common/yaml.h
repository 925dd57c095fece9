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
// Scalars stay text, with one exception: a plain null, Null, NULL, ~ or an
// empty value is Null (PyYAML's YAML 1.1 null, which cloud-init's "is the
// key there" tests depend on). Booleans and numbers are the consumer's to
// read from the text, as cloud-init reads them (util.is_true on "true",
// "yes", "on", "1"; int() on "1500"): PyYAML's own typing of plain
// scalars would also turn a MAC address of digits into a base-60 number
// and "0755" into an octal one. Keys are text.
#pragma once

#include "common/json.h"
#include "common/result.h"

#include <string_view>

namespace mb {

// Caps: a larger input, more lines, a deeper or larger tree or a longer
// scalar is Error::too_large.
constexpr size_t max_yaml_size = 128 * 1024;
constexpr size_t max_yaml_lines = 8192;
constexpr size_t max_yaml_depth = 32;
constexpr size_t max_yaml_nodes = 8192;
constexpr size_t max_yaml_scalar = 64 * 1024;

// One document; an empty one (or only comments) is Null. Text that is not
// UTF-8, or anything outside the subset, is Error::invalid naming the line.
Result<JsonValue> parse_yaml(std::string_view text);

}
