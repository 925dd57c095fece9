// Golden-file tests for the mappings and renderers. Each case's model mirrors
// tests/fixtures/render/cases/NAME.json (the input cloud-init's reference was
// made from); keep the two in step. The golden files are
// tests/fixtures/render/golden/NAME.{netplan.yaml,ifupdown,networkd,networkmanager}; run the unit
// binary with METABOOT_UPDATE_GOLDEN=1 to rewrite them, then review the diff.
#include "clouds/azure/azure.h"
#include "clouds/registry.h"
#include "common/json.h"
#include "common/dns_name.h"
#include "model/instance_json.h"
#include "model/network_config.h"
#include "render/ifupdown.h"
#include "render/netplan.h"
#include "render/networkd.h"
#include "render/networkmanager.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>

using namespace mb;
using namespace mb::render;

namespace {

// The mapping of the cloud the model names, through the registry as the run
// reaches it.
Result<NetworkConfig> map_network(const InstanceMetadata& metadata, const std::vector<SystemNic>& system_nics, const MappingOptions& options)
{
    const clouds::Cloud* cloud = clouds::find_cloud(metadata.cloud);
    REQUIRE(cloud);
    return cloud->map_network(metadata, system_nics, options);
}

MacAddress mac(const char* text)
{
    return MacAddress::parse(text).value();
}

Ipv4Prefix v4(const char* text)
{
    return Ipv4Prefix::parse(text).value();
}

Ipv6Prefix v6(const char* text)
{
    return Ipv6Prefix::parse(text).value();
}

Ipv4Address a4(const char* text)
{
    return Ipv4Address::parse(text).value();
}

Ipv6Address a6(const char* text)
{
    return Ipv6Address::parse(text).value();
}

std::string read_text(const std::string& path)
{
    std::string out;
    FILE* file = std::fopen(path.c_str(), "rb");
    if (!file)
        return "<missing " + path + ">";
    char buffer[4096];
    size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, file)) > 0)
        out.append(buffer, n);
    std::fclose(file);
    return out;
}

void write_text(const std::string& path, const std::string& text)
{
    FILE* file = std::fopen(path.c_str(), "wb");
    REQUIRE(file);
    std::fwrite(text.data(), 1, text.size(), file);
    std::fclose(file);
}

void check_golden(const std::string& name, const std::string& suffix, const std::string& text)
{
    std::string path = "tests/fixtures/render/golden/" + name + suffix;
    const char* update = std::getenv("METABOOT_UPDATE_GOLDEN");
    if (update && std::string(update) == "1")
        write_text(path, text);
    INFO("golden file ", path);
    CHECK(text == read_text(path));
}

// All of a case's networkd files in one golden file, each after a line
// naming its path and mode.
std::string networkd_text(const NetworkConfig& config)
{
    auto files = render_networkd(config, networkd_directory);
    REQUIRE(files.ok());
    std::string out;
    for (const auto& file : *files) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", file.mode);
        out += "==> " + file.path + " (" + mode + ") <==\n" + file.text;
    }
    return out;
}

// A format's files as one golden text: each file after a line naming its
// path and mode, in the form `head` prints between files.
std::string concatenated(const std::vector<FileContent>& files)
{
    std::string text;
    for (const auto& file : files) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", unsigned(file.mode));
        text += "==> " + file.path + " (mode " + mode + ") <==\n" + file.text;
    }
    return text;
}

void check_goldens(const std::string& name, const NetworkConfig& config)
{
    auto netplan = render_netplan(config);
    REQUIRE(netplan.ok());
    check_golden(name, ".netplan.yaml", *netplan);
    auto ifupdown = render_ifupdown(config);
    REQUIRE(ifupdown.ok());
    check_golden(name, ".ifupdown", *ifupdown);
    check_golden(name, ".networkd", networkd_text(config));
    auto networkmanager = render_networkmanager(config, networkmanager_directory, "etc/systemd/network");
    REQUIRE(networkmanager.ok());
    check_golden(name, ".networkmanager", concatenated(*networkmanager));
}

