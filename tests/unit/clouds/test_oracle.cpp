// Oracle Cloud: detection, the /opc/ provider against a fake IMDS with the
// service's rules (v2 refuses a request without its header), the parsers'
// bad-input tables, every branch of the mapping, and the render case
// tests/fixtures/render/cases/oracle_vnics.json against its golden files.
#include "clouds/fetch.h"
#include "clouds/oracle/oracle.h"
#include "clouds/registry.h"
#include "render/ifupdown.h"
#include "render/netplan.h"
#include "render/networkd.h"
#include "render/networkmanager.h"

#include "../fake_transport.h"

#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <map>

using namespace mb;
using namespace mb::clouds;

namespace {

// Shaped after cloud-init's OPC_V2_METADATA (tests/unittests/sources/
// test_oracle.py), which is a real instance/ answer cut short.
const char* instance_json = R"({
  "availabilityDomain" : "qIZq:PHX-AD-1",
  "faultDomain" : "FAULT-DOMAIN-2",
  "compartmentId" : "ocid1.tenancy.oc1..aaaaaaaao7f7cccogqrg5emjxkxm",
  "displayName" : "instance-20200320-1400",
  "hostname" : "instance-20200320-1400",
  "id" : "ocid1.instance.oc1.phx.anyhqljtniwq6syc3nex55sep5w34qbwmw6",
  "image" : "ocid1.image.oc1.phx.aaaaaaaagmkn4gdhvvx24kiahh2b2qchsic",
  "metadata" : {
    "ssh_authorized_keys" : "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ user@host\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB second\n",
    "user_data" : "IyEvYmluL3NoCnRvdWNoIC90bXAvZm9v"
  },
  "region" : "phx",
  "canonicalRegionName" : "us-phoenix-1",
  "ociAdName" : "phx-ad-3",
  "shape" : "VM.Standard2.1",
  "state" : "Running",
  "timeCreated" : 1584727285318,
  "agentConfig" : { "monitoringDisabled" : true, "managementDisabled" : true }
})";

// cloud-init's OPC_VM_SECONDARY_VNIC_RESPONSE: a VM's primary VNIC and one
// secondary.
const char* vnics_json = R"([ {
  "vnicId" : "ocid1.vnic.oc1.phx.abyhqljtch72z5pd76cc2636qeqh7z_truncated",
  "privateIp" : "10.0.0.230",
  "vlanTag" : 1039,
  "macAddr" : "02:00:17:05:D1:DB",
  "virtualRouterIp" : "10.0.0.1",
  "subnetCidrBlock" : "10.0.0.0/24"
}, {
  "vnicId" : "ocid1.vnic.oc1.phx.abyhqljt4iew3gwmvrwrhhf3bp5drj_truncated",
  "privateIp" : "10.0.0.231",
  "vlanTag" : 1041,
  "macAddr" : "00:00:17:02:2B:B1",
  "virtualRouterIp" : "10.0.0.1",
  "subnetCidrBlock" : "10.0.0.0/24"
} ])";

// The service's rules: /opc/v2/ answers 401 without "Authorization: Bearer
// Oracle"; /opc/v1/ takes no header; anything else is 404.
struct FakeOracle {
    std::map<std::string, std::string> files {
        { "/opc/v2/instance/", instance_json },
        { "/opc/v2/vnics/", vnics_json },
        { "/opc/v1/instance/", instance_json },
        { "/opc/v1/vnics/", vnics_json },
    };
    std::map<std::string, int> status; // forced answers
    std::vector<std::string> seen;     // "METHOD target header"
    testing::FakeReply handle(const testing::FakeRequest& request)
    {
        seen.push_back(request.method + " " + request.target + " " + request.header("authorization"));
        if (auto forced = status.find(request.target); forced != status.end())
            return { testing::http_reply(forced->second, "") };
        if (request.target.starts_with("/opc/v2/") && request.header("authorization") != "Bearer Oracle")
            return { testing::http_reply(401, "") };
        auto it = files.find(request.target);
        if (it == files.end())
            return { testing::http_reply(404, "") };
        return { testing::http_reply(200, it->second) };
    }
};

