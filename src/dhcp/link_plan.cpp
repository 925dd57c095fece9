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
    std::vector<Ipv4Address> reachable_by_host_route;
    for (auto& route : wanted) {
        // RFC 3442, "Local Subnet Routes": a router of 0.0.0.0 marks another
        // subnet on this same link, reached directly.
        if (route.router.is_unspecified()) {
            plan.routes.push_back(PlannedRoute { route.destination, std::nullopt, source });
            continue;
        }
        // A router outside the leased subnet (a /32 lease, say) is reachable
        // only after an on-link host route to it; one per router is enough.
        if (!lease.address.contains(route.router)
            && std::find(reachable_by_host_route.begin(), reachable_by_host_route.end(), route.router) == reachable_by_host_route.end()) {
            plan.routes.push_back(PlannedRoute { Ipv4Prefix(route.router, 32), std::nullopt, source });
            reachable_by_host_route.push_back(route.router);
        }
        plan.routes.push_back(PlannedRoute { route.destination, route.router, source });
    }
    return plan;
}

}