NicMetadata ec2_nic(const char* mac_text, uint32_t card, uint32_t device, const char* address, const char* subnet)
{
    NicMetadata nic;
    nic.mac = mac(mac_text);
    nic.network_card = card;
    nic.device_number = device;
    nic.ipv4_dhcp = true;
    auto subnet_prefix = v4(subnet);
    nic.ipv4_subnet = subnet_prefix;
    nic.ipv4_addresses.push_back(Ipv4Prefix(a4(address), subnet_prefix.length()));
    return nic;
}

InstanceMetadata ec2_metadata()
{
    InstanceMetadata metadata;
    metadata.cloud = "ec2";
    metadata.api_version = "2021-03-23";
    metadata.has_network_data = true;
    return metadata;
}

// cases/ec2_single_nic.json
InstanceMetadata ec2_single_nic()
{
    auto metadata = ec2_metadata();
    auto nic = ec2_nic("06:5a:10:00:00:01", 0, 0, "172.31.20.10", "172.31.16.0/20");
    nic.ipv4_vpc_blocks.push_back(v4("172.31.0.0/16"));
    metadata.nics.push_back(nic);
    return metadata;
}

// cases/ec2_two_nics.json: listed secondary first, as a service may list them.
InstanceMetadata ec2_two_nics()
{
    auto metadata = ec2_metadata();
    metadata.nics.push_back(ec2_nic("06:b1:00:00:00:02", 0, 1, "172.31.40.20", "172.31.32.0/20"));
    auto primary = ec2_nic("0e:b1:00:00:00:01", 0, 0, "172.31.20.10", "172.31.16.0/20");
    primary.ipv4_addresses.push_back(Ipv4Prefix(a4("172.31.20.11"), 20));
    primary.ipv6_addresses.push_back(Ipv6Prefix(a6("2600:1f18:47b:2a00::10"), 64));
    primary.ipv6_subnets.push_back(v6("2600:1f18:47b:2a00::/64"));
    primary.ipv6_dhcp = true;
    metadata.nics.push_back(primary);
    return metadata;
}

std::vector<SystemNic> ec2_two_nics_system()
{
    return { { mac("0e:b1:00:00:00:01"), "ens5" }, { mac("06:b1:00:00:00:02"), "ens6" } };
}

// cases/ec2_15_nics.json (generated there by the same loop).
InstanceMetadata ec2_15_nics(std::vector<SystemNic>& system)
{
    auto metadata = ec2_metadata();
    const uint32_t order[15][2] = { { 0, 0 }, { 1, 0 }, { 0, 1 }, { 1, 1 }, { 0, 2 }, { 1, 2 }, { 0, 3 }, { 1, 3 }, { 0, 4 }, { 1, 4 }, { 0, 5 }, { 1, 5 }, { 0, 6 }, { 1, 6 }, { 0, 7 } };
    for (uint32_t k = 0; k < 15; ++k) {
        uint32_t card = order[k][0], device = order[k][1];
        char mac_text[32], address[32], subnet[32];
        std::snprintf(mac_text, sizeof mac_text, "02:%02x:00:00:%02x:%02x", 0x40 - k, card, device);
        std::snprintf(address, sizeof address, "10.%u.%u.10", card, device);
        std::snprintf(subnet, sizeof subnet, "10.%u.%u.0/24", card, device);
        auto nic = ec2_nic(mac_text, card, device, address, subnet);
        if (k % 4 == 1) {
            char ipv6[64], ipv6_subnet[64];
            std::snprintf(ipv6, sizeof ipv6, "2600:1f18:aa:%x%x::10", card, device);
            std::snprintf(ipv6_subnet, sizeof ipv6_subnet, "2600:1f18:aa:%x%x::/64", card, device);
            nic.ipv6_addresses.push_back(Ipv6Prefix(a6(ipv6), 64));
            nic.ipv6_subnets.push_back(v6(ipv6_subnet));
            nic.ipv6_dhcp = true;
        }
        if (k == 2)
            nic.ipv4_addresses.push_back(Ipv4Prefix(a4("10.0.1.11"), 24));
        metadata.nics.push_back(nic);
        system.push_back({ nic.mac, "ens" + std::to_string(5 + k) });
    }
    // On the service, not on the system.
    metadata.nics.push_back(ec2_nic("02:99:00:00:00:99", 2, 1, "10.2.1.10", "10.2.1.0/24"));
    return metadata;
}