Result<InstanceMetadata> fetch(FakeOracle& service, FetchStats& stats)
{
    testing::FakeTime time;
    testing::FakeTransport transport(time, [&](const testing::FakeRequest& r) { return service.handle(r); });
    FetchOptions options;
    return fetch_metadata(oracle_cloud, options, transport, time, time.now() + http::Milliseconds(5000), stats);
}

MacAddress mac(const char* text)
{
    return MacAddress::parse(text).value();
}

bool warned(const std::vector<std::string>& warnings, const char* part)
{
    for (auto const& w : warnings) {
        if (w.find(part) != std::string::npos)
            return true;
    }
    return false;
}

InstanceMetadata vnics(const char* json, std::vector<std::string>* warnings_out = nullptr)
{
    InstanceMetadata m;
    std::vector<std::string> warnings;
    REQUIRE(apply_oracle_vnics(json, m, warnings).ok());
    if (warnings_out)
        *warnings_out = warnings;
    return m;
}

}

TEST_CASE("oracle: detected by the chassis asset tag alone, exactly")
{
    PlatformFacts facts;
    facts.dmi.chassis_asset_tag = "OracleCloud.com";
    CHECK(detect_oracle(facts) == Verdict::Yes);
    CHECK(detect_cloud(facts) == &oracle_cloud);
    for (auto tag : { "", "oraclecloud.com", "OracleCloud.com ", "OpenStack Nova", "Amazon EC2" }) {
        facts.dmi.chassis_asset_tag = tag;
        CHECK(detect_oracle(facts) == Verdict::No);
    }
    facts.dmi.chassis_asset_tag = "";
    facts.dmi.sys_vendor = "OracleCloud.com";
    facts.dmi.product_name = "OracleCloud.com";
    CHECK(detect_oracle(facts) == Verdict::No);
    CHECK(find_cloud("oracle") == &oracle_cloud);
}

