// Builders shared by the DHCP unit tests.
#pragma once

#include "common/bytes.h"
#include "dhcp/message.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <initializer_list>
#include <string>

namespace mb::dhcp::test {

inline Bytes concat(std::initializer_list<Bytes> parts)
{
    Bytes out;
    for (auto const& part : parts)
        out.insert(out.end(), part.begin(), part.end());
    return out;
}

// A BOOTREPLY's fixed part (RFC 2131 figure 1), 236 bytes, then the cookie.
// `sname` and `file` are the raw 64- and 128-byte fields (zero padded).
inline Bytes bootp_header(uint8_t op = 2, Bytes sname = {}, Bytes file = {})
{
    Bytes out = {
        op,                     // op: 2 BOOTREPLY
        0x01,                   // htype: Ethernet
        0x06,                   // hlen
        0x00,                   // hops
        0xde, 0xad, 0xbe, 0xef, // xid
        0x00, 0x00,             // secs
        0x00, 0x00,             // flags
        0, 0, 0, 0,             // ciaddr
        198, 18, 0, 50,         // yiaddr
        0, 0, 0, 0,             // siaddr
        0, 0, 0, 0,             // giaddr
    };
    Bytes chaddr = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
    chaddr.resize(16);
    sname.resize(64);
    file.resize(128);
    return concat({ out, chaddr, sname, file, { 0x63, 0x82, 0x53, 0x63 } });
}

// The header plus the given option bytes, as written (no End appended).
inline Bytes with_options(Bytes options)
{
    return concat({ bootp_header(), options });
}

inline Message decode_ok(const Bytes& data)
{
    auto message = decode_message(data);
    REQUIRE_MESSAGE(message.ok(), (message.ok() ? "" : message.error().message()));
    return message.release_value();
}

inline bool has_warning(const Message& message, std::string_view fragment)
{
    return std::any_of(message.warnings.begin(), message.warnings.end(),
        [&](auto const& warning) { return warning.find(fragment) != std::string::npos; });
}

}
