// DigitalOcean: detection, metadata/v1.json through the provider against a
// fake service, the parser's bad-input table, cloud-init's mapping
// (unknown MAC, renaming, gateways), and the render case
// tests/fixtures/render/cases/digitalocean_public_private.json.
#include "clouds/digitalocean/digitalocean.h"
#include "clouds/fetch.h"
#include "clouds/registry.h"

#include "../fake_transport.h"
#include "metadata_v1_golden.h"

#include <doctest/doctest.h>

using namespace mb;
using namespace mb::clouds;
using namespace metadata_v1_test;

namespace {

const std::string key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB test@example";

std::string document()
{
    return case_member(read_text("tests/fixtures/render/cases/digitalocean_public_private.json"), "digitalocean");
}

InstanceMetadata parse(const std::string& json, std::vector<std::string>* warnings_out = nullptr)
{
    InstanceMetadata m;
    std::vector<std::string> warnings;
    REQUIRE(apply_digitalocean_metadata(json, m, warnings).ok());
    if (warnings_out)
        *warnings_out = warnings;
    return m;
}

MacAddress mac(const char* text)
{
    return MacAddress::parse(text).value();
}

const std::vector<SystemNic> system_nics { { mac("04:01:57:d1:9e:01"), "ens3" }, { mac("04:01:57:d1:9e:02"), "ens4" } };

// A public NIC with the given ipv4 object (and a valid MAC), as a document.
std::string with_public(const std::string& nic)
{
    return R"({"droplet_id": 1, "interfaces": {"public": [)" + nic + R"(]}, "dns": {"nameservers": ["198.18.77.1"]}})";
}

}

TEST_CASE("digitalocean: detection from sys_vendor, with a droplet id")
{
    PlatformFacts facts;
    facts.dmi.sys_vendor = "DigitalOcean";
    facts.dmi.product_serial = "2756294";
    CHECK(detect_digitalocean(facts) == Verdict::Yes);
    CHECK(detect_cloud(facts) == &digitalocean_cloud);
    CHECK(find_cloud("digitalocean") == &digitalocean_cloud);
    // cloud-init's read_sysinfo() gives up without the droplet id.
    facts.dmi.product_serial.clear();
    CHECK(detect_digitalocean(facts) == Verdict::No);
    facts.dmi.product_serial = "1";
    for (const char* vendor : { "digitalocean", "DigitalOcean ", "DigitalOcean, LLC", "" }) {
        facts.dmi.sys_vendor = vendor;
        CHECK(detect_digitalocean(facts) == Verdict::No);
    }
}

TEST_CASE("digitalocean: one plain GET of /metadata/v1.json, the droplet in the model")
{
    std::string body = document();
    testing::FakeTime time;
    testing::FakeTransport transport(time, [&](const testing::FakeRequest& request) {
        // The service's own rule is a plain 404 for anything it lacks.
        if (request.target != "/metadata/v1.json")
            return testing::FakeReply { testing::http_reply(404, "not found") };
        return testing::FakeReply { testing::http_reply(200, body, "Content-Type: application/json\r\n") };
    });
    FetchStats stats;
    auto result = fetch_metadata(digitalocean_cloud, FetchOptions {}, transport, time, time.now() + http::Milliseconds(5000), stats);
    REQUIRE_MESSAGE(result.ok(), result.error().message());
    REQUIRE(transport.requests.size() == 1);
    CHECK(transport.requests[0].method == "GET");
    CHECK(transport.requests[0].target == "/metadata/v1.json");
    CHECK(transport.requests[0].header("metadata-flavor").empty());
    CHECK(transport.requests[0].header("authorization").empty());
    auto const& m = *result;
    CHECK(m.cloud == "digitalocean");
    CHECK(m.instance_id == "2756294");
    CHECK(m.hostname == "cloudinit-test");
    CHECK(m.local_hostname == "cloudinit-test");
    CHECK(m.availability_zone == "nyc3");
    CHECK(m.region.empty());
    CHECK(m.public_keys == std::vector<std::string> { key });
    CHECK(m.user_data == std::optional<std::string>("#!/bin/sh\necho hello\n"));
    REQUIRE(m.has_network_data);
    REQUIRE(m.nics.size() == 2);
    CHECK(m.nics[0].mac == mac("04:01:57:d1:9e:01"));
    CHECK(m.nics[0].device_number == 0u);
    CHECK(m.nics[0].ipv4_addresses == std::vector<Ipv4Prefix> { *Ipv4Prefix::parse("198.18.50.93/19"), *Ipv4Prefix::parse("198.19.0.9/16") });
    CHECK(m.nics[0].ipv4_gateway == Ipv4Address::parse("198.18.32.1"));
    CHECK(m.nics[0].ipv6_addresses == std::vector<Ipv6Prefix> { *Ipv6Prefix::parse("2001:db8:0:1::1:1/64") });
    CHECK(m.nics[0].ipv6_gateway == Ipv6Address::parse("2001:db8:0:1::1"));
    // The private NIC's gateway is not kept, nor the anchor's.
    CHECK(m.nics[1].device_number == 1u);
    CHECK_FALSE(m.nics[1].ipv4_gateway);
    CHECK(m.dns_ipv4.size() == 2);
}