TEST_CASE("oracle: v2 with its header, identity, keys, base64 user-data, VNICs")
{
    FakeOracle service;
    FetchStats stats;
    auto result = fetch(service, stats);
    REQUIRE_MESSAGE(result.ok(), result.error().message());
    auto const& m = *result;
    CHECK(m.cloud == "oracle");
    CHECK(m.api_version == "v2");
    CHECK(m.instance_id == "ocid1.instance.oc1.phx.anyhqljtniwq6syc3nex55sep5w34qbwmw6");
    CHECK(m.hostname == "instance-20200320-1400");
    CHECK(m.local_hostname == "instance-20200320-1400");
    CHECK(m.availability_zone == "phx-ad-3");
    CHECK(m.instance_type == "VM.Standard2.1");
    // cloud-init's Oracle datasource sets no region.
    CHECK(m.region.empty());
    CHECK(m.public_keys == std::vector<std::string> { "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ user@host", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB second" });
    CHECK(m.user_data == std::optional<std::string>("#!/bin/sh\ntouch /tmp/foo"));
    CHECK(m.has_network_data);
    REQUIRE(m.nics.size() == 2);
    CHECK(m.nics[0].mac.to_string() == "02:00:17:05:d1:db");
    CHECK(m.nics[0].ipv4_dhcp);
    CHECK(m.nics[0].ipv4_addresses.empty());
    CHECK(m.nics[0].mtu == 9000u);
    CHECK_FALSE(m.nics[1].ipv4_dhcp);
    REQUIRE(m.nics[1].ipv4_addresses.size() == 1);
    CHECK(m.nics[1].ipv4_addresses[0].to_string() == "10.0.0.231/24");
    CHECK(m.nics[1].mtu == 9000u);
    // Two GETs, both with the header, and nothing else.
    CHECK(service.seen == std::vector<std::string> { "GET /opc/v2/instance/ Bearer Oracle", "GET /opc/v2/vnics/ Bearer Oracle" });
    CHECK(stats.warnings.empty());
}

TEST_CASE("oracle: a service without v2 is asked v1, without the header, for both documents")
{
    for (int v2_status : { 404, 401, 403, 500 }) {
        CAPTURE(v2_status);
        FakeOracle service;
        service.status["/opc/v2/instance/"] = v2_status;
        FetchStats stats;
        auto result = fetch(service, stats);
        REQUIRE_MESSAGE(result.ok(), result.error().message());
        CHECK(result->api_version == "v1");
        CHECK(result->nics.size() == 2);
        CHECK(service.seen.back() == "GET /opc/v1/vnics/ ");
        CHECK(service.seen[service.seen.size() - 2] == "GET /opc/v1/instance/ ");
        CHECK(warned(stats.warnings, "trying /opc/v1/"));
    }
    // Neither answers: an error, naming what failed.
    FakeOracle service;
    service.status["/opc/v2/instance/"] = 404;
    service.status["/opc/v1/instance/"] = 404;
    FetchStats stats;
    auto result = fetch(service, stats);
    REQUIRE(result.is_error());
    CHECK(result.error().message().find("/opc/v1/instance/") != std::string::npos);
}

TEST_CASE("oracle: no VNIC data is no network data, not a failed run")
{
    for (const char* body : { "", "[", "{}", "null" }) {
        CAPTURE(body);
        FakeOracle service;
        if (*body)
            service.files["/opc/v2/vnics/"] = body;
        else
            service.files.erase("/opc/v2/vnics/");
        FetchStats stats;
        auto result = fetch(service, stats);
        REQUIRE_MESSAGE(result.ok(), result.error().message());
        CHECK_FALSE(result->has_network_data);
        CHECK(result->nics.empty());
        CHECK(warned(stats.warnings, "no VNIC data"));
        CHECK(result->instance_id.size() > 0);
    }
}

TEST_CASE("oracle: instance/ bad input")
{
    // Malformed or not an object: refused with a clear error.
    for (const char* bad : { "", "{", "[]", "\"x\"", "{\"id\": \"x\"} trailing" }) {
        CAPTURE(bad);
        InstanceMetadata m;
        std::vector<std::string> warnings;
        CHECK(apply_oracle_instance(bad, m, warnings).error().kind() == ErrorKind::Invalid);
    }
    // Values that are dropped, each with a warning, the rest kept.
    InstanceMetadata m;
    std::vector<std::string> warnings;
    REQUIRE(apply_oracle_instance(R"({"id": "ocid1.instance; reboot", "hostname": "bad\nhost: x", "ociAdName": "ad 1",
        "shape": ")" + std::string(300, 'A') + R"(", "metadata": {"ssh_authorized_keys": "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ ok\nnot a key\n",
        "user_data": "IyEvYmluL3No*"}})", m, warnings).ok());
    CHECK(m.instance_id.empty());
    CHECK(m.hostname.empty());
    CHECK(m.availability_zone.empty());
    CHECK(m.instance_type.empty());
    CHECK(m.public_keys == std::vector<std::string> { "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ ok" });
    CHECK_FALSE(m.user_data.has_value());
    CHECK(warnings.size() == 6);
    CHECK(warned(warnings, "user_data: not base64"));
    // Not strings, or absent, or empty: nothing, as cloud-init skips an empty user_data.
    InstanceMetadata n;
    warnings.clear();
    REQUIRE(apply_oracle_instance(R"({"id": 7, "metadata": {"user_data": "", "ssh_authorized_keys": null}})", n, warnings).ok());
    CHECK(n.instance_id.empty());
    CHECK_FALSE(n.user_data.has_value());
    CHECK(n.public_keys.empty());
    // base64: padding, both alphabets' ends, bad lengths.
    for (auto [text, decoded] : std::vector<std::pair<const char*, const char*>> { { "YQ==", "a" }, { "YWI=", "ab" }, { "YWJj", "abc" }, { "Pz8/Pj4+", "?\?\?>>>" } }) {
        InstanceMetadata o;
        REQUIRE(apply_oracle_instance(std::string(R"({"metadata": {"user_data": ")") + text + "\"}}", o, warnings).ok());
        CHECK(o.user_data == std::optional<std::string>(decoded));
    }
    // Whitespace is skipped, as Python's b64decode skips it.
    InstanceMetadata wrapped;
    REQUIRE(apply_oracle_instance(R"({"metadata": {"user_data": "YW\nJj"}})", wrapped, warnings).ok());
    CHECK(wrapped.user_data == std::optional<std::string>("abc"));
    for (auto text : { "YQ=", "YQ", "Y===", "YQ==YQ==", "-_-_" }) {
        CAPTURE(text);
        InstanceMetadata o;
        REQUIRE(apply_oracle_instance(R"({"metadata": {"user_data": ")" + std::string(text) + "\"}}", o, warnings).ok());
        CHECK_FALSE(o.user_data.has_value());
    }
}

TEST_CASE("oracle: vnics/ bad input table")
{
    struct Row {
        const char* vnic;
        bool kept;
    };
    const Row rows[] = {
        { R"({"macAddr": "02:00:17:00:00:01", "privateIp": "10.0.0.2", "subnetCidrBlock": "10.0.0.0/24"})", true },
        { R"({"privateIp": "10.0.0.2", "subnetCidrBlock": "10.0.0.0/24"})", false },
        { R"({"macAddr": "02:00:17:00:00:01\n- x", "privateIp": "10.0.0.2", "subnetCidrBlock": "10.0.0.0/24"})", false },
        { R"({"macAddr": 2, "privateIp": "10.0.0.2", "subnetCidrBlock": "10.0.0.0/24"})", false },
        { R"({"macAddr": "02:00:17:00:00:01", "privateIp": "10.0.0.2"})", false },
        { R"({"macAddr": "02:00:17:00:00:01", "privateIp": "10.0.0.2", "subnetCidrBlock": "<null>"})", false },
        { R"({"macAddr": "02:00:17:00:00:01", "privateIp": "10.0.0.2", "subnetCidrBlock": "10.0.0.0/33"})", false },
        { R"({"macAddr": "02:00:17:00:00:01", "privateIp": "10.0.0.2; reboot", "subnetCidrBlock": "10.0.0.0/24"})", false },
        { R"({"macAddr": "02:00:17:00:00:01", "privateIp": "10.0.0.2", "subnetCidrBlock": "10.0.0.0/24", "ipv6Addresses": ["x"]})", false },
        { R"({"macAddr": "02:00:17:00:00:01", "privateIp": "10.0.0.2", "subnetCidrBlock": "10.0.0.0/24", "ipv6Addresses": [7]})", false },
        { R"({"macAddr": "02:00:17:00:00:01", "privateIp": "10.0.0.2", "subnetCidrBlock": "10.0.0.0/24", "ipv6Addresses": []})", true },
        { R"({"macAddr": "02:00:17:00:00:01", "ipv6SubnetCidrBlock": "2001:db8::/64", "subnetCidrBlock": "<null>"})", false },
        { R"({"macAddr": "02:00:17:00:00:01", "ipv6SubnetCidrBlock": "2001:db8::/64", "ipv6Addresses": ["2001:db8::5"], "subnetCidrBlock": "<null>"})", true },
        { R"("a string")", false },
        { R"(null)", false },
    };
    for (auto const& row : rows) {
        CAPTURE(row.vnic);
        std::vector<std::string> warnings;
        // Behind a valid primary, so each row is a secondary VNIC.
        auto m = vnics((std::string(R"([{"macAddr": "02:00:17:00:00:00", "privateIp": "10.0.0.1", "subnetCidrBlock": "10.0.0.0/24"}, )") + row.vnic + "]").c_str(), &warnings);
        CHECK(m.has_network_data);
        CHECK(m.nics.size() == (row.kept ? 2u : 1u));
        CHECK(warnings.size() == (row.kept ? 0u : 1u));
    }
    for (const char* bad : { "", "[", "{}", "\"x\"", "[] []" }) {
        CAPTURE(bad);
        InstanceMetadata m;
        std::vector<std::string> warnings;
        CHECK(apply_oracle_vnics(bad, m, warnings).is_error());
        CHECK_FALSE(m.has_network_data);
    }
    // An empty list is network data with no NICs.
    CHECK(vnics("[]").has_network_data);
}

TEST_CASE("oracle: the model of each kind of VNIC")
{
    // cloud-init's OPC_VM_DUAL_STACK_SECONDARY_VNIC_RESPONSE: a dual-stack
    // primary and an IPv6-only secondary, whose subnetCidrBlock is "<null>".
    auto m = vnics(R"([{"ipv6Addresses": ["2603:c020:400d:5dbb:e94a:a85d:26e3:e0d4"], "ipv6SubnetCidrBlock": "2603:c020:400d:5dbb::/64",
        "macAddr": "02:00:17:0D:6B:BE", "privateIp": "10.0.0.183", "subnetCidrBlock": "10.0.0.0/24"},
      {"ipv6Addresses": ["2603:c020:400d:5d7e:aacc:8e5f:3b1b:3a4a"], "ipv6SubnetCidrBlock": "2603:c020:400d:5d7e::/64",
        "macAddr": "02:00:17:18:F6:FF", "subnetCidrBlock": "\u003cnull\u003e"},
      {"ipv6Addresses": ["2001:db8:1::7", "2001:db8:1::8"], "ipv6SubnetCidrBlock": "2001:db8:1::/64",
        "macAddr": "02:00:17:18:F6:01", "privateIp": "10.0.1.7", "subnetCidrBlock": "10.0.1.0/25"}])");
    REQUIRE(m.nics.size() == 3);
    // The primary: DHCPv4 only, though it has IPv6, as cloud-init writes it.
    CHECK(m.nics[0].ipv4_dhcp);
    CHECK_FALSE(m.nics[0].ipv6_dhcp);
    CHECK(m.nics[0].ipv6_addresses.empty());
    // IPv6-only secondary: its first address, /128, as cloud-init's test wants.
    CHECK_FALSE(m.nics[1].ipv4_dhcp);
    CHECK(m.nics[1].ipv4_addresses.empty());
    REQUIRE(m.nics[1].ipv6_addresses.size() == 1);
    CHECK(m.nics[1].ipv6_addresses[0].to_string() == "2603:c020:400d:5d7e:aacc:8e5f:3b1b:3a4a/128");
    // Dual-stack secondary: the IPv4 address with its subnet's length, the
    // first IPv6 address /128 (cloud-init: /25, the IPv4 length).
    REQUIRE(m.nics[2].ipv4_addresses.size() == 1);
    CHECK(m.nics[2].ipv4_addresses[0].to_string() == "10.0.1.7/25");
    REQUIRE(m.nics[2].ipv6_addresses.size() == 1);
    CHECK(m.nics[2].ipv6_addresses[0].to_string() == "2001:db8:1::7/128");

    // An IPv6-only primary: DHCPv6 (cloud-init's OPC_IPV6_VM_VNIC_RESPONSE).
    auto v6 = vnics(R"([{"ipv6Addresses": ["2603:c020:400d:5d7e:c2af:e153:ebe2:2478"], "ipv6SubnetCidrBlock": "2603:c020:400d:5d7e::/64",
        "macAddr": "02:00:17:15:92:4E", "vlanTag": 1970}])");
    REQUIRE(v6.nics.size() == 1);
    CHECK(v6.nics[0].ipv6_dhcp);
    CHECK_FALSE(v6.nics[0].ipv4_dhcp);

    // A malformed first VNIC is dropped, and the next is not promoted to
    // primary: cloud-init's primary is index 0 of the list.
    auto dropped = vnics(R"([{"macAddr": "bad", "privateIp": "10.0.0.2", "subnetCidrBlock": "10.0.0.0/24"},
        {"macAddr": "02:00:17:00:00:02", "privateIp": "10.0.0.3", "subnetCidrBlock": "10.0.0.0/24"}])");
    REQUIRE(dropped.nics.size() == 1);
    CHECK_FALSE(dropped.nics[0].ipv4_dhcp);
    CHECK(dropped.nics[0].ipv4_addresses.size() == 1);
}

