// The networkd format beyond the golden cases (test_render.cpp): the keys
// each model field turns into, one row per field, and the format's row in
// the registry (paths, places, owned files, present()).
#include "render/networkd.h"
#include "render/registry.h"

#include <doctest/doctest.h>

#include <set>
#include <string>

using namespace mb;
using namespace mb::render;

namespace {

Interface plain(const char* name)
{
    Interface interface;
    interface.name = name;
    return interface;
}

// The .network text after the header.
std::string network_body(const Interface& interface)
{
    NetworkConfig config;
    config.interfaces.push_back(interface);
    auto files = render_networkd(config, "etc/systemd/network");
    REQUIRE(files.ok());
    REQUIRE(files->size() >= 1);
    const auto& text = files->front().text;
    REQUIRE(text.starts_with(generated_header));
    return text.substr(std::string(generated_header).size());
}

struct Row {
    const char* what;
    Interface interface;
    const char* body;
};

}

TEST_CASE("networkd: each model field's keys")
{
    Interface no_mac = plain("eth0");

    Interface critical = plain("eth0");
    critical.critical = true;
    critical.addresses.push_back(Ipv4Prefix::parse("10.0.0.5/24").value());

    Interface ipv6_only = plain("eth0");
    ipv6_only.dhcp6 = true;
    ipv6_only.dhcp6_overrides.route_metric = 300;

    Interface mtu = plain("eth0");
    mtu.mtu = 9001;

    Interface split_metrics = plain("eth0");
    split_metrics.dhcp4 = true;
    split_metrics.dhcp6 = true;
    split_metrics.dhcp4_overrides = { 200, false };
    split_metrics.dhcp6_overrides.route_metric = 250;

    Interface no_ra = plain("eth0");
    no_ra.dhcp4 = true;
    no_ra.accept_ra = false;

    Interface slaac = plain("eth0");
    slaac.accept_ra = true;

    Interface routes = plain("eth0");
    routes.routes.push_back(Route { Ipv6Prefix::parse("2001:db8::/32").value(), std::nullopt, 7, 5 });
    routes.routing_policy.push_back(RoutingRule { Ipv6Address::parse("2001:db8::9").value(), 7 });

    Interface dns = plain("eth0");
    dns.nameservers = { Ipv6Address::parse("2001:db8::53").value(), Ipv4Address::parse("192.0.2.53").value() };
    dns.search_domains = { "a.example", "b.example." };

    const Row rows[] = {
        { "no MAC match: matched by name, no DHCP", no_mac, "[Match]\nName=eth0\n\n[Network]\nLinkLocalAddressing=ipv6\n" },
        { "critical keeps the configuration", critical,
            "[Match]\nName=eth0\n\n[Network]\nLinkLocalAddressing=ipv6\nAddress=10.0.0.5/24\nKeepConfiguration=yes\n" },
        { "DHCPv6 only: its metric on the RA routes, no [DHCPv4]", ipv6_only,
            "[Match]\nName=eth0\n\n[Network]\nDHCP=ipv6\nLinkLocalAddressing=ipv6\n\n[IPv6AcceptRA]\nRouteMetric=300\n" },
        { "MTU in [Link]", mtu, "[Match]\nName=eth0\n\n[Link]\nMTUBytes=9001\n\n[Network]\nLinkLocalAddressing=ipv6\n" },
        { "different IPv4 and IPv6 metrics, use-routes false", split_metrics,
            "[Match]\nName=eth0\n\n[Network]\nDHCP=yes\nLinkLocalAddressing=ipv6\n\n[DHCPv4]\nRouteMetric=200\nUseMTU=true\nUseRoutes=false\n"
            "\n[IPv6AcceptRA]\nRouteMetric=250\n" },
        { "RAs off: no RA metric, default DHCPv4 metric 100", no_ra,
            "[Match]\nName=eth0\n\n[Network]\nDHCP=ipv4\nLinkLocalAddressing=ipv6\nIPv6AcceptRA=no\n\n[DHCPv4]\nRouteMetric=100\nUseMTU=true\n" },
        { "SLAAC without DHCP", slaac, "[Match]\nName=eth0\n\n[Network]\nLinkLocalAddressing=ipv6\nIPv6AcceptRA=yes\n" },
        { "on-link IPv6 route with table and metric, IPv6 rule", routes,
            "[Match]\nName=eth0\n\n[Network]\nLinkLocalAddressing=ipv6\n\n[Route]\nDestination=2001:db8::/32\nScope=link\nMetric=5\nTable=7\n"
            "\n[RoutingPolicyRule]\nFrom=2001:db8::9\nTable=7\n" },
        { "DNS in the model's order, domains on one line", dns,
            "[Match]\nName=eth0\n\n[Network]\nLinkLocalAddressing=ipv6\nDNS=2001:db8::53\nDNS=192.0.2.53\nDomains=a.example b.example.\n" },
    };
    for (const auto& row : rows) {
        INFO(row.what);
        CHECK(network_body(row.interface) == row.body);
    }
}

