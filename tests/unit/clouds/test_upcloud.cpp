// UpCloud: detection, metadata/v1.json through the provider against a fake
// service, the parser's bad-input table, cloud-init's mapping (DHCP,
// stateless DHCPv6, static with the network's prefix, per-address DNS,
// unknown MAC), and the render case tests/fixtures/render/cases/
// upcloud_four_nics.json.
#include "clouds/fetch.h"
#include "clouds/registry.h"
#include "clouds/upcloud/upcloud.h"

#include "../fake_transport.h"
#include "metadata_v1_golden.h"

#include <doctest/doctest.h>

using namespace mb;
using namespace mb::clouds;
using namespace metadata_v1_test;

namespace {

std::string document()
{
    return case_member(read_text("tests/fixtures/render/cases/upcloud_four_nics.json"), "upcloud");
}

InstanceMetadata parse(const std::string& json, std::vector<std::string>* warnings_out = nullptr)
{
    InstanceMetadata m;
    std::vector<std::string> warnings;
    REQUIRE(apply_upcloud_metadata(json, m, warnings).ok());
    if (warnings_out)
        *warnings_out = warnings;
    return m;
}

MacAddress mac(const char* text)
{
    return MacAddress::parse(text).value();
}

const std::vector<SystemNic> system_nics {
    { mac("3a:d6:ba:4a:36:e7"), "eth0" },
    { mac("3a:d6:ba:4a:84:cc"), "eth1" },
    { mac("3a:d6:ba:4a:63:e7"), "eth2" },
    { mac("3a:d6:ba:4a:8a:e1"), "eth3" },
};

// One NIC whose ip_addresses are `addresses`, with the global DNS list.
std::string with_addresses(const std::string& addresses)
{
    return R"({"instance_id": "u1", "network": {"dns": ["198.18.127.9"], "interfaces": [{"mac": "3a:d6:ba:4a:36:e7", "ip_addresses": [)" + addresses
        + "]}]}}";
}

}

TEST_CASE("upcloud: detection from sys_vendor, with a server UUID")
{
    PlatformFacts facts;
    facts.dmi.sys_vendor = "UpCloud";
    facts.dmi.product_uuid = "00322b68-0096-4042-9406-faad61922128";
    CHECK(detect_upcloud(facts) == Verdict::Yes);
    CHECK(detect_cloud(facts) == &upcloud_cloud);
    CHECK(find_cloud("upcloud") == &upcloud_cloud);
    facts.dmi.product_uuid.clear();
    CHECK(detect_upcloud(facts) == Verdict::No);
    facts.dmi.product_uuid = "x";
    for (const char* vendor : { "upcloud", "UpCloud Ltd", "" }) {
        facts.dmi.sys_vendor = vendor;
        CHECK(detect_upcloud(facts) == Verdict::No);
    }
}

TEST_CASE("upcloud: one plain GET of /metadata/v1.json, the server in the model")
{
    std::string body = document();
    testing::FakeTime time;
    testing::FakeTransport transport(time, [&](const testing::FakeRequest& request) {
        if (request.method != "GET" || request.target != "/metadata/v1.json")
            return testing::FakeReply { testing::http_reply(404, "") };
        return testing::FakeReply { testing::http_reply(200, body, "Content-Type: application/json\r\n") };
    });
    FetchStats stats;
    auto result = fetch_metadata(upcloud_cloud, FetchOptions {}, transport, time, time.now() + http::Milliseconds(5000), stats);
    REQUIRE_MESSAGE(result.ok(), result.error().message());
    REQUIRE(transport.requests.size() == 1);
    CHECK(transport.requests[0].target == "/metadata/v1.json");
    auto const& m = *result;
    CHECK(m.cloud == "upcloud");
    CHECK(m.instance_id == "00322b68-0096-4042-9406-faad61922128");
    CHECK(m.hostname == "test.example.com");
    CHECK(m.availability_zone == "fi-hel2");
    CHECK(m.public_keys.size() == 1);
    CHECK(m.user_data == std::optional<std::string>("#cloud-config\n"));
    REQUIRE(m.has_network_data);
    REQUIRE(m.nics.size() == 4);
    // DHCPv4 and the floating /32.
    CHECK(m.nics[0].ipv4_dhcp);
    CHECK(m.nics[0].ipv4_addresses == std::vector<Ipv4Prefix> { *Ipv4Prefix::parse("198.18.105.50/32") });
    CHECK_FALSE(m.nics[0].ipv4_gateway);
    // The DHCP address's DNS (the global list) is not the NIC's own.
    CHECK(m.nics[0].dns_ipv4.empty());
    // Stateless DHCPv6.
    CHECK(m.nics[2].ipv6_dhcp);
    CHECK(m.nics[2].ipv6_slaac);
    CHECK(m.nics[2].ipv6_addresses.empty());
    // A static address whose DNS differs from the global list keeps it.
    CHECK(m.nics[3].dns_ipv4 == std::vector<Ipv4Address> { *Ipv4Address::parse("198.18.30.53") });
    CHECK(m.nics[3].ipv4_gateway == Ipv4Address::parse("198.18.30.1"));
}

