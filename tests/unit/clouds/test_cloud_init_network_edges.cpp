// cloud-init network config v1/v2 (NoCloud's network-config, and the clouds
// that serve v1) and NoCloud's meta-data on bad single values: the interface
// with the bad value is skipped whole and the warning is exact; the good
// interface beside it is kept (issue 19 item 4).
#include "clouds/cloud_init_network.h"
#include "clouds/nocloud/nocloud.h"

#include "../show_strings.h"

#include <doctest/doctest.h>

using namespace mb;
using namespace mb::clouds;

namespace {

MacAddress mac(const char* text)
{
    return MacAddress::parse(text).value();
}

const std::vector<SystemNic> nics = {
    { mac("52:54:00:00:00:01"), "ens3", false, "virtio_net" },
    { mac("52:54:00:00:00:02"), "ens4", false, "virtio_net" },
};

std::vector<std::string> names(const NetworkConfig& config)
{
    std::vector<std::string> out;
    for (auto const& interface : config.interfaces)
        out.push_back(interface.name);
    return out;
}

}

TEST_CASE("cloud-init network config edges: one bad value skips its interface with the exact warning")
{
    // eth0 carries the bad value (its v1 entry, or its v2 ethernets body);
    // eth1 beside it is good and must survive.
    const std::string v1_eth1 = "  - type: physical\n    name: eth1\n    subnets:\n      - type: dhcp\n";
    const std::string v2_eth1 = "  eth1:\n    dhcp4: true\n";
    auto v1 = [&](const char* eth0) { return "version: 1\nconfig:\n  - type: physical\n    name: eth0\n" + std::string(eth0) + v1_eth1; };
    auto v1_static = [&](const char* keys) { return v1(("    subnets:\n      - type: static\n" + std::string(keys)).c_str()); };
    auto v2 = [&](const char* eth0) { return "version: 2\nethernets:\n  eth0:\n" + std::string(eth0) + v2_eth1; };
    struct Case {
        const char* name;
        std::string yaml;
        const char* warning;
    };
    const Case cases[] = {
        { "v1 mtu not a number", v1("    mtu: big\n"), "network config: skipping 'eth0': malformed mtu 'big'" },
        { "v1 mac_address", v1("    mac_address: '52:54:00:00:00:zz'\n"), "network config: skipping 'eth0': malformed mac_address '52:54:00:00:00:zz'" },
        { "v1 static address", v1_static("        address: 10.0.0.300/24\n"), "network config: skipping 'eth0': malformed address '10.0.0.300/24'" },
        { "v1 static netmask of the other family", v1_static("        address: 10.0.0.5\n        netmask: 'ffff::'\n"), "network config: skipping 'eth0': malformed address '10.0.0.5'" },
        { "v1 gateway", v1_static("        address: 10.0.0.5/24\n        gateway: 10.0.0.1x\n"), "network config: skipping 'eth0': malformed gateway '10.0.0.1x'" },
        { "v1 dns_nameservers", v1_static("        address: 10.0.0.5/24\n        dns_nameservers: [10.0.0.2, ns1]\n"), "network config: skipping 'eth0': malformed nameserver 'ns1'" },
        { "v1 dns_search", v1_static("        address: 10.0.0.5/24\n        dns_nameservers: 10.0.0.2\n        dns_search: 'a..b'\n"), "network config: skipping 'eth0': malformed search domain 'a..b'" },
        { "v1 route metric", v1_static("        address: 10.0.0.5/24\n        routes:\n          - network: 10.1.0.0/16\n            gateway: 10.0.0.1\n            metric: -1\n"), "network config: skipping 'eth0': malformed route metric '-1'" },
        { "v2 macaddress", v2("    match:\n      macaddress: nope\n    dhcp4: true\n"), "network config: skipping 'eth0': malformed macaddress 'nope'" },
        { "v2 dhcp4 not a boolean", v2("    dhcp4: maybe\n"), "network config: skipping 'eth0': malformed dhcp4 'maybe'" },
        { "v2 address without a prefix length", v2("    addresses: [10.0.0.5]\n"), "network config: skipping 'eth0': malformed address '10.0.0.5'" },
        { "v2 route table", v2("    addresses: [10.0.0.5/24]\n    routes:\n      - to: default\n        via: 10.0.0.1\n        table: x\n"), "network config: skipping 'eth0': malformed route table 'x'" },
        { "v2 dhcp4-overrides route-metric", v2("    dhcp4: true\n    dhcp4-overrides:\n      route-metric: 4294967296\n"), "network config: skipping 'eth0': malformed route-metric '4294967296'" },
    };
    for (auto const& c : cases) {
        INFO(std::string(c.name));
        std::vector<std::string> warnings;
        auto config = map_cloud_init_network(c.yaml, nics, warnings);
        REQUIRE_MESSAGE(config.ok(), config.error().message());
        CHECK(testing::joined(warnings) == testing::joined({ c.warning }));
        CHECK(testing::joined(names(*config)) == "eth1\n");
        CHECK(config->interfaces[0].dhcp4);
    }
}

