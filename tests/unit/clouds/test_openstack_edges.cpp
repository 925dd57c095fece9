// OpenStack's parsers on bad single values: each case names the value dropped
// and the exact warning or error (issue 19 item 4).
#include "clouds/fetch.h"
#include "clouds/openstack/openstack.h"
#include "clouds/values.h"

#include "../fake_transport.h"
#include "../show_strings.h"

#include <doctest/doctest.h>

#include <map>

using namespace mb;
using namespace mb::clouds;

namespace {

// One link "l" that every network below hangs on.
std::string network_data_with(std::string_view networks, std::string_view services = "[]")
{
    return concat({ R"({"links": [{"id": "l", "type": "phy", "ethernet_mac_address": "fa:16:3e:00:00:01"}], "networks": [)", networks,
        R"(], "services": )", services, "}" });
}

struct Parsed {
    InstanceMetadata metadata;
    std::vector<std::string> warnings;
};

Parsed parse_network_data(const std::string& json)
{
    Parsed out;
    auto status = apply_openstack_network_data(json, out.metadata, out.warnings);
    REQUIRE_MESSAGE(status.ok(), status.error().message());
    return out;
}

struct RawOpenStack {
    std::map<std::string, std::string> replies {
        { "/openstack/", testing::http_reply(200, "2015-10-15\nlatest\n") },
        { "/openstack/latest/meta_data.json", testing::http_reply(200, R"({"uuid": "u-1"})") },
        { "/openstack/latest/network_data.json", testing::http_reply(200, R"({"links": []})") },
        { "/openstack/latest/user_data", testing::http_reply(200, "#cloud-config\n") },
    };
    testing::FakeReply handle(const testing::FakeRequest& request)
    {
        auto it = replies.find(request.target);
        return { it == replies.end() ? testing::http_reply(404, "") : it->second };
    }
};

}

TEST_CASE("openstack edges: one bad network value, dropped with its exact warning")
{
    struct Case {
        const char* name;
        const char* networks;
        const char* services;
        std::vector<std::string> warnings;
    };
    const Case cases[] = {
        { "ipv4 without ip_address", R"({"type": "ipv4", "link": "l", "netmask": "255.255.255.0"})", "[]",
            { "dropping ipv4 network on 'l': bad ip_address or netmask" } },
        { "ipv4 without netmask", R"({"type": "ipv4", "link": "l", "ip_address": "10.0.0.5"})", "[]",
            { "dropping ipv4 network on 'l': bad ip_address or netmask" } },
        { "ipv4 with a bad address", R"({"type": "ipv4", "link": "l", "ip_address": "10.0.0.500", "netmask": "255.0.0.0"})", "[]",
            { "dropping ipv4 network on 'l': bad ip_address or netmask" } },
        { "ipv4 netmask that is no address", R"({"type": "ipv4", "link": "l", "ip_address": "10.0.0.5", "netmask": "255.255.255"})", "[]",
            { "dropping ipv4 network on 'l': bad ip_address or netmask" } },
        { "ipv6 netmask that is no address", R"({"type": "ipv6", "link": "l", "ip_address": "fd00::5", "netmask": "ffff:ffff::ffff::"})", "[]",
            { "dropping ipv6 network on 'l': bad ip_address or netmask" } },
        { "unknown network type", R"({"id": "n", "type": "ipv4_magic", "link": "l"})", "[]",
            { "skipping network type 'ipv4_magic'" } },
        { "network on an unknown link", R"({"type": "ipv4_dhcp", "link": "m"})", "[]",
            { "dropping network on unknown link 'm'" } },
        { "a route without a gateway", R"({"id": "n0", "type": "ipv4", "link": "l", "ip_address": "10.0.0.5/24", "routes": [{"network": "10.1.0.0", "netmask": "255.255.0.0"}]})", "[]",
            { "dropping a malformed route of network 'n0'" } },
        { "a dns service without an address", R"({"type": "ipv4_dhcp", "link": "l", "services": [{"type": "dns"}]})", "[]",
            { "dropping a dns service without an address" } },
        { "a dns service address that is no address", R"({"type": "ipv4_dhcp", "link": "l"})", R"([{"type": "dns", "address": "ns1.example; reboot"}])",
            { "dropping dns service address 'ns1.example; reboot'" } },
    };
    for (auto const& c : cases) {
        INFO(std::string(c.name));
        auto parsed = parse_network_data(network_data_with(c.networks, c.services));
        CHECK(testing::joined(parsed.warnings) == testing::joined(c.warnings));
        REQUIRE(parsed.metadata.nics.size() == 1);
        auto const& nic = parsed.metadata.nics[0];
        CHECK(nic.ipv4_addresses.empty() == (std::string_view(c.networks).find("10.0.0.5/24") == std::string_view::npos));
        CHECK(nic.ipv4_routes.empty());
        CHECK(nic.ipv6_addresses.empty());
        CHECK(nic.dns_ipv4.empty());
        CHECK(parsed.metadata.dns_ipv4.empty());
        CHECK(parsed.metadata.dns_ipv6.empty());
    }
}

