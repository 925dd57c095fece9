// Azure: the IMDS document's parse, the bad-input table, the fetch against a
// fake IMDS with its real rules, and the mapping against cloud-init's
// generate_network_config_from_instance_network_metadata.
#include "clouds/azure/azure.h"
#include "clouds/fetch.h"
#include "clouds/registry.h"
#include "common/text.h"

#include "../fake_transport.h"

#include <doctest/doctest.h>

#include <string>

using namespace mb;
using namespace mb::clouds;

namespace {

// Shaped after IMDS 2021-08-01's /metadata/instance for a VM with two NICs:
// the primary with two IPv4 addresses and one IPv6, the secondary with one
// IPv4 address; trimmed of the keys metaboot does not read.
const char* imds_document = R"({
  "compute": {
    "azEnvironment": "AzurePublicCloud",
    "location": "westeurope",
    "name": "vm-1",
    "osProfile": {"adminUsername": "azureuser", "computerName": "vm-1", "disablePasswordAuthentication": "true"},
    "platformFaultDomain": "0",
    "publicKeys": [
      {"keyData": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHzX0fBBt5xD azureuser@host", "path": "/home/azureuser/.ssh/authorized_keys"},
      {"keyData": "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC second\n", "path": "/home/azureuser/.ssh/authorized_keys"}
    ],
    "userData": "I2Nsb3VkLWNvbmZpZwpydW5jbWQ6IFtlY2hvLCBoaV0K",
    "vmId": "02aab8a4-74ef-476e-8182-f6d2ba4166a6",
    "vmSize": "Standard_D2s_v3"
  },
  "network": {
    "interface": [
      {"ipv4": {"ipAddress": [{"privateIpAddress": "10.0.0.4", "publicIpAddress": ""},
                              {"privateIpAddress": "10.0.0.5", "publicIpAddress": ""}],
                "subnet": [{"address": "10.0.0.0", "prefix": "24"}]},
       "ipv6": {"ipAddress": [{"privateIpAddress": "fd00::4"}, {"privateIpAddress": "fd00::5"}]},
       "macAddress": "000D3A1B2C3D"},
      {"ipv4": {"ipAddress": [{"privateIpAddress": "10.0.1.4"}], "subnet": [{"address": "10.0.1.0", "prefix": "26"}]},
       "ipv6": {"ipAddress": []},
       "macAddress": "000D3A1B2C3E"}
    ]
  }
})";

struct FakeImds {
    std::string document { imds_document };
    bool knows_2021 { true };
    int transient_statuses { 0 }; // answer 404, then 410, ... this many times first
    std::vector<testing::FakeRequest> requests;

    testing::FakeReply handle(const testing::FakeRequest& request)
    {
        requests.push_back(request);
        // IMDS's rules: the header or 400; a version it does not know, 400.
        if (request.header("metadata") != "true")
            return { testing::http_reply(400, R"({"error": "Bad request. Required metadata header not specified"})") };
        bool v2021 = request.target == "/metadata/instance?api-version=2021-08-01&extended=true";
        bool v2019 = request.target == "/metadata/instance?api-version=2019-06-01";
        if (!v2019 && !(v2021 && knows_2021))
            return { testing::http_reply(v2021 ? 400 : 404, R"({"error": "Bad request. api-version is invalid"})") };
        if (transient_statuses > 0)
            return { testing::http_reply(transient_statuses-- % 2 ? 404 : 410, "") };
        return { testing::http_reply(200, document) };
    }
};

Result<InstanceMetadata> fetch(FakeImds& service, FetchStats& stats)
{
    testing::FakeTime time;
    testing::FakeTransport transport(time, [&](const testing::FakeRequest& r) { return service.handle(r); });
    FetchOptions options;
    return fetch_metadata(azure_cloud, options, transport, time, time.now() + http::Milliseconds(20000), stats);
}

MacAddress mac(const char* text)
{
    return *MacAddress::parse(text);
}

}