TEST_CASE("networkd: a .link file only for a MAC match with a rename")
{
    auto mac = MacAddress::parse("06:00:00:00:00:01").value();
    struct LinkRow {
        bool match_mac;
        bool set_name;
        size_t files;
        const char* match;
    } rows[] = {
        { true, true, 2, "[Match]\nPermanentMACAddress=06:00:00:00:00:01\nName=ens5\n" },
        { true, false, 1, "[Match]\nPermanentMACAddress=06:00:00:00:00:01\n\n" },
        { false, true, 1, "[Match]\nName=ens5\n\n" },
    };
    for (const auto& row : rows) {
        INFO("match_mac ", row.match_mac, " set_name ", row.set_name);
        NetworkConfig config;
        config.interfaces.push_back(plain("ens5"));
        if (row.match_mac)
            config.interfaces[0].match_mac = mac;
        if (row.set_name)
            config.interfaces[0].set_name = "ens5";
        auto files = render_networkd(config, "run/systemd/network");
        REQUIRE(files.ok());
        REQUIRE(files->size() == row.files);
        CHECK((*files)[0].path == "run/systemd/network/10-cloud-init-ens5.network");
        CHECK((*files)[0].mode == 0644);
        CHECK((*files)[0].text.find(row.match) != std::string::npos);
        if (row.files == 2) {
            CHECK((*files)[1].path == "run/systemd/network/10-cloud-init-ens5.link");
            CHECK((*files)[1].text.starts_with(generated_header));
        }
    }
}

TEST_CASE("networkd: the registry row")
{
    const Format* format = find_format("networkd");
    REQUIRE(format == &networkd_format);

    std::set<std::string> paths;
    RootView root {
        .exists = [&](std::string_view path) { return paths.count(std::string(path)) > 0; },
        .is_directory = [](std::string_view) { return false; },
        .read_file = [](std::string_view) -> Result<std::optional<std::string>> { return std::optional<std::string>(); },
    };
    CHECK(!format->present(root));
    paths = { "lib/systemd/systemd-networkd" };
    CHECK(format->present(root));
    paths = { "usr/lib/systemd/systemd-networkd" };
    CHECK(format->present(root));

    NetworkConfig config;
    config.interfaces.push_back(plain("eth0"));
    config.interfaces[0].match_mac = MacAddress::parse("06:00:00:00:00:01").value();
    config.interfaces[0].set_name = "eth0";
    struct PlaceRow {
        Persistence persistence;
        Place place;
        const char* directory;
    } rows[] = {
        { Persistence::Persistent, Place::Root, "etc/systemd/network" },
        { Persistence::Runtime, Place::Runtime, "run/systemd/network" },
    };
    for (const auto& row : rows) {
        auto files = format->render(config, root, row.persistence);
        REQUIRE(files.ok());
        REQUIRE(files->size() == 2);
        std::set<std::string> suffixes;
        for (const auto& file : *files) {
            CHECK(file.place == row.place);
            CHECK(file.content.path.starts_with(std::string(row.directory) + "/10-cloud-init-eth0."));
        }
        auto owned = format->owned(row.persistence);
        REQUIRE(owned.size() == 2);
        for (const auto& entry : owned) {
            CHECK(entry.place == row.place);
            CHECK(entry.directory == row.directory);
            CHECK(entry.prefix == "10-cloud-init-");
            suffixes.insert(std::string(entry.suffix));
        }
        CHECK(suffixes == std::set<std::string> { ".link", ".network" });
    }
}
