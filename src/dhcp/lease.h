// What a DHCPACK grants, in strong host-order types, ready for netlink and the
// renderers. Pure.
#pragma once

#include "common/address.h"
#include "common/result.h"
#include "dhcp/message.h"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace mb::dhcp {

struct Lease {
    // yiaddr with the prefix length of option 1. Without option 1 the lease is
    // a /32: classful defaults died with RFC 4632, and a /32 plus an on-link
    // host route to the router always works, whereas a
    // guessed /8 or /24 could shadow real routes. dnsmasq and udhcpd both
    // always send option 1.
    Ipv4Prefix address;
    Ipv4Address server_id;                              // 54, required
    std::chrono::seconds lease_time { 0 };              // 51, required
    std::chrono::seconds renewal_time { 0 };            // 58, or 0.5 x lease
    std::chrono::seconds rebinding_time { 0 };          // 59, or 0.875 x lease
    std::vector<Ipv4Address> routers;                   // 3
    std::vector<ClasslessRoute> classless_routes;       // 121
    std::optional<uint16_t> mtu;                        // 26
    std::vector<Ipv4Address> dns_servers;               // 6
    std::optional<std::string> domain_name;             // 15
    std::vector<std::string> search_domains;            // 119
    std::optional<std::string> hostname;                // 12
    std::optional<Ipv4Address> broadcast;               // 28
    // 245, site-specific (RFC 3942): Azure's wireserver, which its DHCP
    // servers send unasked. Kept for the state dir only; never contacted.
    std::optional<Ipv4Address> azure_wireserver;

    bool operator==(const Lease&) const = default;
};

// The lease an OFFER proposes or an ACK grants. Errors when the message cannot
// be a lease: yiaddr unusable (0, broadcast, loopback, multicast, class E) or
// option 54 or 51 missing (RFC 2131 §4.3.1, table 3: both MUST be in a
// DHCPOFFER and a DHCPACK). The message type is the caller's business.
Result<Lease> lease_from_message(const Message& message);

}
