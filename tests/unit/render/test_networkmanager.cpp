// The NetworkManager format beyond the golden files: the method table per
// dhcp/accept-ra/addresses as rows, may-fail, MAC-only matches, on-link
// routes with a metric, and the Format row (paths, places, owned files).
#include "render/networkmanager.h"
#include "render/registry.h"

#include <doctest/doctest.h>

#include <map>
#include <string>

using namespace mb;
using namespace mb::render;

namespace {

// The [section] key=value lines of a keyfile as "section.key" -> value.
std::map<std::string, std::string> parse(const std::string& text)
{
    std::map<std::string, std::string> out;
    std::string section;
    size_t start = 0;
    while (start < text.size()) {
        size_t end = text.find('\n', start);
        std::string line = text.substr(start, end - start);
        start = end + 1;
        if (line.empty() || line[0] == '#')
            continue;
        if (line[0] == '[') {
            section = line.substr(1, line.size() - 2);
            continue;
        }
        size_t equals = line.find('=');
        REQUIRE(equals != std::string::npos);
        out[section + "." + line.substr(0, equals)] = line.substr(equals + 1);
    }
    return out;
}

std::map<std::string, std::string> render_one(const Interface& interface)
{
    NetworkConfig config;
    config.interfaces.push_back(interface);
    auto files = render_networkmanager(config, "c", "l");
    REQUIRE(files.ok());
    REQUIRE(!files->empty());
    return parse(files->front().text);
}

IpPrefix prefix(const char* text)
{
    if (auto v4 = Ipv4Prefix::parse(text))
        return *v4;
    return Ipv6Prefix::parse(text).value();
}

std::string get(const std::map<std::string, std::string>& keys, const std::string& key)
{
    auto it = keys.find(key);
    return it == keys.end() ? "<unset>" : it->second;
}

}

TEST_CASE("networkmanager: ipv4 and ipv6 method and may-fail per dhcp, accept-ra and addresses")
{
    struct Row {
        bool dhcp4, dhcp6;
        std::optional<bool> accept_ra;
        const char* address; // a static address, or ""
        const char *ipv4, *ipv6, *ipv4_may_fail, *ipv6_may_fail;
    } rows[] = {
        { true, false, {}, "", "auto", "ignore", "false", "<unset>" },
        { true, true, {}, "", "auto", "auto", "<unset>", "true" },      // either family is enough
        { true, true, false, "", "auto", "dhcp", "<unset>", "true" },   // DHCPv6 without RAs
        { true, true, true, "", "auto", "auto", "<unset>", "true" },
        { false, false, true, "192.0.2.1/24", "manual", "auto", "<unset>", "true" }, // SLAAC
        { true, false, false, "", "auto", "ignore", "false", "<unset>" },
        { false, false, {}, "2001:db8::1/64", "disabled", "manual", "<unset>", "<unset>" },
        { false, true, {}, "", "disabled", "auto", "<unset>", "true" },
        { false, false, {}, "", "disabled", "ignore", "<unset>", "<unset>" },
        { true, false, true, "2001:db8::1/64", "auto", "auto", "<unset>", "true" },
    };
    for (const auto& row : rows) {
        Interface interface;
        interface.name = "eth0";
        interface.dhcp4 = row.dhcp4;
        interface.dhcp6 = row.dhcp6;
        interface.accept_ra = row.accept_ra;
        if (*row.address)
            interface.addresses.push_back(prefix(row.address));
        INFO("dhcp4 ", row.dhcp4, " dhcp6 ", row.dhcp6, " accept-ra ", row.accept_ra.has_value() ? int(*row.accept_ra) : -1, " address ", row.address);
        auto keys = render_one(interface);
        CHECK(get(keys, "ipv4.method") == row.ipv4);
        CHECK(get(keys, "ipv6.method") == row.ipv6);
        CHECK(get(keys, "ipv4.may-fail") == row.ipv4_may_fail);
        CHECK(get(keys, "ipv6.may-fail") == row.ipv6_may_fail);
    }
}

TEST_CASE("networkmanager: a MAC match without a rename matches the MAC, not a name")
{
    Interface interface;
    interface.name = "eth0";
    interface.match_mac = MacAddress({ 2, 0, 0, 0, 0, 1 });
    interface.dhcp4 = true;
    auto keys = render_one(interface);
    CHECK(get(keys, "ethernet.mac-address") == "02:00:00:00:00:01");
    CHECK(get(keys, "connection.interface-name") == "<unset>");
    NetworkConfig config;
    config.interfaces.push_back(interface);
    CHECK(render_networkmanager(config, "c", "l")->size() == 1); // no .link without set-name

    interface.set_name = "lan0";
    keys = render_one(interface);
    CHECK(get(keys, "ethernet.mac-address") == "<unset>");
    CHECK(get(keys, "connection.interface-name") == "lan0");
    CHECK(get(keys, "connection.id") == "cloud-init lan0");
}

