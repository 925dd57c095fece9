// Pure checks and parsers for the text values metadata services return. Every
// value passes through one of these before the model holds it; a value that
// fails is dropped by the caller with a warning.
#pragma once

#include "common/address.h"
#include "common/dns_name.h"
#include "common/json.h"
#include "common/text.h"

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mb::clouds {

// Letters, digits, '.', '_' and '-', 1..max bytes: instance ids, instance
// types, regions, zones. Nothing a shell, YAML or a file path would read
// specially.
bool is_safe_identifier(std::string_view text, size_t max = 128);

// One line of an OpenSSH authorized_keys file, without options: a known key
// type, base64, an optional printable comment. No controls, so one key can
// never become two lines.
bool is_openssh_public_key(std::string_view text);

// Each non-empty line of `text` that is an OpenSSH public key is appended to
// `keys`; any other line is dropped with a warning naming `where`.
void append_public_keys(std::string_view text, std::string_view where, std::vector<std::string>& keys, std::vector<std::string>& warnings);

// The string member `key` of a JSON object into `field`, when `valid`
// accepts it; one it refuses is dropped with a warning naming `where` (the
// document). Absent or not a string: `field` stays as it is.
void take_string_member(const JsonValue& object, const char* key, std::string& field, bool (*valid)(std::string_view), std::string_view where,
    std::vector<std::string>& warnings);

// cloud-init's normalize_pubkey_data() for a JSON value: a string of key
// lines, or an array of such strings; anything else adds nothing. Each key
// passes append_public_keys().
void append_json_public_keys(const JsonValue* value, std::string_view where, std::vector<std::string>& keys, std::vector<std::string>& warnings);

// A JSON array of address strings (DNS servers) into the two lists; a
// member that is not an address is dropped with a warning naming `where`.
void append_json_addresses(const JsonValue* list, std::string_view where, std::vector<Ipv4Address>& ipv4, std::vector<Ipv6Address>& ipv6,
    std::vector<std::string>& warnings);

// is_safe_identifier() with its default length, for take_string_member().
bool is_identifier(std::string_view text);

// The lines of an EC2 listing, trimmed, empties dropped.
std::vector<std::string_view> parse_listing(std::string_view body);

// A listing entry naming a child: letters, digits and "-_.:=", optionally a
// trailing '/', never "." or "..". Anything else is not fetched.
bool is_safe_listing_entry(std::string_view entry);

// "0=my-key" under public-keys: the index.
std::optional<unsigned> parse_public_key_index(std::string_view entry);

// Joins pieces into one string: one out-of-line call instead of a chain of
// operator+ temporaries at every warning site.
std::string concat(std::initializer_list<std::string_view> parts);

// A contiguous IPv6 netmask ("ffff:ffff:ffff:ffff::") to its length.
std::optional<uint8_t> ipv6_prefix_length_from_netmask(const Ipv6Address& mask);

}
