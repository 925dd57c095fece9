// The lease's link plan, case by case: what a lease must do to the link, in
// the order netlink must do it. Pure, so no root and no namespace.
#include "dhcp/link_plan.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace mb;
using namespace mb::dhcp;
using namespace std::chrono_literals;

namespace {

Ipv4Prefix prefix(const char* text)
{
    auto parsed = Ipv4Prefix::parse(text);
    REQUIRE(parsed);
    return *parsed;
}

Ipv4Address address(const char* text)
{
    auto parsed = Ipv4Address::parse(text);
    REQUIRE(parsed);
    return *parsed;
}

Lease lease(const char* leased)
{
    Lease out;
    out.address = prefix(leased);
    out.server_id = address("198.18.0.1");
    out.lease_time = 3600s;
    return out;
}

PlannedRoute via(const char* destination, const char* gateway, const char* source)
{
    return PlannedRoute { prefix(destination), address(gateway), address(source) };
}

PlannedRoute on_link(const char* destination, const char* source)
{
    return PlannedRoute { prefix(destination), std::nullopt, address(source) };
}

std::string text(const PlannedRoute& route)
{
    return route.destination.to_string() + (route.gateway ? " via " + route.gateway->to_string() : std::string(" on-link")) + " src "
        + route.source.to_string();
}

std::string text(const std::vector<PlannedRoute>& routes)
{
    std::string out;
    for (auto& route : routes)
        out += text(route) + "; ";
    return out;
}

struct Case {
    const char* name;
    Lease lease;
    LinkPlan expected;
};

std::vector<Case> cases()
{
    std::vector<Case> out;

    {
        Case c { "plain /24 with a router", lease("198.18.0.50/24"), {} };
        c.lease.routers = { address("198.18.0.1"), address("198.18.0.2") };
        c.expected.address = prefix("198.18.0.50/24");
        c.expected.broadcast = address("198.18.0.255");
        // Only the first router of option 3 (the most preferred) is used.
        c.expected.routes = { via("0.0.0.0/0", "198.18.0.1", "198.18.0.50") };
        out.push_back(c);
    }
    {
        Case c { "option 121 beside option 3: option 3 is ignored", lease("198.18.0.50/24"), {} };
        c.lease.routers = { address("198.18.0.99") };
        c.lease.classless_routes = {
            { prefix("169.254.169.254/32"), address("198.18.0.1") },
            { prefix("0.0.0.0/0"), address("198.18.0.1") },
        };
        c.expected.address = prefix("198.18.0.50/24");
        c.expected.broadcast = address("198.18.0.255");
        c.expected.routes = {
            via("169.254.169.254/32", "198.18.0.1", "198.18.0.50"),
            via("0.0.0.0/0", "198.18.0.1", "198.18.0.50"),
        };
        out.push_back(c);
    }
    {
        Case c { "a /32 with an off-subnet router: the host route to it first", lease("198.18.0.50/32"), {} };
        c.lease.routers = { address("198.18.0.1") };
        c.expected.address = prefix("198.18.0.50/32");
        c.expected.routes = {
            on_link("198.18.0.1/32", "198.18.0.50"),
            via("0.0.0.0/0", "198.18.0.1", "198.18.0.50"),
        };
        out.push_back(c);
    }
    {
        Case c { "two routes through one off-subnet router: one host route", lease("10.0.5.7/28"), {} };
        c.lease.classless_routes = {
            { prefix("172.16.0.0/12"), address("10.0.0.1") },
            { prefix("0.0.0.0/0"), address("10.0.0.1") },
            { prefix("192.0.2.0/24"), address("10.0.5.1") }, // inside the subnet
        };
        c.expected.address = prefix("10.0.5.7/28");
        c.expected.broadcast = address("10.0.5.15");
        c.expected.routes = {
            on_link("10.0.0.1/32", "10.0.5.7"),
            via("172.16.0.0/12", "10.0.0.1", "10.0.5.7"),
            via("0.0.0.0/0", "10.0.0.1", "10.0.5.7"),
            via("192.0.2.0/24", "10.0.5.1", "10.0.5.7"),
        };
        out.push_back(c);
    }
    {
        Case c { "an option 121 route with router 0.0.0.0 is on-link", lease("198.18.0.50/24"), {} };
        c.lease.classless_routes = {
            { prefix("198.51.100.0/24"), Ipv4Address() },
            { prefix("0.0.0.0/0"), address("198.18.0.1") },
        };
        c.expected.address = prefix("198.18.0.50/24");
        c.expected.broadcast = address("198.18.0.255");
        c.expected.routes = {
            on_link("198.51.100.0/24", "198.18.0.50"),
            via("0.0.0.0/0", "198.18.0.1", "198.18.0.50"),
        };
        out.push_back(c);
    }
    {
        // What GCE's DHCP server sends: a /32, the gateway as an on-link
        // host route, the default through it. The default's router is
        // outside the /32, so the plan asks for its host route again;
        // Netlink::add_route takes the kernel's EEXIST as "already there"
        // and journals the route once (tests/integration/test_gce.py sees
        // one route and an exact teardown).
        Case c { "GCE: /32, option 121 gw/32 via 0.0.0.0 and default via gw", lease("10.128.0.2/32"), {} };
        c.lease.mtu = 1460;
        c.lease.routers = { address("10.128.0.1") };
        c.lease.classless_routes = {
            { prefix("10.128.0.1/32"), Ipv4Address() },
            { prefix("0.0.0.0/0"), address("10.128.0.1") },
        };
        c.expected.mtu = 1460;
        c.expected.address = prefix("10.128.0.2/32");
        c.expected.routes = {
            on_link("10.128.0.1/32", "10.128.0.2"),
            on_link("10.128.0.1/32", "10.128.0.2"),
            via("0.0.0.0/0", "10.128.0.1", "10.128.0.2"),
        };
        out.push_back(c);
    }
    {
        // RFC 3021: both addresses of a /31 are hosts; the peer is on-link.
        Case c { "a /31: no broadcast, the peer router inside the subnet", lease("198.18.0.51/31"), {} };
        c.lease.routers = { address("198.18.0.50") };
        c.expected.address = prefix("198.18.0.51/31");
        c.expected.routes = { via("0.0.0.0/0", "198.18.0.50", "198.18.0.51") };
        out.push_back(c);
    }
    {
        Case c { "MTU from option 26", lease("198.18.0.50/24"), {} };
        c.lease.mtu = 9001;
        c.expected.mtu = 9001;
        c.expected.address = prefix("198.18.0.50/24");
        c.expected.broadcast = address("198.18.0.255");
        out.push_back(c);
    }
    {
        Case c { "broadcast from option 28 wins over the derived one", lease("198.18.0.50/24"), {} };
        c.lease.broadcast = address("198.18.0.127");
        c.expected.address = prefix("198.18.0.50/24");
        c.expected.broadcast = address("198.18.0.127");
        out.push_back(c);
    }
    {
        Case c { "broadcast derived from a /20", lease("10.1.17.9/20"), {} };
        c.expected.address = prefix("10.1.17.9/20");
        c.expected.broadcast = address("10.1.31.255");
        out.push_back(c);
    }
    {
        Case c { "a /32 keeps option 28 when the server sends one", lease("198.18.0.50/32"), {} };
        c.lease.broadcast = address("198.18.0.255");
        c.expected.address = prefix("198.18.0.50/32");
        c.expected.broadcast = address("198.18.0.255");
        out.push_back(c);
    }
    {
        Case c { "no router at all: address only", lease("198.18.0.50/32"), {} };
        c.expected.address = prefix("198.18.0.50/32");
        out.push_back(c);
    }
    return out;
}

}

TEST_CASE("the link plan of a lease")
{
    for (auto& c : cases()) {
        CAPTURE(std::string(c.name));
        auto plan = plan_link(c.lease);
        CHECK(plan.mtu == c.expected.mtu);
        CHECK(plan.address == c.expected.address);
        CHECK(plan.broadcast.to_string() == c.expected.broadcast.to_string());
        // Compared as text, so a failure prints both sequences.
        CHECK(text(plan.routes) == text(c.expected.routes));
        CHECK(plan == c.expected);
    }
}
