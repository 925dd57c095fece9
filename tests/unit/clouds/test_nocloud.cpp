// NoCloud over HTTP: the kernel command line and DMI serial as cloud-init's
// parse_cmdline_data reads them, the seed URL, meta-data, the fetch through a
// fake seed server, and cloud-init network config v1/v2 -> NetworkConfig.
#include "clouds/cloud_init_network.h"
#include "clouds/fetch.h"
#include "clouds/nocloud/nocloud.h"
#include "clouds/registry.h"
#include "common/yaml.h"
#include "../fake_transport.h"

#include <doctest/doctest.h>

#include <tuple>

#include <map>

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

bool warned(const std::vector<std::string>& warnings, std::string_view text)
{
    for (const auto& w : warnings)
        if (w.find(text) != std::string::npos)
            return true;
    return false;
}

Result<NetworkConfig> map_yaml(const char* yaml, std::vector<std::string>& warnings)
{
    return map_cloud_init_network(yaml, nics, warnings);
}

}

TEST_CASE("nocloud: the kernel command line and DMI serial as cloud-init reads them")
{
    struct Row {
        const char* cmdline;
        bool named;
        const char* seed;
    };
    static const Row table[] = {
        { "root=/dev/vda1 ds=nocloud;s=http://198.18.0.1/seed/ quiet", true, "http://198.18.0.1/seed/" },
        { "ds=nocloud-net;seedfrom=http://198.18.0.1:8000/a", true, "http://198.18.0.1:8000/a" },
        { "ds=nocloud;h=host;i=iid;s=http://198.18.0.1/x/;s=http://198.18.0.2/y/", true, "http://198.18.0.2/y/" },
        { "ds=nocloud", true, "" },
        { "ds=nocloud;;h=only", true, "" },
        { "ds=nocloud;s", true, "" },
        // Only the word itself, or followed by ';', names it.
        { "ds=nocloudy;s=http://198.18.0.1/", false, "" },
        { "xds=nocloud;s=http://198.18.0.1/", false, "" },
        { "ds=ec2", false, "" },
        { "", false, "" },
        // As with cloud-init's startswith(), "ds=nocloud" alone names it and
        // the last word starting with it gives the arguments.
        { "ds=nocloud ds=nocloud-net;s=http://198.18.0.9/", true, "http://198.18.0.9/" },
    };
    for (const auto& row : table) {
        CAPTURE(row.cmdline);
        NocloudArguments arguments;
        CHECK(nocloud_named(row.cmdline, arguments) == row.named);
        CHECK(arguments.seed == row.seed);
        PlatformFacts facts;
        facts.cmdline = row.cmdline;
        CHECK((detect_nocloud(facts) == Verdict::Yes) == row.named);
    }
    // The SMBIOS serial number names it without any boot argument, and its
    // seed wins over the command line's (cloud-init merges DMI first).
    PlatformFacts facts;
    facts.dmi.product_serial = "ds=nocloud;s=http://198.18.0.7/dmi/";
    facts.cmdline = "ds=nocloud;s=http://198.18.0.8/cmdline/";
    CHECK(detect_nocloud(facts) == Verdict::Yes);
    CHECK(nocloud_seed_url(facts).value() == "http://198.18.0.7/dmi/");
    // Named on the command line, it is detected before any DMI-only cloud.
    facts.dmi.sys_vendor = "Amazon EC2";
    CHECK(detect_cloud(facts) == &nocloud_cloud);
}