// OpenStack: one link with static IPv4 + SLAAC, one with DHCPv4 + static IPv6.
InstanceMetadata openstack_static_slaac()
{
    InstanceMetadata metadata;
    metadata.cloud = "openstack";
    metadata.api_version = "latest";
    metadata.has_network_data = true;
    NicMetadata a;
    a.mac = mac("fa:16:3e:00:00:0a");
    a.mtu = 1450;
    a.ipv4_addresses.push_back(v4("192.0.2.10/24"));
    a.ipv4_gateway = a4("192.0.2.1");
    a.ipv4_routes.push_back(Ipv4Route { v4("198.51.100.0/24"), a4("192.0.2.254"), 50 });
    a.ipv6_slaac = true;
    a.dns_ipv4.push_back(a4("192.0.2.53"));
    metadata.nics.push_back(a);
    NicMetadata b;
    b.mac = mac("fa:16:3e:00:00:0b");
    b.ipv4_dhcp = true;
    b.ipv6_addresses.push_back(v6("2001:db8:1::5/64"));
    b.ipv6_gateway = a6("2001:db8:1::1");
    b.ipv6_routes.push_back(Ipv6Route { v6("2001:db8:2::/48"), a6("2001:db8:1::fe"), std::nullopt });
    metadata.nics.push_back(b);
    metadata.dns_ipv4.push_back(a4("198.51.100.53"));
    metadata.dns_ipv6.push_back(a6("2001:db8::53"));
    return metadata;
}

}

TEST_CASE("render golden: EC2 single NIC gets no overrides")
{
    std::vector<SystemNic> system { { mac("06:5a:10:00:00:01"), "ens5" } };
    auto config = map_network(ec2_single_nic(), system, {});
    REQUIRE(config.ok());
    REQUIRE(config->interfaces.size() == 1);
    CHECK(config->interfaces[0].dhcp4_overrides.empty());
    CHECK(config->interfaces[0].routes.empty());
    check_goldens("ec2_single_nic", *config);
}

TEST_CASE("render golden: EC2 two NICs, IPv6 and a secondary IP on the primary")
{
    auto config = map_network(ec2_two_nics(), ec2_two_nics_system(), {});
    REQUIRE(config.ok());
    REQUIRE(config->interfaces.size() == 2);
    const auto& primary = config->interfaces[0];
    const auto& secondary = config->interfaces[1];
    CHECK(primary.name == "ens5");
    CHECK(primary.dhcp6);
    CHECK(primary.dhcp4_overrides.route_metric == 100u);
    CHECK(primary.dhcp6_overrides.route_metric == 100u);
    CHECK(primary.routing_policy.empty());
    REQUIRE(primary.addresses.size() == 1);
    CHECK(to_string(primary.addresses[0]) == "172.31.20.11/20");
    CHECK(secondary.dhcp4_overrides.route_metric == 200u);
    CHECK(secondary.dhcp4_overrides.use_routes == true);
    REQUIRE(secondary.routes.size() == 2);
    CHECK(to_string(secondary.routes[0].to) == "0.0.0.0/0");
    CHECK(to_string(*secondary.routes[0].via) == "172.31.32.1");
    CHECK(secondary.routes[0].table == 101u);
    CHECK(to_string(secondary.routes[1].to) == "172.31.32.0/20");
    REQUIRE(secondary.routing_policy.size() == 1);
    CHECK(to_string(secondary.routing_policy[0].from) == "172.31.40.20");
    check_goldens("ec2_two_nics", *config);
}