TEST_CASE("digitalocean: keys as a string or a list; identity values that are refused")
{
    auto m = parse(R"({"public_keys": ")" + key + R"(\nnot a key\n", "droplet_id": 3})");
    CHECK(m.public_keys == std::vector<std::string> { key });
    CHECK(m.instance_id == "3");
    struct Row {
        const char* json;
        const char* warning;
    };
    const Row rows[] = {
        { R"({"droplet_id": "2756294"})", "droplet_id" },
        { R"({"droplet_id": -1})", "droplet_id" },
        { R"({"droplet_id": 1.5})", "droplet_id" },
        { R"({"droplet_id": 1e300})", "droplet_id" },
        { R"({"hostname": "a\nb"})", "hostname" },
        { R"({"hostname": "it's"})", "hostname" },
        { R"({"hostname": "a\"b"})", "hostname" },
        { R"({"region": "nyc3; reboot"})", "region" },
        { R"({"public_keys": ["ssh-rsa AAAA\nssh-rsa BBBB x"]})", "public_keys" },
    };
    for (auto const& row : rows) {
        CAPTURE(std::string(row.json));
        std::vector<std::string> warnings;
        auto bad = parse(row.json, &warnings);
        CHECK(bad.instance_id.empty());
        CHECK(bad.hostname.empty());
        CHECK(bad.availability_zone.empty());
        bool named = false;
        for (auto const& w : warnings)
            named = named || w.find(row.warning) != std::string::npos;
        CHECK(named);
    }
    // An oversized hostname is refused, not cut.
    std::vector<std::string> warnings;
    CHECK(parse(R"({"hostname": ")" + std::string(100000, 'a') + R"("})", &warnings).hostname.empty());
    // Wrong types add nothing.
    auto typed = parse(R"({"hostname": 7, "public_keys": {"a": "b"}, "user_data": 5, "region": ["nyc3"]})");
    CHECK(typed.hostname.empty());
    CHECK(typed.public_keys.empty());
    CHECK_FALSE(typed.user_data);
    for (const char* not_object : { "", "[]", "\"x\"", "null", "{", "{} {}" }) {
        InstanceMetadata empty;
        CHECK(apply_digitalocean_metadata(not_object, empty, warnings).is_error());
    }
}

