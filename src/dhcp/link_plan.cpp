#include "dhcp/link_plan.h"

#include <algorithm>

namespace mb::dhcp {

namespace {

Ipv4Address broadcast_for(const Lease& lease)
{
    // Option 28 is the server's word and is used as given. Without it the
    // subnet's broadcast is derived, except on a /31 (RFC 3021 §2.2: both
    // addresses are hosts, there is no directed broadcast) and a /32 (no
    // subnet at all), which get none.
    if (lease.broadcast)
        return *lease.broadcast;
    if (lease.address.length() >= 31)
        return Ipv4Address();
    return lease.address.broadcast();
}

}

LinkPlan plan_link(const Lease& lease)
{
    LinkPlan plan;
    plan.mtu = lease.mtu;
    plan.address = lease.address;
    plan.broadcast = broadcast_for(lease);

    // RFC 3442, "DHCP Client Behavior": "If the DHCP server returns both a
    // Classless Static Routes option and a Router option, the DHCP client
    // MUST ignore the Router option." Without option 121, the first router
    // of option 3 (listed in order of preference, RFC 2132 §3.5) is the
    // default route.
    std::vector<ClasslessRoute> wanted;
    if (!lease.classless_routes.empty())
        wanted = lease.classless_routes;
    else if (!lease.routers.empty())
        wanted.push_back(ClasslessRoute { Ipv4Prefix(Ipv4Address(), 0), lease.routers.front() });

    Ipv4Address source = lease.address.address();
    // RFC 3442, "Local Subnet Routes": a router of 0.0.0.0 marks another
    // subnet on this same link, reached directly. Those go first: a router
    // inside one of them (GCE's "<gw>/32 via 0.0.0.0" beside "0.0.0.0/0 via
    // <gw>" on a /32 lease) is then reachable, wherever the option lists
    // it, and needs no host route of its own.
    for (auto& route : wanted) {
        if (route.router.is_unspecified())
            plan.routes.push_back(PlannedRoute { route.destination, std::nullopt, source });
    }
    auto reachable = [&](Ipv4Address router) {
        if (lease.address.contains(router))
            return true;
        for (auto& planned : plan.routes) {
            if (!planned.gateway && planned.destination.contains(router))
                return true;
        }
        return false;
    };
    for (auto& route : wanted) {
        if (route.router.is_unspecified())
            continue;
        // A router outside the leased subnet (a /32 lease, say) is reachable
        // only after an on-link host route to it; one per router is enough.
        if (!reachable(route.router))
            plan.routes.push_back(PlannedRoute { Ipv4Prefix(route.router, 32), std::nullopt, source });
        plan.routes.push_back(PlannedRoute { route.destination, route.router, source });
    }
    return plan;
}

}