TEST_CASE("openstack edges: repeated DNS addresses are kept once, per NIC and globally")
{
    auto parsed = parse_network_data(network_data_with(
        R"({"type": "ipv4_dhcp", "link": "l", "services": [{"type": "dns", "address": "10.0.0.2"}, {"type": "dns", "address": "10.0.0.2"}, {"type": "dns", "address": "fd00::2"}, {"type": "dns", "address": "fd00::2"}]})",
        R"([{"type": "dns", "address": "8.8.8.8"}, {"type": "dns", "address": "8.8.8.8"}])"));
    CHECK(parsed.warnings.empty());
    REQUIRE(parsed.metadata.nics.size() == 1);
    REQUIRE(parsed.metadata.nics[0].dns_ipv4.size() == 1);
    CHECK(parsed.metadata.nics[0].dns_ipv4[0].to_string() == "10.0.0.2");
    REQUIRE(parsed.metadata.nics[0].dns_ipv6.size() == 1);
    CHECK(parsed.metadata.nics[0].dns_ipv6[0].to_string() == "fd00::2");
    REQUIRE(parsed.metadata.dns_ipv4.size() == 1);
    CHECK(parsed.metadata.dns_ipv4[0].to_string() == "8.8.8.8");
}

TEST_CASE("openstack edges: a link without an id and a repeated link id are dropped")
{
    auto parsed = parse_network_data(R"({"links": [
        {"type": "phy", "ethernet_mac_address": "fa:16:3e:00:00:09"},
        {"id": "l", "type": "phy", "ethernet_mac_address": "fa:16:3e:00:00:01"},
        {"id": "l", "type": "phy", "ethernet_mac_address": "fa:16:3e:00:00:02"}],
      "networks": [{"type": "ipv4_dhcp", "link": "l"}]})");
    CHECK(testing::joined(parsed.warnings) == testing::joined({ "dropping a link without an id", "dropping duplicate link id 'l'" }));
    REQUIRE(parsed.metadata.nics.size() == 1);
    CHECK(parsed.metadata.nics[0].mac.to_string() == "fa:16:3e:00:00:01");
    CHECK(parsed.metadata.nics[0].ipv4_dhcp);
}

TEST_CASE("openstack edges: meta_data.json that is not an object, and public keys that are not strings")
{
    InstanceMetadata instance;
    std::vector<std::string> warnings;
    for (auto bad : { "[]", "\"uuid\"", "5" }) {
        INFO(std::string(bad));
        auto status = apply_openstack_meta_data(bad, instance, warnings);
        REQUIRE(status.is_error());
        CHECK(status.error().kind() == ErrorKind::Invalid);
        CHECK(status.error().message() == "meta_data.json: not a JSON object");
    }
    CHECK(warnings.empty());

    auto status = apply_openstack_meta_data(R"({"public_keys": {"a": 5, "b": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKJ5mCvRWfm4 b", "c": null}})", instance, warnings);
    REQUIRE(status.ok());
    CHECK(testing::joined(instance.public_keys) == testing::joined({ "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKJ5mCvRWfm4 b" }));
    CHECK(testing::joined(warnings) == testing::joined({ "dropping a public key that is not a string", "dropping a public key that is not a string" }));
}

TEST_CASE("openstack edges: network_data.json refused (not 404) fails the fetch")
{
    RawOpenStack service;
    service.replies["/openstack/latest/network_data.json"] = testing::http_reply(403, "");
    testing::FakeTime time;
    testing::FakeTransport transport(time, [&](const testing::FakeRequest& r) { return service.handle(r); });
    FetchStats stats;
    auto result = fetch_metadata(openstack_cloud, {}, transport, time, time.now() + http::Milliseconds(5000), stats);
    REQUIRE(result.is_error());
    CHECK(result.error().message() == "GET /openstack/latest/network_data.json: unexpected HTTP 403");
}
