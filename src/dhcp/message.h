// The BOOTP/DHCPv4 message (RFC 2131 §2, RFC 951) and its codec. Pure: no
// sockets, no logging. Decoding takes untrusted bytes and never aborts.
#pragma once

#include "common/address.h"
#include "common/bytes.h"
#include "common/result.h"
#include "dhcp/options.h"

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mb::dhcp {

enum class OpCode : uint8_t {
    BootRequest = 1,
    BootReply = 2,
};

// RFC 2132 §9.6.
enum class MessageType : uint8_t {
    Discover = 1,
    Offer = 2,
    Request = 3,
    Decline = 4,
    Ack = 5,
    Nak = 6,
    Release = 7,
    Inform = 8,
};

const char* message_type_name(MessageType type); // "DISCOVER", "OFFER", ...

// RFC 2131 §2: the leftmost bit of 'flags' asks the server to broadcast.
constexpr uint16_t broadcast_flag = 0x8000;
// RFC 2131 §3: the first four octets of 'options'.
constexpr uint32_t magic_cookie = 0x63825363;
// RFC 1700 hardware type for Ethernet.
constexpr uint8_t hardware_ethernet = 1;

// Decoded options, one typed field per option metaboot understands. An absent
// or dropped option is std::nullopt or an empty list: the decoder never keeps a
// value that failed validation. Lease times are host-order seconds;
// 0xffffffff ("infinity", RFC 2131 §3.3) is kept as that many seconds.
struct Options {
    std::optional<MessageType> message_type;                // 53
    std::optional<Ipv4Address> subnet_mask;                 // 1, contiguous
    std::vector<Ipv4Address> routers;                       // 3
    std::vector<Ipv4Address> dns_servers;                   // 6
    std::optional<std::string> hostname;                    // 12, a valid DNS name
    std::optional<std::string> domain_name;                 // 15, a valid DNS name
    std::optional<uint16_t> mtu;                            // 26, >= 68
    std::optional<Ipv4Address> broadcast;                   // 28
    std::optional<Ipv4Address> requested_address;           // 50
    std::optional<std::chrono::seconds> lease_time;         // 51
    std::optional<Ipv4Address> server_id;                   // 54
    std::vector<uint8_t> parameter_request_list;            // 55
    std::optional<uint16_t> max_message_size;               // 57, >= 576
    std::optional<std::chrono::seconds> renewal_time;       // 58 (T1)
    std::optional<std::chrono::seconds> rebinding_time;     // 59 (T2)
    std::optional<Bytes> client_id;                         // 61, >= 2 bytes
    bool rapid_commit { false };                            // 80, empty (RFC 4039)
    std::vector<std::string> search_domains;                // 119
    std::vector<ClasslessRoute> classless_routes;           // 121
    // Every other option, raw and concatenated (RFC 3396), by code. Pad (0),
    // overload (52), end (255) and the codes above never appear here; the
    // encoder skips them if a caller puts them in.
    std::map<uint8_t, Bytes> other;

    bool operator==(const Options&) const = default;
};

struct Message {
    OpCode op { OpCode::BootRequest };
    uint8_t htype { hardware_ethernet };
    uint8_t hlen { 6 };
    uint8_t hops { 0 };
    uint32_t xid { 0 };
    uint16_t secs { 0 };
    uint16_t flags { 0 };
    Ipv4Address ciaddr;
    Ipv4Address yiaddr;
    Ipv4Address siaddr;
    Ipv4Address giaddr;
    std::array<uint8_t, 16> chaddr {};
    // 'sname' and 'file' up to their first NUL, raw octets. Empty when the
    // field carried options (overload, RFC 2132 §9.3). metaboot never writes
    // them anywhere.
    std::string sname;
    std::string file;
    Options options;
    // Filled by decode_message(): one line per option that was dropped or
    // oddity that was tolerated. Ignored by encode_message().
    std::vector<std::string> warnings;

    bool operator==(const Message&) const = default;

    // The client hardware address when it is an Ethernet MAC.
    std::optional<MacAddress> client_mac() const;
    void set_client_mac(MacAddress mac);
};

// Structural problems (shorter than the fixed header, a bad op, hlen > 16, no
// magic cookie, an option running past its field) are errors. A bad value in
// a single option only drops that option, with a warning.
Result<Message> decode_message(ByteSpan data);

// Deterministic: option 53 first (some servers and relays look for it there),
// then every other option in ascending code order, values longer than 255
// octets split into consecutive instances (RFC 3396 §7), then End, padded
// with zeros to the 300-octet BOOTP minimum (RFC 1542 §2.1). Never overloads
// 'sname' or 'file'. decode_message(encode_message(m)) equals m apart from
// warnings, for any m that decode_message produced.
Bytes encode_message(const Message& message);

}
