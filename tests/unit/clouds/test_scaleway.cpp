// Scaleway: detection, /conf?format=json and /user_data/cloud-init through
// the provider against a fake service (a connection from a privileged
// port, 404 for no user-data, never a PATCH), the parser's bad-input table,
// cloud-init's two network configs, and the render cases
// tests/fixtures/render/cases/scaleway_*.json.
#include "clouds/fetch.h"
#include "clouds/registry.h"
#include "clouds/scaleway/scaleway.h"

#include "../fake_transport.h"
#include "metadata_v1_golden.h"

#include <doctest/doctest.h>

using namespace mb;
using namespace mb::clouds;
using namespace metadata_v1_test;

namespace {

std::string document(const char* name = "scaleway_routed_ipv6")
{
    return case_member(read_text(std::string("tests/fixtures/render/cases/") + name + ".json"), "scaleway");
}

MacAddress mac(const char* text)
{
    return MacAddress::parse(text).value();
}

InstanceMetadata parse(const std::string& json, std::vector<std::string>* warnings_out = nullptr)
{
    InstanceMetadata m;
    std::vector<std::string> warnings;
    REQUIRE(apply_scaleway_metadata(json, m, warnings).ok());
    if (warnings_out)
        *warnings_out = warnings;
    return m;
}

const std::vector<SystemNic> system_nics { { mac("de:00:00:aa:bb:01"), "eth0" } };

MappingOptions leased(const char* address)
{
    MappingOptions options;
    options.leased_mac = mac("de:00:00:aa:bb:01");
    if (address)
        options.leased_address = Ipv4Address::parse(address);
    return options;
}

}

TEST_CASE("scaleway: detection from sys_vendor or the word scaleway on the kernel command line")
{
    PlatformFacts facts;
    facts.dmi.sys_vendor = "Scaleway";
    facts.dmi.product_name = "SCW-DEV1-S";
    CHECK(detect_scaleway(facts) == Verdict::Yes);
    CHECK(detect_cloud(facts) == &scaleway_cloud);
    CHECK(find_cloud("scaleway") == &scaleway_cloud);
    facts.dmi.sys_vendor = "QEMU";
    for (const char* cmdline : { "scaleway", "root=/dev/vda1 scaleway quiet\n", "quiet scaleway" }) {
        facts.cmdline = cmdline;
        CHECK(detect_scaleway(facts) == Verdict::Yes);
    }
    for (const char* cmdline : { "", "scaleway=1", "noscaleway", "root=LABEL=scaleway" }) {
        facts.cmdline = cmdline;
        CHECK(detect_scaleway(facts) == Verdict::No);
    }
    facts.cmdline.clear();
    facts.dmi.sys_vendor = "scaleway";
    CHECK(detect_scaleway(facts) == Verdict::No);
}