TEST_CASE("azure: detection is the chassis asset tag alone")
{
    PlatformFacts facts;
    facts.dmi.sys_vendor = "Microsoft Corporation";
    facts.dmi.product_name = "Virtual Machine";
    CHECK(detect_azure(facts) == Verdict::No); // Hyper-V outside Azure
    facts.dmi.chassis_asset_tag = "7783-7084-3265-9085-8269-3286-77";
    CHECK(detect_azure(facts) == Verdict::Yes);
    CHECK(detect_cloud(facts) == &azure_cloud);
    facts.dmi.chassis_asset_tag = "7783-7084-3265-9085-8269-3286-7";
    CHECK(detect_cloud(facts) == nullptr);
}

TEST_CASE("azure: the IMDS document becomes the model")
{
    FakeImds service;
    FetchStats stats;
    auto instance = fetch(service, stats);
    REQUIRE(instance.ok());
    CHECK(instance->cloud == "azure");
    CHECK(instance->api_version == "2021-08-01");
    CHECK(instance->instance_id == "02aab8a4-74ef-476e-8182-f6d2ba4166a6");
    CHECK(instance->hostname == "vm-1");
    CHECK(instance->local_hostname == "vm-1");
    CHECK(instance->region == "westeurope");
    CHECK(instance->instance_type == "Standard_D2s_v3");
    CHECK(instance->availability_zone == "0");
    CHECK(instance->public_keys == std::vector<std::string> { "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHzX0fBBt5xD azureuser@host",
                                                              "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC second" });
    CHECK(instance->user_data == std::optional<std::string>("#cloud-config\nruncmd: [echo, hi]\n"));
    // The raw cache would carry the user-data into metadata.json.
    CHECK(instance->raw.empty());
    REQUIRE(instance->nics.size() == 2);
    auto const& primary = instance->nics[0];
    CHECK(primary.mac == mac("00:0d:3a:1b:2c:3d"));
    CHECK(primary.device_number == 0u);
    CHECK(primary.ipv4_addresses == std::vector<Ipv4Prefix> { Ipv4Prefix(Ipv4Address(10, 0, 0, 4), 24), Ipv4Prefix(Ipv4Address(10, 0, 0, 5), 24) });
    REQUIRE(primary.ipv6_addresses.size() == 2);
    CHECK(primary.ipv6_addresses[1].to_string() == "fd00::5/128");
    CHECK(instance->nics[1].ipv4_addresses == std::vector<Ipv4Prefix> { Ipv4Prefix(Ipv4Address(10, 0, 1, 4), 26) });
    CHECK_FALSE(instance->nics[1].ipv6_dhcp);
    // One request, with the header, to the extended document.
    REQUIRE(service.requests.size() == 1);
    CHECK(service.requests[0].header("metadata") == "true");
    CHECK(stats.warnings.empty());
}

TEST_CASE("azure: a 400 for the version falls back to 2019-06-01; 404 and 410 are retried")
{
    FakeImds service;
    service.knows_2021 = false;
    service.transient_statuses = 3;
    FetchStats stats;
    auto instance = fetch(service, stats);
    REQUIRE(instance.ok());
    CHECK(instance->api_version == "2019-06-01");
    REQUIRE(service.requests.size() == 5);
    CHECK(service.requests[0].target == "/metadata/instance?api-version=2021-08-01&extended=true");
    for (size_t i = 1; i < 5; ++i)
        CHECK(service.requests[i].target == "/metadata/instance?api-version=2019-06-01");
    CHECK(stats.warnings.size() == 1);

    // A 403 is nobody's transient state: no retry, a clear error.
    testing::FakeTime time;
    int calls = 0;
    testing::FakeTransport transport(time, [&](const testing::FakeRequest&) { ++calls; return testing::FakeReply { testing::http_reply(403, "") }; });
    FetchStats stats2;
    auto refused = fetch_metadata(azure_cloud, FetchOptions {}, transport, time, time.now() + http::Milliseconds(20000), stats2);
    REQUIRE(refused.is_error());
    CHECK(calls == 1);
    CHECK(refused.error().message().find("403") != std::string::npos);
}

