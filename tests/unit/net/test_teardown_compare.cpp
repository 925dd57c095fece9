// teardown_differences(): what the kernel changes on its own during a run is
// not a leftover; every change of the kinds metaboot makes still is.
//
// The snapshots are what `ip -d addr`/`ip route show table all` show for a
// veth NIC that was up with a global IPv6 address before the run
// (tests/integration/test_teardown.py builds the same one for real).
#include "net/netlink.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <functional>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/ipv6.h>
#include <linux/rtnetlink.h>
#include <string>
#include <sys/socket.h>
#include <vector>

using namespace mb;
using namespace mb::net;

namespace {

using Snapshot = InterfaceSnapshot;

IpPrefix v4(const char* text)
{
    return Ipv4Prefix::parse(text).value();
}

IpPrefix v6(const char* text)
{
    return Ipv6Prefix::parse(text).value();
}

constexpr int Eth0 = 2;
constexpr unsigned Up = IFF_UP | IFF_BROADCAST | IFF_MULTICAST;
constexpr unsigned Carrier = IFF_RUNNING | IFF_LOWER_UP;

Snapshot::Route route(int family, uint32_t table, IpPrefix destination, uint8_t protocol, uint8_t type, uint32_t metric = 0)
{
    Snapshot::Route r;
    r.family = family;
    r.table = table;
    r.destination = destination;
    r.protocol = protocol;
    r.scope = type == RTN_LOCAL ? RT_SCOPE_HOST : RT_SCOPE_UNIVERSE;
    r.type = type;
    r.metric = metric;
    r.hops = { { Eth0, {}, 0 } };
    return r;
}

// eth0 up with carrier, 198.19.2.2/24 and 2001:db8::5/64, DAD long over.
Snapshot settled()
{
    Snapshot s;
    Snapshot::Link eth0;
    eth0.ifindex = Eth0;
    eth0.name = "eth0";
    eth0.flags = Up | Carrier;
    eth0.mtu = 1500;
    eth0.mac = MacAddress::parse("02:00:00:00:00:01").value();
    eth0.operstate = IF_OPER_UP;
    eth0.ipv4_conf = { { 1, 0 }, { 4, 1 }, { 23, 0 } };                          // forwarding, accept_redirects, arp_ignore
    eth0.ipv6_conf = { { DEVCONF_FORWARDING, 0 }, { DEVCONF_HOPLIMIT, 64 }, { DEVCONF_MTU6, 1500 }, { DEVCONF_ACCEPT_RA, 1 } };
    s.links.push_back(eth0);

    s.addresses = {
        { Eth0, v4("198.19.2.2/24"), v4("198.19.2.255/32"), RT_SCOPE_UNIVERSE, IFA_F_PERMANENT },
        { Eth0, v6("2001:db8::5/64"), {}, RT_SCOPE_UNIVERSE, IFA_F_PERMANENT },
        { Eth0, v6("fe80::ff:fe00:1/64"), {}, RT_SCOPE_LINK, IFA_F_PERMANENT },
    };
    s.routes = {
        route(AF_INET, RT_TABLE_MAIN, v4("198.19.2.0/24"), RTPROT_KERNEL, RTN_UNICAST),
        route(AF_INET, RT_TABLE_LOCAL, v4("198.19.2.2/32"), RTPROT_KERNEL, RTN_LOCAL),
        route(AF_INET, RT_TABLE_LOCAL, v4("198.19.2.255/32"), RTPROT_KERNEL, RTN_BROADCAST),
        route(AF_INET6, RT_TABLE_MAIN, v6("2001:db8::/64"), RTPROT_KERNEL, RTN_UNICAST, 256),
        route(AF_INET6, RT_TABLE_MAIN, v6("fe80::/64"), RTPROT_KERNEL, RTN_UNICAST, 256),
        route(AF_INET6, RT_TABLE_LOCAL, v6("2001:db8::5/128"), RTPROT_KERNEL, RTN_LOCAL),
        route(AF_INET6, RT_TABLE_LOCAL, v6("fe80::ff:fe00:1/128"), RTPROT_KERNEL, RTN_LOCAL),
        route(AF_INET6, RT_TABLE_LOCAL, v6("ff00::/8"), RTPROT_KERNEL, RTN_MULTICAST, 256),
    };
    s.rules = { "rule family 2 prio 0 from - to - iif - table 255 action 1",
        "rule family 2 prio 32766 from - to - iif - table 254 action 1" };
    return s;
}

void without_route(std::vector<Snapshot::Route>& routes, const char* destination)
{
    std::erase_if(routes, [&](auto& r) { return to_string(r.destination) == destination; });
}

Snapshot::Address& address(Snapshot& s, const char* local)
{
    for (auto& a : s.addresses)
        if (to_string(a.local) == local)
            return a;
    FAIL("no address " << local);
    return s.addresses.front();
}

// The same NIC a second after its address was added: both IPv6 addresses
// still in DAD, so neither has its local-table route yet.
Snapshot dad_in_progress()
{
    auto s = settled();
    address(s, "2001:db8::5/64").flags |= IFA_F_TENTATIVE;
    address(s, "fe80::ff:fe00:1/64").flags |= IFA_F_TENTATIVE;
    without_route(s.routes, "2001:db8::5/128");
    without_route(s.routes, "fe80::ff:fe00:1/128");
    return s;
}

// The NIC up but its peer not yet: no carrier, so no IPv6 on it yet.
Snapshot no_carrier()
{
    auto s = settled();
    s.links[0].flags = Up;
    s.links[0].operstate = IF_OPER_LOWERLAYERDOWN;
    std::erase_if(s.addresses, [](auto& a) { return to_string(a.local) == "fe80::ff:fe00:1/64"; });
    without_route(s.routes, "fe80::/64");
    without_route(s.routes, "fe80::ff:fe00:1/128");
    without_route(s.routes, "ff00::/8");
    return s;
}

void set_conf(std::vector<std::pair<int, int32_t>>& conf, int id, int32_t value)
{
    for (auto& [key, v] : conf)
        if (key == id)
            v = value;
}

struct Case {
    const char* name;
    std::function<Snapshot()> before;
    std::function<void(Snapshot&)> change; // applied to the after snapshot
};

std::string joined(const std::vector<std::string>& lines)
{
    std::string out;
    for (auto& line : lines)
        out += line + "\n";
    return out;
}

}