TEST_CASE("networkmanager: routes, overrides, DNS of a disabled family, search domains")
{
    Interface interface;
    interface.name = "eth0";
    interface.dhcp6 = true;
    interface.dhcp6_overrides = { 300u, false };
    interface.routes.push_back({ prefix("2001:db8:5::/48"), std::nullopt, std::nullopt, 7u });
    interface.routes.push_back({ prefix("10.0.0.0/8"), std::nullopt, 5u, std::nullopt });
    interface.nameservers.push_back(Ipv4Address::parse("192.0.2.53").value());
    interface.nameservers.push_back(Ipv6Address::parse("2001:db8::53").value());
    interface.search_domains = { "example.com", "b.example." };
    auto keys = render_one(interface);
    CHECK(get(keys, "ipv6.route1") == "2001:db8:5::/48,,7"); // on-link, with a metric
    CHECK(get(keys, "ipv6.route-metric") == "300");
    CHECK(get(keys, "ipv6.ignore-auto-routes") == "true");
    CHECK(get(keys, "ipv6.never-default") == "true");
    CHECK(get(keys, "ipv6.dns") == "2001:db8::53;");
    // IPv4 is disabled: its route and server are dropped (libnm refuses
    // ipv4.dns with method=disabled), the search domains move to ipv6.
    CHECK(get(keys, "ipv4.method") == "disabled");
    CHECK(get(keys, "ipv4.dns") == "<unset>");
    CHECK(get(keys, "ipv4.route1") == "<unset>");
    CHECK(get(keys, "ipv6.dns-search") == "example.com;b.example.;");

    // Overrides are DHCP's: without dhcp4 the ipv4 ones are not written.
    interface.dhcp6 = false;
    interface.dhcp4_overrides = { 100u, false };
    interface.addresses.push_back(prefix("192.0.2.10/24"));
    keys = render_one(interface);
    CHECK(get(keys, "ipv4.route-metric") == "<unset>");
    CHECK(get(keys, "ipv4.route1") == "10.0.0.0/8");
    CHECK(get(keys, "ipv4.route1_options") == "table=5");
    CHECK(get(keys, "ipv4.dns-search") == "example.com;b.example.;");
    // A route and a server but no address: libnm refuses ipv6.dns with
    // method=ignore and method=manual without an address.
    CHECK(get(keys, "ipv6.method") == "ignore");
    CHECK(get(keys, "ipv6.dns") == "<unset>");
}

TEST_CASE("networkmanager: the format row's paths, places, modes and owned files")
{
    const Format* format = find_format("networkmanager");
    REQUIRE(format);
    std::map<std::string, bool> files { { "usr/sbin/NetworkManager", true } };
    RootView root {
        .exists = [&](std::string_view path) { return files.count(std::string(path)) > 0; },
        .is_directory = [](std::string_view) { return false; },
        .read_file = [](std::string_view) -> Result<std::optional<std::string>> { return std::optional<std::string>(); },
    };
    CHECK(format->present(root));
    files.clear();
    CHECK(!format->present(root));

    NetworkConfig config;
    Interface interface;
    interface.name = "ens5";
    interface.match_mac = MacAddress({ 6, 0, 0, 0, 0, 1 });
    interface.set_name = "ens5";
    interface.dhcp4 = true;
    config.interfaces.push_back(interface);
    struct Row {
        Persistence persistence;
        Place place;
        const char *keyfile, *link;
    } rows[] = {
        { Persistence::Persistent, Place::Root, "etc/NetworkManager/system-connections/cloud-init-ens5.nmconnection", "etc/systemd/network/10-cloud-init-ens5.link" },
        { Persistence::Runtime, Place::Runtime, "run/NetworkManager/system-connections/cloud-init-ens5.nmconnection", "run/systemd/network/10-cloud-init-ens5.link" },
    };
    for (const auto& row : rows) {
        auto out = format->render(config, root, row.persistence);
        REQUIRE(out.ok());
        REQUIRE(out->size() == 2);
        CHECK((*out)[0].place == row.place);
        CHECK((*out)[0].content.path == row.keyfile);
        CHECK((*out)[0].content.mode == 0600);
        CHECK((*out)[1].place == row.place);
        CHECK((*out)[1].content.path == row.link);
        auto owned = format->owned(row.persistence);
        REQUIRE(owned.size() == 2);
        for (size_t i = 0; i < 2; ++i) {
            const std::string path = (*out)[i].content.path;
            CHECK(owned[i].place == row.place);
            CHECK(path.starts_with(std::string(owned[i].directory) + "/" + std::string(owned[i].prefix)));
            CHECK(path.ends_with(owned[i].suffix));
        }
    }
}