TEST_CASE("oracle: mapping branches")
{
    auto m = vnics(R"([{"macAddr": "02:00:17:05:D1:DB", "privateIp": "10.0.0.230", "subnetCidrBlock": "10.0.0.0/24"},
      {"macAddr": "00:00:17:02:2B:B1", "privateIp": "10.0.0.231", "subnetCidrBlock": "10.0.0.0/24"},
      {"macAddr": "02:00:17:18:F6:FF", "ipv6SubnetCidrBlock": "2001:db8::/64", "ipv6Addresses": ["2001:db8::9"], "subnetCidrBlock": "<null>"},
      {"macAddr": "02:00:17:99:99:99", "privateIp": "10.0.0.99", "subnetCidrBlock": "10.0.0.0/24"}])");
    std::vector<SystemNic> system { { mac("02:00:17:05:d1:db"), "ens3" }, { mac("00:00:17:02:2b:b1"), "ens4" }, { mac("02:00:17:18:f6:ff"), "ens5" } };
    MappingOptions options;
    options.leased_mac = mac("02:00:17:05:d1:db");

    auto config = map_oracle_network(m, system, options);
    REQUIRE_MESSAGE(config.ok(), config.error().message());
    REQUIRE(config->interfaces.size() == 3);
    for (auto const& interface : config->interfaces) {
        CHECK(interface.mtu == 9000u);
        CHECK(interface.set_name == interface.name);
        CHECK(interface.match_mac.has_value());
        CHECK(interface.routes.empty());
        CHECK(interface.nameservers.empty());
        CHECK_FALSE(interface.critical);
    }
    auto const& primary = config->interfaces[0];
    CHECK(primary.name == "ens3");
    CHECK(primary.dhcp4);
    CHECK_FALSE(primary.dhcp6);
    CHECK(primary.addresses.empty());
    CHECK_FALSE(primary.accept_ra.has_value());
    auto const& secondary = config->interfaces[1];
    CHECK(secondary.name == "ens4");
    CHECK_FALSE(secondary.dhcp4);
    REQUIRE(secondary.addresses.size() == 1);
    CHECK(to_string(secondary.addresses[0]) == "10.0.0.231/24");
    auto const& v6 = config->interfaces[2];
    CHECK_FALSE(v6.dhcp4);
    CHECK_FALSE(v6.dhcp6);
    REQUIRE(v6.addresses.size() == 1);
    CHECK(to_string(v6.addresses[0]) == "2001:db8::9/128");
    // Deliberate: router advertisements off on a static-IPv6 secondary.
    CHECK(v6.accept_ra == false);
    // The VNIC not on this system is skipped, and said so.
    CHECK(config->skipped_macs == std::vector<MacAddress> { mac("02:00:17:99:99:99") });

    // The root on iSCSI: the NIC the initramfs configured, DHCP, nothing else.
    options.network_root = true;
    auto iscsi = map_oracle_network(m, system, options);
    REQUIRE(iscsi.ok());
    REQUIRE(iscsi->interfaces.size() == 1);
    CHECK(iscsi->interfaces[0].name == "ens3");
    CHECK(iscsi->interfaces[0].dhcp4);
    CHECK_FALSE(iscsi->interfaces[0].mtu.has_value());
    options.network_root = false;

    // No VNIC data: DHCP on the leased NIC.
    InstanceMetadata none;
    auto fallback = map_oracle_network(none, system, options);
    REQUIRE(fallback.ok());
    REQUIRE(fallback->interfaces.size() == 1);
    CHECK(fallback->interfaces[0].dhcp4);

    // No VNIC on this system: DHCP on the leased NIC, the VNICs listed as skipped.
    std::vector<SystemNic> other { { mac("02:00:17:00:00:42"), "eth0" } };
    options.leased_mac = mac("02:00:17:00:00:42");
    auto elsewhere = map_oracle_network(m, other, options);
    REQUIRE(elsewhere.ok());
    REQUIRE(elsewhere->interfaces.size() == 1);
    CHECK(elsewhere->interfaces[0].name == "eth0");
    CHECK(elsewhere->skipped_macs.size() == 4);

    // A net_failover master (cloud-init's _ensure_netfailover_safe) is
    // matched by name: its standby and VF share its MAC. Also on an iSCSI root.
    auto failover = system;
    failover[1].netfail_master = true;
    options.leased_mac = mac("00:00:17:02:2b:b1");
    for (bool root_on_network : { false, true }) {
        options.network_root = root_on_network;
        auto matched = map_oracle_network(m, failover, options);
        REQUIRE(matched.ok());
        for (auto const& interface : matched->interfaces) {
            CHECK(interface.match_mac.has_value() == (interface.name != "ens4"));
            CHECK(interface.set_name.has_value() == (interface.name != "ens4"));
        }
        CHECK(matched->interfaces.size() == (root_on_network ? 1u : 3u));
    }
    options.network_root = false;

    // A MAC listed twice is refused (the run then writes the fallback).
    auto twice = vnics(R"([{"macAddr": "02:00:17:05:D1:DB", "privateIp": "10.0.0.230", "subnetCidrBlock": "10.0.0.0/24"},
      {"macAddr": "02:00:17:05:d1:db", "privateIp": "10.0.0.231", "subnetCidrBlock": "10.0.0.0/24"}])");
    CHECK(map_oracle_network(twice, system, options).is_error());
}