TEST_CASE("render golden: EC2 policy routing can be turned off")
{
    MappingOptions options;
    options.policy_routing = false;
    auto config = map_network(ec2_two_nics(), ec2_two_nics_system(), options);
    REQUIRE(config.ok());
    CHECK(config->interfaces[1].routes.empty());
    CHECK(config->interfaces[1].routing_policy.empty());
    CHECK(!config->interfaces[1].dhcp4_overrides.use_routes);
    CHECK(config->interfaces[1].dhcp4_overrides.route_metric == 200u);
    check_goldens("ec2_two_nics_no_policy", *config);
}

TEST_CASE("render golden: EC2 15 NICs on two cards, one absent NIC skipped")
{
    std::vector<SystemNic> system;
    auto metadata = ec2_15_nics(system);
    auto config = map_network(metadata, system, {});
    REQUIRE(config.ok());
    REQUIRE(config->interfaces.size() == 15);
    REQUIRE(config->skipped_macs.size() == 1);
    CHECK(config->skipped_macs[0] == mac("02:99:00:00:00:99"));
    // (card, device) order: card 0 devices 0..7, then card 1 devices 0..6.
    CHECK(config->interfaces[0].name == "ens5");
    CHECK(config->interfaces[1].name == "ens7");
    CHECK(config->interfaces[8].name == "ens6");
    CHECK(config->interfaces[14].dhcp4_overrides.route_metric == 1500u);
    CHECK(config->interfaces[14].routing_policy[0].table == 114u);
    check_goldens("ec2_15_nics", *config);
}

TEST_CASE("render golden: EC2 2009-04-04 fallback is dhcp4 on the leased NIC")
{
    auto metadata = ec2_metadata();
    metadata.api_version = "2009-04-04";
    metadata.has_network_data = false;
    std::vector<SystemNic> system { { mac("06:20:09:04:04:01"), "ens5" }, { mac("06:20:09:04:04:02"), "ens6" } };
    MappingOptions options;
    options.leased_mac = mac("06:20:09:04:04:01");
    auto config = map_network(metadata, system, options);
    REQUIRE(config.ok());
    REQUIRE(config->interfaces.size() == 1);
    CHECK(config->interfaces[0].dhcp4);
    CHECK(!config->interfaces[0].dhcp6);
    check_goldens("ec2_fallback_2009", *config);

    options.leased_mac.reset();
    CHECK(map_network(metadata, system, options).error().kind() == ErrorKind::NotFound);
}

TEST_CASE("render golden: GCE is cloud-init's fallback, dhcp4 and dhcp6 on the first NIC in natural order")
{
    InstanceMetadata metadata;
    metadata.cloud = "gce";
    std::vector<SystemNic> system { { mac("42:01:0a:80:00:03"), "ens5" }, { mac("42:01:0a:80:00:02"), "ens4" } };
    MappingOptions options;
    options.leased_mac = mac("42:01:0a:80:00:03");
    auto config = map_network(metadata, system, options);
    REQUIRE(config.ok());
    REQUIRE(config->interfaces.size() == 1);
    CHECK(config->interfaces[0].name == "ens4");
    check_goldens("gce_fallback", *config);
}

TEST_CASE("render golden: NoCloud's network config v1 (DHCP, static IPv4 and IPv6, a route, DNS, MTU)")
{
    // The case's YAML, as a seed serves it, through the provider's raw cache.
    auto text = read_text("tests/fixtures/render/cases/nocloud_v1.json");
    auto document = parse_json(text);
    REQUIRE(document.ok());
    InstanceMetadata metadata;
    metadata.cloud = "nocloud";
    metadata.has_network_data = true;
    metadata.raw.emplace_back("/network-config", std::string(*document->string_member("nocloud_network_config")));
    std::vector<SystemNic> system;
    const JsonValue* macs = document->find("macs_to_nics");
    REQUIRE(macs);
    for (size_t i = 0; i < macs->keys().size(); ++i)
        system.push_back({ mac(macs->keys()[i].c_str()), std::string(*macs->items()[i].as_string()) });
    auto config = map_network(metadata, system, {});
    REQUIRE(config.ok());
    REQUIRE(config->interfaces.size() == 3);
    CHECK(config->interfaces[1].mtu == 9000u);
    CHECK(config->interfaces[2].nameservers.empty());
    check_goldens("nocloud_v1", *config);
}