TEST_CASE("nocloud: h= and i= from the DMI serial and the kernel command line win over the seed's meta-data")
{
    auto run = [](std::string_view serial, std::string_view cmdline) {
        InstanceMetadata instance;
        std::vector<std::string> warnings;
        REQUIRE(apply_nocloud_meta_data("instance-id: iid-seed\nlocal-hostname: seed-host\n", instance, warnings).ok());
        apply_nocloud_arguments(serial, cmdline, instance, warnings);
        return std::tuple { instance.instance_id, instance.local_hostname, instance.hostname, warnings };
    };
    struct Row {
        const char* serial;
        const char* cmdline;
        const char* instance_id;
        const char* hostname;
        const char* warning; // a substring of the one warning, or none
    };
    static const Row table[] = {
        // Nothing on either: the seed's values.
        { "", "root=/dev/vda", "iid-seed", "seed-host", nullptr },
        { "", "ds=nocloud;s=http://198.18.0.1/", "iid-seed", "seed-host", nullptr },
        // The short and the long names, as parse_cmdline_data's s2l maps them.
        { "", "ds=nocloud;h=kernel-host;i=iid-kernel;s=http://198.18.0.1/", "iid-kernel", "kernel-host", nullptr },
        { "", "ds=nocloud-net;local-hostname=long-host;instance-id=iid-long", "iid-long", "long-host", nullptr },
        // The last of a key wins; one key alone leaves the other the seed's.
        { "", "ds=nocloud;i=iid-1;i=iid-2", "iid-2", "seed-host", nullptr },
        // The serial's win over the command line's, key by key (cloud-init
        // merges DMI first and keeps the first value of each key).
        { "ds=nocloud;i=iid-dmi", "ds=nocloud;i=iid-kernel;h=kernel-host", "iid-dmi", "kernel-host", nullptr },
        // Not NoCloud's words: nothing taken.
        { "", "ds=nocloudy;i=iid-other h=not-ours", "iid-seed", "seed-host", nullptr },
        // Checked as the meta-data's values are.
        { "", "ds=nocloud;h=bad_host!;i=iid-ok", "iid-ok", "seed-host", "h=: 'bad_host!'" },
        { "", "ds=nocloud;i=", "iid-seed", "seed-host", "i=: ''" },
    };
    for (const auto& row : table) {
        CAPTURE(row.serial);
        CAPTURE(row.cmdline);
        auto [instance_id, local_hostname, hostname, warnings] = run(row.serial, row.cmdline);
        CHECK(instance_id == row.instance_id);
        CHECK(local_hostname == row.hostname);
        CHECK(hostname == row.hostname);
        if (row.warning) {
            REQUIRE(warnings.size() == 1);
            CHECK(warnings[0].find(row.warning) != std::string::npos);
        } else {
            CHECK(warnings.empty());
        }
    }
}

TEST_CASE("nocloud: only an http:// seed to an IPv4 address is fetched")
{
    struct Row {
        const char* cmdline;
        ErrorKind kind;
        const char* message;
    };
    static const Row refused[] = {
        { "ds=nocloud", ErrorKind::NotFound, "without a seed URL" },
        { "ds=nocloud;s=/var/lib/seed/", ErrorKind::Unsupported, "on a file system" },
        { "ds=nocloud;s=file:///seed/", ErrorKind::Unsupported, "on a file system" },
        { "ds=nocloud;s=https://198.18.0.1/seed/", ErrorKind::Unsupported, "no TLS and no DNS" },
        { "ds=nocloud;s=ftp://198.18.0.1/seed/", ErrorKind::Unsupported, "http://" },
        { "ds=nocloud;s=http://seed.example.com/seed/", ErrorKind::Unsupported, "IPv4" },
        { "ds=nocloud;s=http://198.18.0.1/seed?x=1", ErrorKind::Unsupported, "query" },
    };
    for (const auto& row : refused) {
        CAPTURE(row.cmdline);
        PlatformFacts facts;
        facts.cmdline = row.cmdline;
        auto url = nocloud_seed_url(facts);
        REQUIRE(url.is_error());
        CHECK(url.error().kind() == row.kind);
        CHECK_MESSAGE(url.error().message().find(row.message) != std::string::npos, url.error().message());
    }
    PlatformFacts facts;
    facts.cmdline = "ds=nocloud;s=http://198.18.0.1:8080/seed";
    CHECK(nocloud_seed_url(facts).value() == "http://198.18.0.1:8080/seed");
    CHECK((nocloud_cloud.service_url == &nocloud_seed_url));
}