TEST_CASE("scaleway: the document and the user-data over one connection from a port below 1024, GETs only")
{
    std::vector<std::string> log;
    testing::FakeTime time;
    testing::FakeTransport transport(time, [&](const testing::FakeRequest& request) {
        log.push_back(request.method + " " + request.target);
        if (request.method != "GET")
            return testing::FakeReply { testing::http_reply(405, "") };
        if (request.target == "/conf?format=json")
            return testing::FakeReply { testing::http_reply(200, document(), "Content-Type: application/json\r\n") };
        if (request.target == "/user_data/cloud-init")
            return testing::FakeReply { testing::http_reply(200, "#cloud-config\n", "Content-Type: text/plain\r\n") };
        return testing::FakeReply { testing::http_reply(404, "") };
    });
    FetchStats stats;
    FetchOptions options;
    options.base_url = "http://169.254.42.42";
    auto result = fetch_metadata(scaleway_cloud, options, transport, time, time.now() + http::Milliseconds(5000), stats);
    REQUIRE_MESSAGE(result.ok(), result.error().message());
    CHECK(log == std::vector<std::string> { "GET /conf?format=json", "GET /user_data/cloud-init" });
    REQUIRE(transport.endpoints.size() == 1);
    CHECK(transport.endpoints[0].privileged_source_port);
    CHECK(transport.endpoints[0].address == Ipv4Address(169, 254, 42, 42));
    auto const& m = *result;
    CHECK(m.cloud == "scaleway");
    CHECK(m.instance_id == "5a2e5c87-0b5e-4d7e-9a2b-0a3f0e6a9c11");
    CHECK(m.hostname == "scw-test");
    CHECK(m.local_hostname == "scw-test");
    // ssh_public_keys, then the AUTHORIZED_KEY= tag with '_' for ' '.
    CHECK(m.public_keys == std::vector<std::string> { "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB test@example", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC tagged@example" });
    CHECK(m.user_data == std::optional<std::string>("#cloud-config\n"));
    CHECK(m.region.empty());
    CHECK(m.availability_zone.empty());
}

TEST_CASE("scaleway: no user-data (404) is none; another cloud connects from any port")
{
    testing::FakeTime time;
    testing::FakeTransport transport(time, [&](const testing::FakeRequest& request) {
        if (request.target == "/conf?format=json")
            return testing::FakeReply { testing::http_reply(200, document("scaleway_legacy")) };
        return testing::FakeReply { testing::http_reply(404, "") };
    });
    FetchStats stats;
    auto result = fetch_metadata(scaleway_cloud, FetchOptions {}, transport, time, time.now() + http::Milliseconds(5000), stats);
    REQUIRE_MESSAGE(result.ok(), result.error().message());
    CHECK_FALSE(result->user_data);
    CHECK(stats.warnings.empty());

    testing::FakeTransport other(time, [](const testing::FakeRequest&) { return testing::FakeReply { testing::http_reply(200, "{}") }; });
    FetchStats other_stats;
    (void)fetch_metadata(*find_cloud("upcloud"), FetchOptions {}, other, time, time.now() + http::Milliseconds(5000), other_stats);
    REQUIRE_FALSE(other.endpoints.empty());
    CHECK_FALSE(other.endpoints[0].privileged_source_port);
}

TEST_CASE("scaleway: bad input is refused or dropped with a warning")
{
    InstanceMetadata m;
    std::vector<std::string> warnings;
    for (const char* bad : { "", "[]", "null", "{", "{\"id\": }" })
        CHECK(apply_scaleway_metadata(bad, m, warnings).is_error());

    auto hostile = parse(R"({"id": "x'; reboot", "hostname": "-bad-", "ssh_public_keys": [{"key": "nope"}, "x", {"key": 3}],
        "tags": ["AUTHORIZED_KEY=", 5, "AUTHORIZED_KEY=ssh-ed25519_AAAA\ninjected"], "private_ip": null,
        "public_ips": [{"address": "198.18.1.1", "netmask": "33"}, {"address": "x", "netmask": "32"}, {"address": "2001:db8::1", "netmask": "64", "family": "inet6"},
        {"address": "198.18.1.2", "netmask": 32}, {"address": "2001:db8::2", "netmask": "200", "family": "inet6", "gateway": "2001:db8::"}, "string"]})", &warnings);
    CHECK(hostile.instance_id.empty());
    CHECK(hostile.hostname.empty());
    CHECK(hostile.public_keys.empty());
    REQUIRE(hostile.nics.size() == 1);
    // Only the address with a number for its netmask stands.
    CHECK(hostile.nics[0].ipv4_addresses == std::vector<Ipv4Prefix> { Ipv4Prefix(Ipv4Address(198, 18, 1, 2), 32) });
    CHECK(hostile.nics[0].ipv6_addresses.empty());
    CHECK(warnings.size() >= 8);

    // A legacy config whose ipv6 lacks its gateway keeps DHCPv4 alone.
    auto legacy = parse(R"({"id": "a", "private_ip": "198.18.0.2", "ipv6": {"address": "2001:db8::1", "netmask": "64"}})", &warnings);
    REQUIRE(legacy.nics.size() == 1);
    CHECK(legacy.nics[0].ipv4_dhcp);
    CHECK(legacy.nics[0].ipv6_addresses.empty());
}

TEST_CASE("scaleway: over IPv6 no address is the lease's, so every one is static")
{
    auto config = find_cloud("scaleway")->map_network(parse(document()), system_nics, leased(nullptr));
    REQUIRE(config.ok());
    REQUIRE(config->interfaces.size() == 1);
    auto const& interface = config->interfaces[0];
    CHECK_FALSE(interface.dhcp4);
    CHECK(interface.addresses.size() == 3);
    REQUIRE(interface.routes.size() == 1);
    CHECK(is_ipv6(interface.routes[0].to));
}

TEST_CASE("render golden: Scaleway routed IPs, the lease's by DHCP with the metadata route on-link, the others static")
{
    auto config = find_cloud("scaleway")->map_network(parse(document()), system_nics, leased("198.18.40.10"));
    REQUIRE(config.ok());
    REQUIRE(config->interfaces.size() == 1);
    auto const& interface = config->interfaces[0];
    CHECK(interface.name == "eth0");
    CHECK_FALSE(interface.match_mac);
    CHECK(interface.dhcp4);
    CHECK(interface.addresses == std::vector<IpPrefix> { Ipv4Prefix(Ipv4Address(198, 18, 41, 20), 32), *Ipv6Prefix::parse("2001:db8:42:7::1/64") });
    REQUIRE(interface.routes.size() == 2);
    CHECK(interface.routes[0] == Route { Ipv4Prefix(Ipv4Address(169, 254, 42, 42), 32), IpAddress(Ipv4Address(62, 210, 0, 1)), std::nullopt, std::nullopt, true });
    CHECK(interface.routes[1].via == std::optional<IpAddress>(*Ipv6Address::parse("2001:db8:42:7::")));
    check_goldens("scaleway_routed_ipv6", *config);
}

TEST_CASE("render golden: Scaleway with a private_ip, DHCPv4 and the static IPv6 with its default route")
{
    auto config = find_cloud("scaleway")->map_network(parse(document("scaleway_legacy")), { { mac("de:00:00:aa:bb:02"), "eth0" } }, [] {
        MappingOptions options;
        options.leased_mac = mac("de:00:00:aa:bb:02");
        options.leased_address = Ipv4Address(198, 18, 60, 5);
        return options;
    }());
    REQUIRE(config.ok());
    REQUIRE(config->interfaces.size() == 1);
    CHECK(config->interfaces[0].dhcp4);
    CHECK(config->interfaces[0].addresses == std::vector<IpPrefix> { *Ipv6Prefix::parse("2001:db8:43::1/127") });
    REQUIRE(config->interfaces[0].routes.size() == 1);
    check_goldens("scaleway_legacy", *config);
}