TEST_CASE("render: EC2 metadata that matches no system NIC falls back to the leased NIC")
{
    std::vector<SystemNic> system { { mac("06:00:00:00:00:77"), "eth0" } };
    MappingOptions options;
    options.leased_mac = mac("06:00:00:00:00:77");
    auto config = map_network(ec2_single_nic(), system, options);
    REQUIRE(config.ok());
    REQUIRE(config->interfaces.size() == 1);
    CHECK(config->interfaces[0].name == "eth0");
    CHECK(config->skipped_macs.size() == 1);
}

TEST_CASE("render golden: OpenStack static IPv4, SLAAC, DHCPv4, static IPv6, routes, DNS")
{
    std::vector<SystemNic> system { { mac("fa:16:3e:00:00:0b"), "eth1" }, { mac("fa:16:3e:00:00:0a"), "eth0" } };
    auto config = map_network(openstack_static_slaac(), system, {});
    REQUIRE(config.ok());
    REQUIRE(config->interfaces.size() == 2);
    const auto& a = config->interfaces[0];
    CHECK(a.name == "eth0");
    CHECK(!a.dhcp4);
    CHECK(a.accept_ra == true);
    CHECK(a.mtu == 1450u);
    REQUIRE(a.nameservers.size() == 3);
    CHECK(to_string(a.nameservers[0]) == "192.0.2.53");
    check_goldens("openstack_static_slaac", *config);
}

// cases/azure_three_nics.json is read as it is: its "imds" object goes
// through the provider's parser, its "system_nics" are the system.
TEST_CASE("render golden: Azure three NICs, an address-less one keeping its index, driver match")
{
    std::string text = read_text("tests/fixtures/render/cases/azure_three_nics.json");
    auto start = text.find("\"imds\": ");
    REQUIRE(start != std::string::npos);
    start = text.find('{', start);
    size_t end = start;
    for (int depth = 0; end < text.size(); ++end) {
        depth += text[end] == '{' ? 1 : text[end] == '}' ? -1 : 0;
        if (depth == 0)
            break;
    }
    InstanceMetadata metadata;
    metadata.cloud = "azure";
    std::optional<std::string> user_data;
    std::vector<std::string> warnings;
    REQUIRE(clouds::apply_azure_instance(text.substr(start, end + 1 - start), metadata, user_data, warnings).ok());
    CHECK(warnings.empty());
    auto document = parse_json(text);
    REQUIRE(document.ok());
    std::vector<SystemNic> system;
    for (auto const& nic : document->find("system_nics")->items())
        system.push_back({ mac(std::string(*nic.string_member("mac")).c_str()), std::string(*nic.string_member("name")), false, std::string(*nic.string_member("driver")) });
    auto config = map_network(metadata, system, {});
    REQUIRE(config.ok());
    REQUIRE(config->interfaces.size() == 2);
    CHECK(config->interfaces[1].name == "eth2");
    CHECK(config->interfaces[1].dhcp4_overrides.route_metric == 300u);
    check_goldens("azure_three_nics", *config);
}

TEST_CASE("render golden: YAML look-alike names stay strings")
{
    // Kernel names that YAML 1.1 would read as a boolean or a number.
    NetworkConfig config;
    for (const char* name : { "on", "1e3", "no" }) {
        Interface interface;
        interface.name = name;
        interface.set_name = name;
        interface.match_mac = MacAddress({ 0x12, 0x34, 0x56, 0x12, 0x34, uint8_t(name[0]) });
        interface.dhcp4 = true;
        config.interfaces.push_back(interface);
    }
    config.interfaces[0].search_domains = { "example.com", "corp.example." };
    check_goldens("yaml_lookalike_names", config);
}