TEST_CASE("nocloud: meta-data")
{
    std::vector<std::string> warnings;
    InstanceMetadata instance;
    REQUIRE(apply_nocloud_meta_data("instance-id: iid-local01\nlocal-hostname: node-1\navailability-zone: rack-2\npublic-keys:\n  - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGt0ZXN0a2V5a2V5a2V5a2V5a2V5a2V5a2V5 a@b\n  - not a key\n", instance, warnings).ok());
    CHECK(instance.instance_id == "iid-local01");
    CHECK(instance.local_hostname == "node-1");
    CHECK(instance.hostname == "node-1");
    CHECK(instance.availability_zone == "rack-2");
    CHECK(instance.public_keys.size() == 1);
    CHECK(warned(warnings, "malformed key"));

    // An empty meta-data, or numbers as YAML writes them: cloud-init's
    // default instance-id, the number's text.
    InstanceMetadata empty;
    REQUIRE(apply_nocloud_meta_data("", empty, warnings).ok());
    CHECK(empty.instance_id == "nocloud");
    InstanceMetadata numeric;
    REQUIRE(apply_nocloud_meta_data("instance-id: 12345\nlocal-hostname: 'bad host'\n", numeric, warnings).ok());
    CHECK(numeric.instance_id == "12345");
    CHECK(numeric.local_hostname.empty());
    CHECK(warned(warnings, "dropping meta-data local-hostname"));

    InstanceMetadata other;
    CHECK(apply_nocloud_meta_data("dsmode: disabled\n", other, warnings).error().kind() == ErrorKind::Refused);
    CHECK(apply_nocloud_meta_data("- a list\n", other, warnings).is_error());
    CHECK(apply_nocloud_meta_data("a: &x 1\n", other, warnings).is_error());
}

TEST_CASE("cloud-init network config v1 -> NetworkConfig")
{
    std::vector<std::string> warnings;
    auto config = map_yaml(R"(network:
  version: 1
  config:
    - type: physical
      name: ens3
      mac_address: "52:54:00:00:00:01"
      mtu: 1450
      subnets:
        - type: dhcp
        - type: static6
          address: 2001:db8:1::5/64
          gateway: fe80::1
        - type: ipv6_slaac
    - type: physical
      name: eth1
      mac_address: 52:54:00:00:00:02
      subnets:
        - type: static
          address: 198.18.5.10
          netmask: 255.255.255.0
          gateway: 198.18.5.1
          dns_nameservers: 198.18.0.53 198.18.0.54
          routes:
            - network: 198.18.64.7
              prefix: 18
              gateway: 198.18.5.254
              metric: 50
    - type: physical
      name: eth2
      subnets:
        - type: static
          address: 198.18.6.10/24
    - type: physical
      name: eth3
      subnets:
        - type: dhcp4
        - type: manual
    - type: bond
      name: bond0
    - type: nameserver
      address: [198.18.0.99]
      search: [example.com]
)",
        warnings);
    REQUIRE_MESSAGE(config.ok(), config.error().message());
    REQUIRE(config->interfaces.size() == 3);
    const auto& first = config->interfaces[0];
    CHECK(first.name == "ens3");
    CHECK(first.match_mac == mac("52:54:00:00:00:01"));
    CHECK(first.set_name == "ens3");
    CHECK(first.mtu == 1450u);
    CHECK(first.dhcp4);
    CHECK(!first.dhcp6);
    CHECK(first.accept_ra == true);
    REQUIRE(first.addresses.size() == 1);
    CHECK(to_string(first.addresses[0]) == "2001:db8:1::5/64");
    REQUIRE(first.routes.size() == 1);
    CHECK(to_string(first.routes[0].to) == "::/0");
    CHECK(to_string(*first.routes[0].via) == "fe80::1");
    // The global nameserver goes to interfaces with static addresses and
    // no DNS of their own (cloud-init's netplan renderer).
    CHECK(to_string(first.nameservers.at(0)) == "198.18.0.99");
    const auto& second = config->interfaces[1];
    CHECK(to_string(second.addresses.at(0)) == "198.18.5.10/24");
    REQUIRE(second.routes.size() == 2);
    CHECK(to_string(second.routes[0].to) == "0.0.0.0/0");
    CHECK(to_string(second.routes[1].to) == "198.18.64.0/18");
    CHECK(second.routes[1].metric == 50u);
    REQUIRE(second.nameservers.size() == 2);
    CHECK(to_string(second.nameservers[1]) == "198.18.0.54");
    CHECK(second.search_domains.empty());
    const auto& third = config->interfaces[2];
    CHECK(!third.match_mac);
    CHECK(!third.set_name);
    CHECK(third.search_domains == std::vector<std::string> { "example.com" });
    // eth3 is skipped whole for its one unknown subnet, never half written.
    CHECK(warned(warnings, "skipping 'eth3': subnet type 'manual'"));
    CHECK(warned(warnings, "skipping 'bond0': type 'bond'"));
}