TEST_CASE("digitalocean: a malformed interface drops the network data, and the mapping then fails")
{
    const char* rows[] = {
        R"({"mac": "04:01:57:d1:9e:0", "ipv4": {"ip_address": "198.18.0.2", "netmask": "255.255.0.0", "gateway": "198.18.0.1"}})",
        R"({"ipv4": {"ip_address": "198.18.0.2", "netmask": "255.255.0.0", "gateway": "198.18.0.1"}})",
        R"({"mac": "04:01:57:d1:9e:01", "ipv4": {"ip_address": "198.18.0.2", "netmask": "255.0.255.0", "gateway": "198.18.0.1"}})",
        R"({"mac": "04:01:57:d1:9e:01", "ipv4": {"ip_address": "198.18.0.2\n", "netmask": "255.255.0.0", "gateway": "198.18.0.1"}})",
        R"({"mac": "04:01:57:d1:9e:01", "ipv4": {"ip_address": "198.18.0.2", "netmask": "255.255.0.0", "gateway": 7}})",
        R"({"mac": "04:01:57:d1:9e:01", "ipv6": {"ip_address": "2001:db8::2", "cidr": 129, "gateway": "2001:db8::1"}})",
        R"({"mac": "04:01:57:d1:9e:01", "ipv6": {"ip_address": "2001:db8::2", "cidr": "64", "gateway": "2001:db8::1"}})",
        R"({"mac": "04:01:57:d1:9e:01", "ipv4": "198.18.0.2"})",
        R"({"mac": "04:01:57:d1:9e:01", "ipv4": {"ip_address": "198.18.0.2", "netmask": "255.255.0.0", "gateway": "2001:db8::1"}})",
        R"({"mac": "04:01:57:d1:9e:01", "ipv6": {"ip_address": "198.18.0.2", "cidr": 24}})",
    };
    for (std::string nic : rows) {
        CAPTURE(nic);
        std::vector<std::string> warnings;
        auto m = parse(with_public(nic), &warnings);
        CHECK(m.instance_id == "1");
        CHECK_FALSE(m.has_network_data);
        CHECK(m.nics.empty());
        CHECK(warnings.size() == 1);
        CHECK(map_digitalocean_network(m, system_nics, {}).is_error());
    }
    // The same shapes, well formed, are kept.
    auto good = parse(with_public(R"({"mac": "04:01:57:D1:9E:01", "ipv4": {"ip_address": "198.18.0.2", "netmask": "255.255.0.0", "gateway": "198.18.0.1"},
        "ipv6": {}, "anchor_ipv4": {"ip_address": "198.19.0.2", "netmask": "255.255.0.0", "gateway": "bad, and not read"}})"));
    REQUIRE(good.has_network_data);
    CHECK(good.nics[0].ipv4_addresses.size() == 2);
    CHECK(good.nics[0].ipv4_gateway == Ipv4Address::parse("198.18.0.1"));
    // A subnet without a gateway is one without a default route, as
    // cloud-init writes it.
    auto no_gateway = parse(with_public(R"({"mac": "04:01:57:d1:9e:01", "ipv4": {"ip_address": "198.18.0.2", "netmask": "255.255.0.0"}})"));
    REQUIRE(no_gateway.has_network_data);
    CHECK_FALSE(no_gateway.nics[0].ipv4_gateway);
    // So is a null one (cloud-init's .get() gives None).
    auto null_gateway = parse(with_public(R"({"mac": "04:01:57:d1:9e:01", "ipv4": {"ip_address": "198.18.0.2", "netmask": "255.255.0.0", "gateway": null}})"));
    REQUIRE(null_gateway.has_network_data);
    CHECK_FALSE(null_gateway.nics[0].ipv4_gateway);
    // No interfaces at all: cloud-init raises; so does the mapping.
    auto none = parse(R"({"interfaces": {"public": [], "private": []}})");
    CHECK_FALSE(none.has_network_data);
    CHECK(map_digitalocean_network(none, system_nics, {}).is_error());
}

TEST_CASE("digitalocean: an unknown MAC is an error; the NICs are renamed eth0 and eth1")
{
    auto m = parse(document());
    std::vector<SystemNic> only_public { system_nics[0] };
    auto missing = map_digitalocean_network(m, only_public, {});
    REQUIRE(missing.is_error());
    CHECK(missing.error().message().find("04:01:57:d1:9e:02") != std::string::npos);
    auto config = map_digitalocean_network(m, system_nics, {});
    REQUIRE(config.ok());
    REQUIRE(config->interfaces.size() == 2);
    CHECK(config->interfaces[0].name == "eth0");
    CHECK(config->interfaces[0].set_name == std::optional<std::string>("eth0"));
    CHECK(config->interfaces[1].name == "eth1");
    // Public only: still eth0; private only: eth1.
    auto private_only = parse(R"({"interfaces": {"private": [{"mac": "04:01:57:d1:9e:02", "ipv4": {"ip_address": "198.18.0.2", "netmask": "255.255.0.0", "gateway": "198.18.0.1"}}]}})");
    auto named = map_digitalocean_network(private_only, system_nics, {});
    REQUIRE(named.ok());
    REQUIRE(named->interfaces.size() == 1);
    CHECK(named->interfaces[0].name == "eth1");
    CHECK(named->interfaces[0].routes.empty());
}

TEST_CASE("render golden: DigitalOcean public (dual stack, anchor) and private, renamed")
{
    // The same document cloud-init's reference was made from.
    auto m = parse(document());
    auto config = find_cloud("digitalocean")->map_network(m, system_nics, {});
    REQUIRE(config.ok());
    auto const& eth0 = config->interfaces[0];
    // The first IPv4, the first IPv6, then the anchor: cloud-init's order.
    REQUIRE(eth0.addresses.size() == 3);
    CHECK(to_string(eth0.addresses[1]) == "2001:db8:0:1::1:1/64");
    CHECK(eth0.routes.size() == 2);
    CHECK(config->interfaces[1].nameservers.size() == 2);
    check_goldens("digitalocean_public_private", *config);
}