Result<NetworkConfig> map(const InstanceMetadata& m, const std::vector<SystemNic>& system = system_nics)
{
    return find_cloud("upcloud")->map_network(m, system, {});
}

TEST_CASE("upcloud: per-address DNS only where it differs from the global list")
{
    // The same servers: the global list, given to the interface because it
    // has a static address and no DNS of its own.
    auto same = parse(with_addresses(R"({"address": "198.18.0.2", "dhcp": false, "dns": ["198.18.127.9"], "family": "IPv4", "gateway": "", "network": "198.18.0.0/24"})"));
    REQUIRE(same.has_network_data);
    CHECK(same.nics[0].dns_ipv4.empty());
    auto config = map(same);
    REQUIRE(config.ok());
    CHECK(config->interfaces[0].nameservers == std::vector<IpAddress> { *Ipv4Address::parse("198.18.127.9") });
    // Other servers replace the global list on that interface.
    auto other = map(parse(with_addresses(R"({"address": "198.18.0.2", "dhcp": false, "dns": ["198.18.0.53", "2001:db8::53"], "family": "IPv4", "gateway": "", "network": "198.18.0.0/24"})")));
    REQUIRE(other.ok());
    CHECK(other->interfaces[0].nameservers == std::vector<IpAddress> { *Ipv4Address::parse("198.18.0.53"), *Ipv6Address::parse("2001:db8::53") });
    // An empty list is "none of its own".
    auto empty = map(parse(with_addresses(R"({"address": "198.18.0.2", "dhcp": false, "dns": [], "family": "IPv4", "gateway": "", "network": "198.18.0.0/24"})")));
    REQUIRE(empty.ok());
    CHECK(empty->interfaces[0].nameservers.size() == 1);
    // A DHCP-only interface gets no static DNS at all.
    auto dhcp = map(parse(with_addresses(R"({"address": "198.18.0.2", "dhcp": true, "dns": ["198.18.0.53"], "family": "IPv4", "gateway": "198.18.0.1", "network": "198.18.0.0/24"})")));
    REQUIRE(dhcp.ok());
    CHECK(dhcp->interfaces[0].dhcp4);
    CHECK(dhcp->interfaces[0].nameservers.empty());
    CHECK(dhcp->interfaces[0].addresses.empty());
    CHECK(dhcp->interfaces[0].routes.empty());
}