TEST_CASE("azure: bad input is dropped with a warning, the rest kept")
{
    struct Row {
        const char* name;
        const char* json;
        const char* warning; // a substring of the one warning expected
    };
    static const std::string oversized = R"({"compute": {"location": ")" + std::string(200, 'a') + "\"}}";
    const Row rows[] = {
        { "hostname with a newline", R"({"compute": {"osProfile": {"computerName": "vm\nevil"}}})", "computerName" },
        { "hostname with a quote", R"({"compute": {"osProfile": {"computerName": "vm\"1"}}})", "computerName" },
        { "vmId with a slash", R"({"compute": {"vmId": "../etc"}})", "vmId" },
        { "oversized location", oversized.c_str(), "location" },
        { "userData not base64", R"({"compute": {"userData": "not*base64"}})", "userData" },
        { "userData cut short", R"({"compute": {"userData": "I2Nsb3Vk"}})", nullptr },
        { "userData bad padding", R"({"compute": {"userData": "I2Nsb3VkL="}})", "userData" },
        { "key with a control character", R"({"compute": {"publicKeys": [{"keyData": "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC a\u001b[2J"}]}})", "publicKeys" },
        { "MAC not hex", R"({"network": {"interface": [{"macAddress": "000D3A1B2C3G", "ipv4": {"ipAddress": [{"privateIpAddress": "10.0.0.4"}]}}]}})", "macAddress" },
        { "address not an address", R"({"network": {"interface": [{"macAddress": "000D3A1B2C3D", "ipv4": {"ipAddress": [{"privateIpAddress": "10.0.0.4\n"}]}}]}})", "privateIpAddress" },
        { "IPv6 address as IPv4", R"({"network": {"interface": [{"macAddress": "000D3A1B2C3D", "ipv4": {"ipAddress": [{"privateIpAddress": "fd00::1"}]}}]}})", "privateIpAddress" },
        { "prefix out of range", R"({"network": {"interface": [{"macAddress": "000D3A1B2C3D", "ipv4": {"ipAddress": [{"privateIpAddress": "10.0.0.4"}], "subnet": [{"prefix": "33"}]}}]}})", "prefix" },
    };
    for (auto const& row : rows) {
        std::string name = row.name;
        CAPTURE(name);
        InstanceMetadata instance;
        std::optional<std::string> user_data;
        std::vector<std::string> warnings;
        REQUIRE(apply_azure_instance(row.json, instance, user_data, warnings).ok());
        if (!row.warning) {
            CHECK(warnings.empty());
            continue;
        }
        CAPTURE(warnings);
        REQUIRE(warnings.size() == 1);
        CHECK(warnings[0].find(row.warning) != std::string::npos);
        CHECK(warnings[0].find('\n') == std::string::npos);
        CHECK(instance.hostname.empty());
        CHECK(instance.instance_id.empty());
        CHECK(instance.public_keys.empty());
        CHECK_FALSE(user_data);
    }
    // A prefix out of range keeps the address with the default prefix.
    InstanceMetadata instance;
    std::optional<std::string> user_data;
    std::vector<std::string> warnings;
    REQUIRE(apply_azure_instance(rows[11].json, instance, user_data, warnings).ok());
    CHECK(instance.nics.at(0).ipv4_addresses.at(0).length() == 24);

    // Malformed JSON and a non-object are errors; no network key is "no
    // network data", which the mapping answers with the fallback.
    for (auto const* bad : { "{", "[]", "{\"compute\": 1} x" }) {
        CAPTURE(bad);
        CHECK(apply_azure_instance(bad, instance, user_data, warnings).is_error());
    }
    InstanceMetadata bare;
    REQUIRE(apply_azure_instance("{}", bare, user_data, warnings).ok());
    CHECK_FALSE(bare.has_network_data);
}

TEST_CASE("azure: base64 decoding")
{
    CHECK(base64_decode("") == std::optional<std::string>(""));
    CHECK(base64_decode("QQ==") == std::optional<std::string>("A"));
    CHECK(base64_decode("QUI=") == std::optional<std::string>("AB"));
    CHECK(base64_decode("QUJD\r\nREVG") == std::optional<std::string>("ABCDEF"));
    CHECK(base64_decode(base64_encode(std::string("\0\xff\x10 binary", 10))) == std::optional<std::string>(std::string("\0\xff\x10 binary", 10)));
    for (auto const* bad : { "Q", "QQ", "QQ=", "Q===", "QQ==QQ==", "QUI=A", "QU-I", "QUJD\x01" }) {
        CAPTURE(bad);
        CHECK_FALSE(base64_decode(bad));
    }
}