TEST_CASE("render: hostile values are rejected, never rendered")
{
    std::vector<SystemNic> good { { mac("06:5a:10:00:00:01"), "ens5" } };
    auto hostile_system = [](std::string name) { return std::vector<SystemNic> { { mac("06:5a:10:00:00:01"), name } }; };
    // Each refusal's message, kept as a golden file: what the operator reads
    // in the kernel log, and proof nothing hostile is echoed back raw.
    std::string refusals;
    for (const char* name : { "", "eth0\nkey: x", "eth0\"", "eth0 x", "-e", "lo", "sixteen-chars-xx", "a/b", "..", "eth0:1", "eth0#", "\xff\xfe" }) {
        INFO("name ", name);
        auto result = map_network(ec2_single_nic(), hostile_system(name), {});
        REQUIRE(result.is_error());
        CHECK(result.error().kind() == ErrorKind::Invalid);
        refusals += result.error().message() + "\n";
    }
    std::vector<SystemNic> duplicate_mac { { mac("06:5a:10:00:00:01"), "ens5" }, { mac("06:5a:10:00:00:01"), "ens6" } };
    CHECK(map_network(ec2_single_nic(), duplicate_mac, {}).is_error());
    std::vector<SystemNic> duplicate_name { { mac("06:5a:10:00:00:01"), "ens5" }, { mac("06:5a:10:00:00:02"), "ens5" } };
    CHECK(map_network(ec2_single_nic(), duplicate_name, {}).is_error());

    auto twice = ec2_single_nic();
    twice.nics.push_back(twice.nics[0]);
    CHECK(map_network(twice, good, {}).is_error());

    auto base = map_network(ec2_single_nic(), good, {}).release_value();
    auto expect_refused = [](const NetworkConfig& config) {
        CHECK(render_netplan(config).is_error());
        CHECK(render_ifupdown(config).is_error());
        CHECK(render_networkd(config, networkd_directory).is_error());
        CHECK(render_networkmanager(config, "c", "l").is_error());
    };
    std::string long_label(64, 'a');
    for (const std::string& domain : { std::string("evil\nnetwork: x"), std::string("a..b"), std::string("-a.com"), std::string("a-.com"), std::string("\"q\""), std::string(), std::string("a b"), long_label }) {
        INFO("domain ", domain);
        auto config = base;
        config.interfaces[0].search_domains.push_back(domain);
        expect_refused(config);
    }
    for (uint32_t mtu : { 0u, 67u, 65536u }) {
        auto config = base;
        config.interfaces[0].mtu = mtu;
        expect_refused(config);
    }
    for (uint32_t table : { 0u, 253u, 254u, 255u }) {
        auto config = base;
        config.interfaces[0].routing_policy.push_back(RoutingRule { a4("10.0.0.1"), table });
        expect_refused(config);
        config = base;
        config.interfaces[0].routes.push_back(Route { v4("10.0.0.0/8"), std::nullopt, table, std::nullopt });
        expect_refused(config);
    }
    auto mixed = base;
    mixed.interfaces[0].routes.push_back(Route { v4("10.0.0.0/8"), IpAddress(a6("2001:db8::1")), std::nullopt, std::nullopt });
    expect_refused(mixed);
    auto bad_set_name = base;
    bad_set_name.interfaces[0].set_name = "x y";
    expect_refused(bad_set_name);
    auto same_name = base;
    same_name.interfaces.push_back(base.interfaces[0]);
    expect_refused(same_name);
    for (const auto& config : { mixed, bad_set_name, same_name })
        refusals += render_netplan(config).error().message() + "\n";
    check_golden("hostile", ".errors", refusals);
}

TEST_CASE("render: DNS name validation")
{
    CHECK(is_valid_dns_name("example.com"));
    CHECK(is_valid_dns_name("example.com.", TrailingDot::Allowed));
    CHECK(is_valid_dns_name("a-b.c0"));
    CHECK(!is_valid_dns_name("."));
    CHECK(!is_valid_dns_name("example..com"));
    CHECK(!is_valid_dns_name(std::string(254, 'a')));
    CHECK(!is_valid_dns_name("under_score.com"));
}