TEST_CASE("cloud-init network config v2 -> NetworkConfig")
{
    std::vector<std::string> warnings;
    auto config = map_yaml(R"(version: 2
ethernets:
  id0:
    match:
      macaddress: "52:54:00:00:00:02"
    set-name: lan0
    dhcp4: true
    dhcp4-overrides: {route-metric: 200, use-dns: false}
    addresses: [198.18.7.2/24, "2001:db8:7::2/64"]
    gateway6: 2001:db8:7::1
    routes:
      - to: 198.18.96.0/20
        via: 198.18.7.1
        metric: 10
        table: 100
    nameservers:
      addresses: [198.18.0.53]
      search: [lan.example]
    mtu: 9000
    wakeonlan: true
  id1:
    match: {macaddress: "52:54:00:00:00:01"}
    dhcp6: yes
    accept-ra: "off"
  ens9:
    dhcp4: on
  pattern:
    match: {name: "enp*"}
    dhcp4: true
  broken:
    addresses: [198.18.9.1]
bonds:
  bond0:
    interfaces: [ens3]
)",
        warnings);
    REQUIRE_MESSAGE(config.ok(), config.error().message());
    REQUIRE(config->interfaces.size() == 3);
    const auto& ens9 = config->interfaces[0]; // keys in sorted order
    CHECK(ens9.name == "ens9");
    CHECK(ens9.dhcp4);
    const auto& lan0 = config->interfaces[1];
    CHECK(lan0.name == "lan0");
    CHECK(lan0.set_name == "lan0");
    CHECK(lan0.match_mac == mac("52:54:00:00:00:02"));
    CHECK(lan0.dhcp4_overrides.route_metric == 200u);
    CHECK(lan0.dhcp4_overrides.use_dns == false);
    CHECK(lan0.addresses.size() == 2);
    REQUIRE(lan0.routes.size() == 2);
    CHECK(to_string(lan0.routes[0].to) == "::/0");
    CHECK(lan0.routes[1].table == 100u);
    CHECK(lan0.mtu == 9000u);
    CHECK(lan0.search_domains == std::vector<std::string> { "lan.example" });
    // No set-name: the system NIC with that MAC names it.
    const auto& id1 = config->interfaces[2];
    CHECK(id1.name == "ens3");
    CHECK(!id1.set_name);
    CHECK(id1.dhcp6);
    CHECK(id1.accept_ra == false);
    CHECK(warned(warnings, "ethernets.id0: ignoring 'wakeonlan'"));
    CHECK(warned(warnings, "skipping 'pattern'"));
    CHECK(warned(warnings, "skipping 'broken'"));
    CHECK(warned(warnings, "skipping 'bonds'"));
}

TEST_CASE("cloud-init network config: refused whole")
{
    std::vector<std::string> warnings;
    CHECK(map_yaml("version: 3\n", warnings).error().kind() == ErrorKind::Unsupported);
    CHECK(map_yaml("version: 1\n", warnings).is_error());
    CHECK(map_yaml("version: 1\nconfig: []\n", warnings).is_error());
    CHECK(map_yaml("version: 2\nethernets:\n  eth0:\n    dhcp4: maybe\n", warnings).is_error());
    CHECK(warned(warnings, "malformed dhcp4 'maybe'"));
    // Two entries for one name: the second is skipped.
    auto twice = map_yaml("version: 2\nethernets:\n  a:\n    set-name: eth0\n    dhcp4: true\n  b:\n    set-name: eth0\n    dhcp6: true\n", warnings);
    REQUIRE(twice.ok());
    CHECK(twice->interfaces.size() == 1);
    CHECK(warned(warnings, "listed twice"));
}