namespace {

std::string read_text(const std::string& path)
{
    std::string out;
    if (FILE* file = std::fopen(path.c_str(), "rb")) {
        char buffer[4096];
        size_t n;
        while ((n = std::fread(buffer, 1, sizeof buffer, file)) > 0)
            out.append(buffer, n);
        std::fclose(file);
    }
    return out;
}

void check_golden(const std::string& name, const std::string& text)
{
    std::string path = "tests/fixtures/render/golden/" + name;
    const char* update = std::getenv("METABOOT_UPDATE_GOLDEN");
    if (update && std::string(update) == "1") {
        FILE* file = std::fopen(path.c_str(), "wb");
        REQUIRE(file);
        std::fwrite(text.data(), 1, text.size(), file);
        std::fclose(file);
    }
    INFO("golden file ", path);
    CHECK(text == read_text(path));
}

std::string bundle(const std::vector<FileContent>& files, const char* mode_prefix)
{
    std::string text;
    for (auto const& file : files) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", unsigned(file.mode));
        text += "==> " + file.path + " (" + mode_prefix + mode + ") <==\n" + file.text;
    }
    return text;
}

// The case file's "oracle_vnics" array, as the service would send it.
std::string case_vnics(const std::string& text)
{
    auto start = text.find('[', text.find("\"oracle_vnics\""));
    REQUIRE(start != std::string::npos);
    int depth = 0;
    for (size_t i = start; i < text.size(); ++i) {
        depth += text[i] == '[' ? 1 : text[i] == ']' ? -1 : 0;
        if (depth == 0)
            return text.substr(start, i - start + 1);
    }
    FAIL("unbalanced oracle_vnics");
    return {};
}

}

