// DHCPv4 option codes and the decoders for the option types that need more
// than a length check: DNS names (12, 15), the RFC 3397 domain search list
// (119) and RFC 3442 classless static routes (121). Pure: no I/O, no logging.
#pragma once

#include "common/address.h"
#include "common/bytes.h"
#include "common/dns_name.h"
#include "common/result.h"

#include <compare>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mb::dhcp {

// RFC 2132 (and RFC 3397, RFC 3442, RFC 4039) codes for the options metaboot reads or writes.
enum class OptionCode : uint8_t {
    Pad = 0,
    SubnetMask = 1,
    Router = 3,
    DomainNameServer = 6,
    HostName = 12,
    DomainName = 15,
    InterfaceMtu = 26,
    BroadcastAddress = 28,
    RequestedAddress = 50,
    LeaseTime = 51,
    Overload = 52,
    MessageType = 53,
    ServerIdentifier = 54,
    ParameterRequestList = 55,
    MaxMessageSize = 57,
    RenewalTime = 58,
    RebindingTime = 59,
    ClientIdentifier = 61,
    RapidCommit = 80,
    DomainSearch = 119,
    ClasslessStaticRoute = 121,
    End = 255,
};

constexpr uint8_t code(OptionCode option) { return static_cast<uint8_t>(option); }

// One RFC 3442 route. The destination is always a network address: host bits
// below the prefix length are zero (the decoder rejects anything else).
struct ClasslessRoute {
    Ipv4Prefix destination;
    Ipv4Address router; // 0.0.0.0 means the destination is on-link

    auto operator<=>(const ClasslessRoute&) const = default;
};

// Options 12 and 15: text that must be a DNS name. Trailing NULs (RFC 2132
// §2: the receiver "MUST be prepared to delete trailing nulls") and one
// trailing dot are removed before validation.
Result<std::string> decode_dns_name_text(ByteSpan data);

// Option 119 (RFC 3397): a sequence of RFC 1035 §3.1 wire names, possibly
// compressed with RFC 1035 §4.1.4 pointers into earlier bytes of the same
// (concatenated) option. Every name must pass
// is_valid_dns_name() (common/dns_name.h).
Result<std::vector<std::string>> decode_domain_search(ByteSpan data);
// Uncompressed encoding; names are assumed valid.
Bytes encode_domain_search(std::span<const std::string> names);

// Option 121 (RFC 3442).
Result<std::vector<ClasslessRoute>> decode_classless_routes(ByteSpan data);
Bytes encode_classless_routes(std::span<const ClasslessRoute> routes);

}