TEST_CASE("azure: mapping as cloud-init's generate_network_config_from_instance_network_metadata")
{
    InstanceMetadata metadata;
    std::optional<std::string> user_data;
    std::vector<std::string> warnings;
    // A third interface without addresses keeps its index: the one after it
    // is eth3, metric 400.
    std::string json = imds_document;
    json.replace(json.rfind("]\n  }"), 1, R"(, {"ipv4": {"ipAddress": []}, "ipv6": {"ipAddress": []}, "macAddress": "000D3A1B2C3F"},
      {"ipv4": {"ipAddress": [{"privateIpAddress": "10.0.3.4"}]}, "macAddress": "000D3A1B2C40"}])");
    REQUIRE(apply_azure_instance(json, metadata, user_data, warnings).ok());
    REQUIRE(metadata.nics.size() == 4);

    // eth0 is hv_netvsc here; the second NIC is not on the system (no driver
    // match, still configured); the fourth has a driver of its own.
    std::vector<SystemNic> system {
        { mac("00:0d:3a:1b:2c:3d"), "eth0", false, "hv_netvsc" },
        { mac("00:0d:3a:1b:2c:40"), "eth7", false, "mlx5_core" },
        { mac("00:0d:3a:1b:2c:3f"), "eth2", false, "" },
    };
    auto config = map_azure_network(metadata, system, {});
    REQUIRE(config.ok());
    REQUIRE(config->interfaces.size() == 3);
    auto const& eth0 = config->interfaces[0];
    CHECK(eth0.name == "eth0");
    CHECK(eth0.set_name == std::optional<std::string>("eth0"));
    CHECK(eth0.match_mac == mac("00:0d:3a:1b:2c:3d"));
    CHECK(eth0.match_driver == std::optional<std::string>("hv_netvsc"));
    CHECK(eth0.dhcp4);
    CHECK(eth0.dhcp6);
    CHECK(eth0.dhcp4_overrides == DhcpOverrides { 100, std::nullopt, std::nullopt });
    CHECK(eth0.dhcp6_overrides == eth0.dhcp4_overrides);
    CHECK(eth0.addresses == std::vector<IpPrefix> { Ipv4Prefix(Ipv4Address(10, 0, 0, 5), 24), *Ipv6Prefix::parse("fd00::5/128") });

    auto const& eth1 = config->interfaces[1];
    CHECK(eth1.name == "eth1");
    CHECK_FALSE(eth1.match_driver);
    CHECK_FALSE(eth1.dhcp6);
    CHECK(eth1.dhcp4_overrides == DhcpOverrides { 200, std::nullopt, false });
    CHECK(eth1.dhcp6_overrides.empty());
    CHECK(eth1.addresses.empty());

    auto const& eth3 = config->interfaces[2];
    CHECK(eth3.name == "eth3");
    CHECK(eth3.match_driver == std::optional<std::string>("mlx5_core"));
    CHECK(eth3.dhcp4_overrides == DhcpOverrides { 400, std::nullopt, false });

    // No interface with an address, or no network key: DHCP on the leased NIC.
    InstanceMetadata empty;
    MappingOptions options;
    options.leased_mac = mac("00:0d:3a:1b:2c:3d");
    auto fallback = map_azure_network(empty, system, options);
    REQUIRE(fallback.ok());
    REQUIRE(fallback->interfaces.size() == 1);
    CHECK(fallback->interfaces[0].name == "eth0");
    CHECK(fallback->interfaces[0].dhcp4);

    // A driver name the renderers could not print safely is refused.
    std::vector<SystemNic> hostile { { mac("00:0d:3a:1b:2c:3d"), "eth0", false, "hv netvsc\n" } };
    CHECK(map_azure_network(metadata, hostile, {}).is_error());
}