TEST_CASE("teardown_differences: the kernel's own changes during the run are not leftovers")
{
    const Case cases[] = {
        { "nothing changed", settled, [](Snapshot&) {} },
        { "DAD ends: tentative flags clear, local-table routes appear", dad_in_progress, [](Snapshot&) {} },
        { "optimistic DAD ends", [] {
             auto s = settled();
             address(s, "2001:db8::5/64").flags |= IFA_F_OPTIMISTIC;
             return s; }, [](Snapshot&) {} },
        { "DAD fails", settled, [](Snapshot& s) { address(s, "2001:db8::5/64").flags |= IFA_F_DADFAILED | IFA_F_TENTATIVE; } },
        { "the preferred lifetime runs out", settled, [](Snapshot& s) { address(s, "2001:db8::5/64").flags |= IFA_F_DEPRECATED; } },
        { "carrier comes: operstate, link-local address, fe80::/64, ff00::/8", no_carrier, [](Snapshot&) {} },
        { "carrier goes", settled, [](Snapshot& s) {
             s.links[0].flags &= ~Carrier;
             s.links[0].operstate = IF_OPER_DOWN; } },
        { "dormant", settled, [](Snapshot& s) {
             s.links[0].flags |= IFF_DORMANT;
             s.links[0].operstate = IF_OPER_DORMANT; } },
        { "a Router Advertisement: SLAAC address, default route, prefix route, hop limit, MTU", settled, [](Snapshot& s) {
             s.addresses.push_back({ Eth0, v6("2001:db8:1::ff:fe00:1/64"), {}, RT_SCOPE_UNIVERSE, 0 });
             auto r = route(AF_INET6, RT_TABLE_MAIN, v6("::/0"), RTPROT_RA, RTN_UNICAST, 1024);
             r.hops[0].gateway = v6("fe80::1/128");
             s.routes.push_back(r);
             s.routes.push_back(route(AF_INET6, RT_TABLE_MAIN, v6("2001:db8:1::/64"), RTPROT_RA, RTN_UNICAST, 256));
             s.routes.push_back(route(AF_INET6, RT_TABLE_LOCAL, v6("2001:db8:1::ff:fe00:1/128"), RTPROT_KERNEL, RTN_LOCAL));
             set_conf(s.links[0].ipv6_conf, DEVCONF_HOPLIMIT, 255);
             set_conf(s.links[0].ipv6_conf, DEVCONF_MTU6, 1280); } },
        // Not the kernel's but udev's, as much not metaboot's: a systemd
        // initrd's udev names the NIC while the run waits for the root.
        { "udev renames the NIC", settled, [](Snapshot& s) { s.links[0].name = "ens5"; } },
        { "a nexthop marked linkdown", settled, [](Snapshot& s) { s.routes[0].hops[0].flags |= RTNH_F_LINKDOWN | RTNH_F_DEAD; } },
        { "the order netlink lists things in", settled, [](Snapshot& s) {
             std::reverse(s.routes.begin(), s.routes.end());
             std::reverse(s.addresses.begin(), s.addresses.end());
             std::reverse(s.rules.begin(), s.rules.end()); } },
    };
    for (auto const& c : cases) {
        INFO(c.name);
        auto before = c.before();
        auto after = settled();
        c.change(after);
        CHECK(joined(teardown_differences(before, after)) == "");
    }
}