TEST_CASE("render golden: Oracle primary DHCP, IPv4 secondary, a VNIC not on the system")
{
    // The same input cloud-init's reference was made from.
    auto vnics_text = case_vnics(read_text("tests/fixtures/render/cases/oracle_vnics.json"));
    auto m = vnics(vnics_text.c_str());
    m.cloud = "oracle";
    std::vector<SystemNic> system { { mac("00:00:17:02:2b:b1"), "ens5" }, { mac("02:00:17:0d:6b:be"), "ens3" } };
    auto config = find_cloud("oracle")->map_network(m, system, {});
    REQUIRE(config.ok());
    REQUIRE(config->interfaces.size() == 2);
    CHECK(config->skipped_macs.size() == 1);
    auto netplan = render::render_netplan(*config);
    REQUIRE(netplan.ok());
    check_golden("oracle_vnics.netplan.yaml", *netplan);
    auto ifupdown = render::render_ifupdown(*config);
    REQUIRE(ifupdown.ok());
    check_golden("oracle_vnics.ifupdown", *ifupdown);
    auto networkd = render::render_networkd(*config, render::networkd_directory);
    REQUIRE(networkd.ok());
    check_golden("oracle_vnics.networkd", bundle(*networkd, ""));
    auto networkmanager = render::render_networkmanager(*config, render::networkmanager_directory, "etc/systemd/network");
    REQUIRE(networkmanager.ok());
    check_golden("oracle_vnics.networkmanager", bundle(*networkmanager, "mode "));
}
