// The one DNS-name check, for host names from metadata services, DHCP's
// domain options and the search domains the renderers write. RFC 1123 §2.1
// host name syntax: dot-separated labels of 1..63 bytes of [A-Za-z0-9-], no
// label starting or ending with '-', 253 bytes in all (RFC 1035 §2.3.4 less
// the length octets).
#pragma once

#include <cstddef>
#include <string_view>

namespace mb {

inline constexpr size_t max_dns_name_length = 253;
inline constexpr size_t max_dns_label_length = 63;

enum class TrailingDot {
    Refused, // host names, DHCP option text (the caller strips one dot first)
    Allowed, // a search domain may be written fully qualified ("example.com.")
};

bool is_valid_dns_label(std::string_view label);
bool is_valid_dns_name(std::string_view name, TrailingDot trailing_dot = TrailingDot::Refused);

inline bool is_valid_hostname(std::string_view name)
{
    return is_valid_dns_name(name, TrailingDot::Refused);
}

}