TEST_CASE("cloud-init network config edges: v1 dhcp6, a subnet's mtu, v2 driver match")
{
    std::vector<std::string> warnings;
    auto v1 = map_cloud_init_network("version: 1\nconfig:\n"
                                     "  - type: physical\n    name: eth0\n    mtu: 1500\n    subnets:\n"
                                     "      - type: dhcp6\n      - type: static\n        address: 10.0.0.5/24\n        mtu: 9000\n",
        nics, warnings);
    REQUIRE_MESSAGE(v1.ok(), v1.error().message());
    CHECK(warnings.empty());
    REQUIRE(v1->interfaces.size() == 1);
    CHECK(v1->interfaces[0].dhcp6);
    CHECK_FALSE(v1->interfaces[0].dhcp4);
    CHECK(v1->interfaces[0].mtu == 9000u); // the subnet's wins over the interface's

    auto v2 = map_cloud_init_network("version: 2\nethernets:\n  nic:\n    match:\n      driver: virtio_net\n    set-name: lan0\n    dhcp4: true\n", nics, warnings);
    REQUIRE_MESSAGE(v2.ok(), v2.error().message());
    CHECK(warnings.empty());
    REQUIRE(v2->interfaces.size() == 1);
    CHECK(v2->interfaces[0].name == "lan0");
    CHECK(v2->interfaces[0].match_driver == "virtio_net");
    CHECK(v2->interfaces[0].set_name == "lan0");
    CHECK_FALSE(v2->interfaces[0].match_mac.has_value());
}

TEST_CASE("cloud-init network config edges: v1 nameserver entries for no known interface, or malformed, are skipped")
{
    struct Case {
        const char* name;
        const char* entry;
        const char* warning;
    };
    const Case cases[] = {
        { "no such interface", "  - {type: nameserver, interface: eth9, address: 10.0.0.2}\n", "network config: skipping 'nameserver': no interface eth9" },
        { "a malformed address", "  - type: nameserver\n    address: [10.0.0.2, 'not an address']\n", "network config: skipping 'nameserver': a malformed address or search domain" },
        { "a malformed search domain", "  - type: nameserver\n    interface: eth0\n    address: 10.0.0.2\n    search: ['-bad-']\n", "network config: skipping 'nameserver': a malformed address or search domain" },
    };
    for (auto const& c : cases) {
        INFO(std::string(c.name));
        std::vector<std::string> warnings;
        auto yaml = std::string("version: 1\nconfig:\n  - type: physical\n    name: eth0\n    subnets:\n      - type: static\n        address: 10.0.0.5/24\n") + c.entry;
        auto config = map_cloud_init_network(yaml, nics, warnings);
        REQUIRE_MESSAGE(config.ok(), config.error().message());
        CHECK(testing::joined(warnings) == testing::joined({ c.warning }));
        REQUIRE(config->interfaces.size() == 1);
        // Nothing of the skipped entry reached the interface.
        CHECK(config->interfaces[0].nameservers.empty());
        CHECK(config->interfaces[0].search_domains.empty());
    }
}

TEST_CASE("cloud-init fallback edges: a name's digit run sorts before a letter at the same place")
{
    // natural_sort_key: "ens1" (digits at 3) before "ensa" (a letter there),
    // whatever order the system lists them in.
    for (bool digits_first : { true, false }) {
        CAPTURE(digits_first);
        std::vector<SystemNic> system = { { mac("52:54:00:00:00:01"), "ensa" }, { mac("52:54:00:00:00:02"), "ens1" } };
        if (digits_first)
            std::swap(system[0], system[1]);
        auto config = cloud_init_fallback_network(system, {});
        REQUIRE_MESSAGE(config.ok(), config.error().message());
        REQUIRE(config->interfaces.size() == 1);
        CHECK(config->interfaces[0].name == "ens1");
        CHECK(config->interfaces[0].match_mac == mac("52:54:00:00:00:02"));
    }
}

TEST_CASE("nocloud edges: meta-data network-interfaces is named as not read")
{
    InstanceMetadata instance;
    std::vector<std::string> warnings;
    auto status = apply_nocloud_meta_data("instance-id: iid-1\nnetwork-interfaces: |\n  auto eth0\n  iface eth0 inet dhcp\n", instance, warnings);
    REQUIRE(status.ok());
    CHECK(instance.instance_id == "iid-1");
    CHECK(testing::joined(warnings) == testing::joined({ "meta-data network-interfaces (ENI, deprecated by cloud-init) is not read" }));
}