TEST_CASE("teardown_differences: every leftover of the kinds metaboot makes still counts")
{
    struct Leftover {
        const char* name;
        std::function<void(Snapshot&)> change;
        const char* expected; // the whole report
    };
    const Leftover leftovers[] = {
        { "an IPv4 address", [](Snapshot& s) { s.addresses.push_back({ Eth0, v4("198.18.0.100/24"), v4("198.18.0.255/32"), RT_SCOPE_UNIVERSE, IFA_F_PERMANENT }); },
            "after: addr 2 198.18.0.100/24 brd 198.18.0.255/32 scope 0 flags 0x80\n" },
        { "an address gone", [](Snapshot& s) { std::erase_if(s.addresses, [](auto& a) { return to_string(a.local) == "198.19.2.2/24"; }); },
            "before: addr 2 198.19.2.2/24 brd 198.19.2.255/32 scope 0 flags 0x80\n" },
        { "a global IPv6 address, even a tentative one", [](Snapshot& s) { s.addresses.push_back({ Eth0, v6("2001:db8::77/64"), {}, RT_SCOPE_UNIVERSE, IFA_F_PERMANENT | IFA_F_TENTATIVE }); },
            "after: addr 2 2001:db8::77/64 brd - scope 0 flags 0x80\n" },
        { "an address's flag of configuration", [](Snapshot& s) { address(s, "198.19.2.2/24").flags |= IFA_F_NOPREFIXROUTE; },
            "before: addr 2 198.19.2.2/24 brd 198.19.2.255/32 scope 0 flags 0x80\n"
            "after: addr 2 198.19.2.2/24 brd 198.19.2.255/32 scope 0 flags 0x280\n" },
        { "a default route through the lease's router", [](Snapshot& s) {
             auto r = route(AF_INET, RT_TABLE_MAIN, v4("0.0.0.0/0"), RTPROT_DHCP, RTN_UNICAST);
             r.hops[0].gateway = v4("198.18.0.1/32");
             s.routes.push_back(r); },
            "after: route table 254 family 2 0.0.0.0/0 src - proto 16 scope 0 type 1 metric 0 via 198.18.0.1/32 dev 2\n" },
        { "an IPv4 local-table route", [](Snapshot& s) { s.routes.push_back(route(AF_INET, RT_TABLE_LOCAL, v4("198.18.0.100/32"), RTPROT_KERNEL, RTN_LOCAL)); },
            "after: route table 255 family 2 198.18.0.100/32 src - proto 2 scope 254 type 2 metric 0 via - dev 2\n" },
        { "an IPv6 route someone added", [](Snapshot& s) { s.routes.push_back(route(AF_INET6, RT_TABLE_MAIN, v6("2001:db8:2::/64"), RTPROT_BOOT, RTN_UNICAST, 1024)); },
            "after: route table 254 family 10 2001:db8:2::/64 src - proto 3 scope 0 type 1 metric 1024 via - dev 2\n" },
        { "an IPv6 local-table route not the kernel's", [](Snapshot& s) { s.routes.push_back(route(AF_INET6, RT_TABLE_LOCAL, v6("2001:db8::99/128"), RTPROT_STATIC, RTN_LOCAL)); },
            "after: route table 255 family 10 2001:db8::99/128 src - proto 4 scope 254 type 2 metric 0 via - dev 2\n" },
        { "a link-local route not the kernel's", [](Snapshot& s) { s.routes.push_back(route(AF_INET6, RT_TABLE_MAIN, v6("fe80::/64"), RTPROT_STATIC, RTN_UNICAST, 1)); },
            "after: route table 254 family 10 fe80::/64 src - proto 4 scope 0 type 1 metric 1 via - dev 2\n" },
        { "an onlink nexthop", [](Snapshot& s) { s.routes[0].hops[0].flags |= RTNH_F_ONLINK; },
            "before: route table 254 family 2 198.19.2.0/24 src - proto 2 scope 0 type 1 metric 0 via - dev 2\n"
            "after: route table 254 family 2 198.19.2.0/24 src - proto 2 scope 0 type 1 metric 0 via - dev 2 onlink\n" },
        { "a rule", [](Snapshot& s) { s.rules.push_back("rule family 2 prio 100 from 198.18.0.100/32 to - iif - table 1000 action 1"); },
            "after: rule family 2 prio 100 from 198.18.0.100/32 to - iif - table 1000 action 1\n" },
        { "an MTU", [](Snapshot& s) { s.links[0].mtu = 9001; },
            "before: link 2 eth0 flags 0x1003 mtu 1500 mac 02:00:00:00:00:01\n"
            "after: link 2 eth0 flags 0x1003 mtu 9001 mac 02:00:00:00:00:01\n" },
        { "an MTU, the NIC renamed meanwhile: shown by both its names", [](Snapshot& s) {
             s.links[0].mtu = 9001;
             s.links[0].name = "ens5"; },
            "before: link 2 eth0 flags 0x1003 mtu 1500 mac 02:00:00:00:00:01\n"
            "after: link 2 ens5 flags 0x1003 mtu 9001 mac 02:00:00:00:00:01\n" },
        { "the link left down", [](Snapshot& s) { s.links[0].flags &= ~(IFF_UP | Carrier); },
            "before: link 2 eth0 flags 0x1003 mtu 1500 mac 02:00:00:00:00:01\n"
            "after: link 2 eth0 flags 0x1002 mtu 1500 mac 02:00:00:00:00:01\n" },
        { "promiscuous mode", [](Snapshot& s) { s.links[0].flags |= IFF_PROMISC; },
            "before: link 2 eth0 flags 0x1003 mtu 1500 mac 02:00:00:00:00:01\n"
            "after: link 2 eth0 flags 0x1103 mtu 1500 mac 02:00:00:00:00:01\n" },
        { "a MAC address", [](Snapshot& s) { s.links[0].mac = MacAddress::parse("02:00:00:00:00:09").value(); },
            "before: link 2 eth0 flags 0x1003 mtu 1500 mac 02:00:00:00:00:01\n"
            "after: link 2 eth0 flags 0x1003 mtu 1500 mac 02:00:00:00:00:09\n" },
        { "an IPv4 sysctl", [](Snapshot& s) { set_conf(s.links[0].ipv4_conf, 23, 1); },
            "before: link 2 eth0 ipv4 conf 23 = 0\nafter: link 2 eth0 ipv4 conf 23 = 1\n" },
        { "an IPv6 sysctl", [](Snapshot& s) { set_conf(s.links[0].ipv6_conf, DEVCONF_ACCEPT_RA, 0); },
            "before: link 2 eth0 ipv6 conf 3 = 1\nafter: link 2 eth0 ipv6 conf 3 = 0\n" },
        // The reach kinds' own (cli/reach.cpp): a link-local address added
        // without DAD, and SLAAC's optimistic DAD left on.
        { "a link-local IPv6 address added with IFA_F_NODAD", [](Snapshot& s) { s.addresses.push_back({ Eth0, v6("fe80::5eed:1/64"), {}, RT_SCOPE_LINK, IFA_F_PERMANENT | IFA_F_NODAD }); },
            "after: addr 2 fe80::5eed:1/64 brd - scope 253 flags 0x82\n" },
        { "optimistic DAD left on", [](Snapshot& s) { s.links[0].ipv6_conf.push_back({ DEVCONF_OPTIMISTIC_DAD, 1 }); },
            "after: link 2 eth0 ipv6 conf 23 = 1\n" },
    };
    for (auto const& leftover : leftovers) {
        INFO(leftover.name);
        auto after = settled();
        leftover.change(after);
        CHECK(joined(teardown_differences(settled(), after)) == std::string(leftover.expected));
        // A kernel change at the same time hides nothing.
        CHECK(joined(teardown_differences(dad_in_progress(), after)) == std::string(leftover.expected));
    }
}

TEST_CASE("teardown_differences: a snapshot that failed is a difference")
{
    Result<InterfaceSnapshot> good = settled();
    Result<InterfaceSnapshot> failed = Error::io("listing routes: out of memory");
    CHECK(teardown_differences(good, good).empty());
    CHECK(joined(teardown_differences(failed, good)) == "no snapshot before the run: listing routes: out of memory\n");
    CHECK(joined(teardown_differences(good, failed)) == "no snapshot after the teardown: listing routes: out of memory\n");
}
