// What a lease asks of the link it was leased on: MTU, address, and routes in
// the order they must be added. Pure: computed from the Lease alone, carried
// out by net::Netlink::apply(), so every rule here is testable without root.
#pragma once

#include "common/address.h"
#include "dhcp/lease.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace mb::dhcp {

struct PlannedRoute {
    Ipv4Prefix destination;
    std::optional<Ipv4Address> gateway; // unset: on-link (scope link)
    Ipv4Address source;                 // the preferred source: the leased address

    bool operator==(const PlannedRoute&) const = default;
};

struct LinkPlan {
    std::optional<uint16_t> mtu; // option 26; unset: leave the link's MTU alone
    Ipv4Prefix address;          // the leased address with its prefix length
    Ipv4Address broadcast;       // 0.0.0.0: no broadcast address
    // Added in this order: a route through a router outside the leased subnet
    // follows the host route that makes the router reachable.
    std::vector<PlannedRoute> routes;

    bool operator==(const LinkPlan&) const = default;
};

LinkPlan plan_link(const Lease& lease);

}
