// Small text helpers shared by the parsers. No locale, no exceptions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mb {

// Plain decimal digits only (no sign, no spaces), at most `max`.
std::optional<uint64_t> parse_decimal(std::string_view text, uint64_t max = UINT64_MAX);

std::string_view trim(std::string_view text);
bool iequals(std::string_view a, std::string_view b);
std::string to_lower(std::string_view text);

// Splits on '\n', dropping a trailing '\r' on each line and empty lines.
std::vector<std::string_view> split_lines(std::string_view text);
std::vector<std::string_view> split(std::string_view text, char separator);

// Untrusted text quoted in a log line or an error message: at most `max`
// bytes, anything outside printable ASCII (and the quote and backslash, so a
// quoted excerpt cannot end its quotes early) as '?': always one safe line
// in the kernel log.
std::string printable(std::string_view text, size_t max = 64);

// RFC 4648 §4 base64, with padding.
std::string base64_encode(std::string_view bytes);
// Its inverse. ASCII whitespace is skipped (services wrap long values);
// any other byte outside the alphabet, or a length or padding that is not
// whole groups of four, is an error (none).
std::optional<std::string> base64_decode(std::string_view text);

}