namespace {

struct FakeSeed {
    std::map<std::string, std::string> files {
        { "/seed/meta-data", "instance-id: iid-seed\nlocal-hostname: seeded\n" },
        { "/seed/user-data", "#cloud-config\n" },
        { "/seed/network-config", "version: 2\nethernets:\n  ens4:\n    match: {macaddress: '52:54:00:00:00:02'}\n    set-name: ens4\n    dhcp4: true\n" },
    };
    testing::FakeReply handle(const testing::FakeRequest& request)
    {
        auto it = files.find(request.target);
        return { it == files.end() ? testing::http_reply(404, "") : testing::http_reply(200, it->second) };
    }
};

Result<InstanceMetadata> fetch(FakeSeed& seed, std::vector<testing::FakeRequest>& requests, FetchStats& stats)
{
    testing::FakeTime time;
    testing::FakeTransport transport(time, [&](const testing::FakeRequest& r) { return seed.handle(r); });
    FetchOptions options;
    options.base_url = "http://198.18.0.1/seed/";
    auto result = fetch_metadata(nocloud_cloud, options, transport, time, time.now() + http::Milliseconds(5000), stats);
    requests = transport.requests;
    return result;
}

}

TEST_CASE("nocloud: the seed in three GETs; no network-config is cloud-init's fallback")
{
    FakeSeed seed;
    std::vector<testing::FakeRequest> requests;
    FetchStats stats;
    auto instance = fetch(seed, requests, stats);
    REQUIRE_MESSAGE(instance.ok(), instance.error().message());
    REQUIRE(requests.size() == 3);
    for (const auto& request : requests)
        CHECK(request.method == "GET");
    CHECK(instance->instance_id == "iid-seed");
    CHECK(instance->user_data == std::optional<std::string>("#cloud-config\n"));
    CHECK(instance->has_network_data);
    MappingOptions options;
    options.leased_mac = mac("52:54:00:00:00:01");
    auto config = map_nocloud_network(*instance, nics, options);
    REQUIRE(config.ok());
    REQUIRE(config->interfaces.size() == 1);
    CHECK(config->interfaces[0].name == "ens4");
    CHECK(!config->interfaces[0].dhcp6);

    // Without network-config (404) or with one refused: cloud-init's
    // fallback, dhcp4 and dhcp6, on the leased NIC (ens4 here, though ens3
    // comes first: only the leased NIC is known to have a carrier).
    options.leased_mac = mac("52:54:00:00:00:02");
    for (const char* network : { "", "version: 7\n" }) {
        FakeSeed other;
        if (*network)
            other.files["/seed/network-config"] = network;
        else
            other.files.erase("/seed/network-config");
        FetchStats other_stats;
        auto fetched = fetch(other, requests, other_stats);
        REQUIRE(fetched.ok());
        CHECK(!fetched->has_network_data);
        CHECK(warned(other_stats.warnings, "network-config refused") == bool(*network));
        auto fallback = map_nocloud_network(*fetched, nics, options);
        REQUIRE(fallback.ok());
        CHECK(fallback->interfaces.at(0).name == "ens4");
        CHECK(fallback->interfaces.at(0).dhcp6);
    }

    // No meta-data: no instance.
    FakeSeed missing;
    missing.files.erase("/seed/meta-data");
    FetchStats missing_stats;
    CHECK(fetch(missing, requests, missing_stats).error().kind() == ErrorKind::NotFound);
}

TEST_CASE("nocloud: an ethernets key that is a space, or holds one, is ignored with a warning")
{
    // Found by the fuzz campaign: the key " " matched the known-key list at
    // its first byte, and the check read the byte before the list.
    std::vector<std::string> warnings;
    auto config = map_yaml("version: 2\nethernets:\n  d0:\n    \" \": (\n    \"dhcp4 dhcp6\": true\n    \" mtu\": 1\n    dhcp4: true\n", warnings);
    REQUIRE(config.ok());
    CHECK(warned(warnings, "ethernets.d0: ignoring ' '"));
    CHECK(warned(warnings, "ethernets.d0: ignoring 'dhcp4 dhcp6'"));
    CHECK(warned(warnings, "ethernets.d0: ignoring ' mtu'"));
    REQUIRE(config->interfaces.size() == 1);
    CHECK(config->interfaces[0].dhcp4);
    CHECK(!config->interfaces[0].mtu);
}