TEST_CASE("upcloud: static IPv4 and IPv6 with the network's prefix and a gateway; DHCPv6 is stateless")
{
    auto m = parse(with_addresses(R"({"address": "198.18.0.2", "dhcp": false, "family": "IPv4", "gateway": "198.18.0.1", "network": "198.18.0.0/22"},
        {"address": "2001:db8:1::2", "dhcp": false, "family": "IPv6", "gateway": "2001:db8:1::1", "network": "2001:db8:1::/64"},
        {"address": "2001:db8:2::", "dhcp": true, "family": "IPv6", "gateway": "", "network": "2001:db8:2::/64"})"));
    auto config = map(m);
    REQUIRE(config.ok());
    auto const& eth0 = config->interfaces[0];
    CHECK(eth0.addresses == std::vector<IpPrefix> { *Ipv4Prefix::parse("198.18.0.2/22"), *Ipv6Prefix::parse("2001:db8:1::2/64") });
    CHECK(eth0.routes.size() == 2);
    CHECK(eth0.dhcp6);
    CHECK(eth0.dhcp6_stateless);
    CHECK_FALSE(eth0.dhcp4);
    // SLAAC and dhclient -S, as cloud-init's ENI stanza, but the client in
    // the background (cloud-init's `dhcp 1` holds ifup for a minute).
    auto eni = render::render_ifupdown(*config);
    REQUIRE(eni.ok());
    CHECK(eni->find("iface eth0 inet6 auto\n    dhcp 0\n    up (/lib/ifupdown/wait-for-ll6.sh && exec dhclient -6 -S -pf /run/dhclient6.eth0.pid") != std::string::npos);
    auto netplan = render::render_netplan(*config);
    REQUIRE(netplan.ok());
    CHECK(netplan->find("dhcp6: true") != std::string::npos);
}

TEST_CASE("upcloud: bad input is refused, dropped with a warning, or drops the network data")
{
    // Each malformed address drops the whole network data (cloud-init's
    // conversion would raise or write a broken config).
    const char* rows[] = {
        R"({"address": "198.18.0.2", "dhcp": false, "family": "IPv4", "gateway": "", "network": "198.18.0.0"})",
        R"({"address": "198.18.0.2", "dhcp": false, "family": "IPv4", "gateway": "", "network": "198.18.0.0/33"})",
        R"({"address": "198.18.0.2", "dhcp": false, "family": "IPv4", "gateway": "", "network": 24})",
        R"({"address": "198.18.0.2\n", "dhcp": false, "family": "IPv4", "gateway": "", "network": "198.18.0.0/24"})",
        R"({"address": "198.18.0.2", "dhcp": false, "family": "IPv6", "gateway": "", "network": "198.18.0.0/24"})",
        R"({"address": "2001:db8::2", "dhcp": false, "family": "IPv4", "gateway": "", "network": "2001:db8::/64"})",
        R"({"address": "198.18.0.2", "dhcp": false, "family": "IPv4", "gateway": "198.18.0.1\"", "network": "198.18.0.0/24"})",
        // Only JSON true is DHCP (cloud-init takes any truthy value): this is
        // a static address, and its network has no prefix.
        R"({"address": "198.18.0.2", "dhcp": "yes", "family": "IPv4", "gateway": "", "network": "198.18.0.0"})",
        R"("198.18.0.2")",
        R"({"address": "198.18.0.2", "dhcp": false, "family": "IPv4", "gateway": 1, "network": "198.18.0.0/24"})",
        R"({"address": "198.18.0.2", "dhcp": false, "family": "IPv4", "gateway": "", "network": "198.18.0.0/x"})",
        R"({"address": "198.18.0.2", "dhcp": false, "family": "IPv4", "gateway": "", "network": "198.18.0.0/-1"})",
    };
    for (std::string address : rows) {
        CAPTURE(address);
        std::vector<std::string> warnings;
        auto m = parse(with_addresses(address), &warnings);
        CHECK(m.instance_id == "u1");
        CHECK_FALSE(m.has_network_data);
        CHECK(m.nics.empty());
        CHECK(warnings.size() == 1);
        CHECK(map(m).is_error());
    }
    for (std::string network : { R"({"interfaces": {}})", R"({"interfaces": []})", R"({"interfaces": [{"mac": "3a:d6:ba:4a:36:e7"}]})",
             R"({"interfaces": [{"mac": "x", "ip_addresses": []}]})", R"("network")" }) {
        CAPTURE(network);
        auto m = parse(std::string(R"({"network": )") + network + "}");
        CHECK_FALSE(m.has_network_data);
        CHECK(map(m).is_error());
    }
    // A DNS server that is not an address is dropped with a warning.
    std::vector<std::string> warnings;
    auto dns = parse(with_addresses(R"({"address": "198.18.0.2", "dhcp": false, "dns": ["198.18.0.53; rm", 7], "family": "IPv4", "gateway": "", "network": "198.18.0.0/24"})"), &warnings);
    CHECK(dns.has_network_data);
    CHECK(warnings.size() == 2);
    // Identity: bad values dropped, wrong types add nothing, oversized refused.
    auto identity = parse(R"({"instance_id": "a b", "hostname": "x\ny", "region": 3, "public_keys": "ssh-rsa", "user_data": null})", &warnings);
    CHECK(identity.instance_id.empty());
    CHECK(identity.hostname.empty());
    CHECK(identity.availability_zone.empty());
    CHECK(identity.public_keys.empty());
    CHECK_FALSE(identity.user_data);
    CHECK(parse(R"({"hostname": ")" + std::string(70000, 'h') + R"("})").hostname.empty());
    for (const char* not_object : { "", "[]", "1", "{\"a\":", "{}x" }) {
        InstanceMetadata empty;
        CHECK(apply_upcloud_metadata(not_object, empty, warnings).is_error());
    }
}

TEST_CASE("upcloud: an unknown MAC is an error; names are the kernel's")
{
    auto m = parse(document());
    std::vector<SystemNic> three(system_nics.begin(), system_nics.begin() + 3);
    auto missing = map(m, three);
    REQUIRE(missing.is_error());
    CHECK(missing.error().message().find("3a:d6:ba:4a:8a:e1") != std::string::npos);
    std::vector<SystemNic> renamed = system_nics;
    renamed[0].name = "ens3";
    auto config = map(m, renamed);
    REQUIRE(config.ok());
    CHECK(config->interfaces[0].name == "ens3");
    CHECK(config->interfaces[0].set_name == std::optional<std::string>("ens3"));
}

TEST_CASE("render golden: UpCloud DHCP with a floating address, DHCP, stateless DHCPv6, static with its own DNS")
{
    auto config = map(parse(document()));
    REQUIRE(config.ok());
    REQUIRE(config->interfaces.size() == 4);
    CHECK(config->interfaces[0].nameservers.size() == 2);
    CHECK(config->interfaces[1].nameservers.empty());
    CHECK(config->interfaces[2].dhcp6_stateless);
    CHECK(config->interfaces[3].nameservers.size() == 1);
    check_goldens("upcloud_four_nics", *config);
}