TEST_CASE("render: output is deterministic")
{
    std::vector<SystemNic> system;
    auto metadata = ec2_15_nics(system);
    auto config = map_network(metadata, system, {}).release_value();
    auto first = render_netplan(config);
    auto first_networkd = networkd_text(config);
    std::reverse(metadata.nics.begin(), metadata.nics.end());
    std::reverse(system.begin(), system.end());
    config = map_network(metadata, system, {}).release_value();
    auto second = render_netplan(config);
    REQUIRE(first.ok());
    REQUIRE(second.ok());
    CHECK(*first == *second);
    CHECK(first_networkd == networkd_text(config));
}

TEST_CASE("render golden: metadata.json keeps secrets out and is valid UTF-8")
{
    auto metadata = ec2_two_nics();
    metadata.instance_id = "i-0123456789abcdef0";
    metadata.local_hostname = "ip-172-31-20-10.ec2.internal";
    metadata.hostname = "host\"with\\quotes\nand\x01" "control";
    metadata.instance_type = "m5.large";
    metadata.region = "us-east-1";
    metadata.availability_zone = "us-east-1a";
    metadata.primary_mac = mac("0e:b1:00:00:00:01");
    metadata.public_keys = { "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBogus user@host" };
    metadata.user_data = std::string("#cloud-config\npassword: secret\n");
    metadata.nics[0].ipv4_routes.push_back(Ipv4Route { v4("10.0.0.0/8"), a4("172.31.32.1"), 10 });
    metadata.raw = {
        { "meta-data/instance-id", "i-0123456789abcdef0" },
        { "meta-data/tags/instance/Name", "caf\xc3\xa9 \xff\xfe bad \xed\xa0\x80 surrogate" },
        { "user-data", "#cloud-config\npassword: secret\n" },
        { "meta-data/iam/security-credentials/role", "{\"SecretAccessKey\": \"x\"}" },
    };
    auto json = metadata_to_json(metadata);
    CHECK(json.find("secret") == std::string::npos);
    CHECK(json.find("SecretAccessKey") == std::string::npos);
    check_golden("metadata", ".json", json);

    CHECK(json_string("a\xc3") == "\"a\xef\xbf\xbd\"");
    CHECK(json_string("\xf4\x90\x80\x80") == "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
    CHECK(json_string("\xf0\x9f\x98\x80") == "\"\xf0\x9f\x98\x80\"");
}

TEST_CASE("render: EC2-like metadata without device numbers gets metrics but no policy routing")
{
    // AliYun serves EC2-style metadata without device-number; cloud-init then
    // cannot tell the primary NIC and skips source routing. Order is by MAC.
    auto metadata = ec2_two_nics();
    for (auto& nic : metadata.nics) {
        nic.device_number.reset();
        nic.network_card.reset();
    }
    auto config = map_network(metadata, ec2_two_nics_system(), {});
    REQUIRE(config.ok());
    REQUIRE(config->interfaces.size() == 2);
    CHECK(config->interfaces[0].name == "ens6"); // 06:... sorts before 0e:...
    CHECK(config->interfaces[1].dhcp4_overrides.route_metric == 200u);
    CHECK(config->interfaces[1].routing_policy.empty());
    CHECK(config->interfaces[1].routes.empty());
}

TEST_CASE("render: OpenStack without network data falls back to the leased NIC")
{
    auto metadata = openstack_static_slaac();
    metadata.has_network_data = false;
    std::vector<SystemNic> system { { mac("fa:16:3e:00:00:0a"), "eth0" } };
    MappingOptions options;
    options.leased_mac = mac("fa:16:3e:00:00:0a");
    auto config = map_network(metadata, system, options);
    REQUIRE(config.ok());
    REQUIRE(config->interfaces.size() == 1);
    CHECK(config->interfaces[0].dhcp4);
    CHECK(config->interfaces[0].addresses.empty());
}
