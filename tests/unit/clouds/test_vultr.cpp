// Vultr: detection (DMI and the kernel argument), /v1.json through the
// provider against a fake service (its header), the parser's bad-input
// table, cloud-init's generate_network_config() and cloud_interfaces, and
// the render cases tests/fixtures/render/cases/vultr_*.json.
#include "clouds/fetch.h"
#include "clouds/registry.h"
#include "clouds/vultr/vultr.h"

#include "../fake_transport.h"
#include "metadata_v1_golden.h"

#include <doctest/doctest.h>

using namespace mb;
using namespace mb::clouds;
using namespace metadata_v1_test;

namespace {

std::string document(const char* name = "vultr_generated")
{
    return case_member(read_text(std::string("tests/fixtures/render/cases/") + name + ".json"), "vultr");
}

InstanceMetadata parse(const std::string& json, std::vector<std::string>* warnings_out = nullptr)
{
    InstanceMetadata m;
    std::vector<std::string> warnings;
    REQUIRE(apply_vultr_metadata(json, m, warnings).ok());
    m.raw.emplace_back("/v1.json", json);
    if (warnings_out)
        *warnings_out = warnings;
    return m;
}

MacAddress mac(const char* text)
{
    return MacAddress::parse(text).value();
}

const std::vector<SystemNic> system_nics {
    { mac("56:00:03:1b:4e:ca"), "eth0" },
    { mac("5a:00:03:1b:4e:ca"), "eth1" },
    { mac("5a:00:03:1b:4e:cb"), "eth2" },
};

Result<NetworkConfig> map(const InstanceMetadata& m, const std::vector<SystemNic>& system = system_nics)
{
    return find_cloud("vultr")->map_network(m, system, {});
}

// A document whose interfaces are `interfaces`.
std::string with_interfaces(const std::string& interfaces)
{
    return R"({"instance-v2-id": "v", "hostname": "h", "region": {"regioncode": "EWR"}, "interfaces": [)" + interfaces + "]}";
}

const std::string public_nic = R"({"mac": "56:00:03:1b:4e:ca", "ipv4": {"additional": [], "address": "198.18.6.171", "netmask": "255.255.254.0"}, "ipv6": {"additional": []}})";

}

TEST_CASE("vultr: detection from sys_vendor or the vultr kernel argument")
{
    PlatformFacts facts;
    facts.dmi.sys_vendor = "Vultr";
    CHECK(detect_vultr(facts) == Verdict::Yes);
    CHECK(detect_cloud(facts) == &vultr_cloud);
    CHECK(find_cloud("vultr") == &vultr_cloud);
    CHECK(vultr_cloud.cloud_init_name == "vultr");
    CHECK(vultr_cloud.cloud_init_platform == "vultr");
    CHECK(vultr_cloud.reach == ReachList(Reach::Dhcp4Lease));
    facts.dmi.sys_vendor = "Supermicro";
    for (const char* cmdline : { "BOOT_IMAGE=/vmlinuz vultr\n", "vultr", "ro vultr quiet" }) {
        facts.cmdline = cmdline;
        CHECK(detect_vultr(facts) == Verdict::Yes);
        CHECK(detect_cloud(facts) == &vultr_cloud);
    }
    for (const char* cmdline : { "vultr=1", "novultr", "ro quiet", "" }) {
        facts.cmdline = cmdline;
        CHECK(detect_vultr(facts) == Verdict::No);
    }
    facts.cmdline.clear();
    for (const char* vendor : { "vultr", "Vultr Holdings", "" }) {
        facts.dmi.sys_vendor = vendor;
        CHECK(detect_vultr(facts) == Verdict::No);
    }
}

TEST_CASE("vultr: one GET of /v1.json with Metadata-Token, the instance in the model")
{
    std::string body = document();
    testing::FakeTime time;
    testing::FakeTransport transport(time, [&](const testing::FakeRequest& request) {
        if (request.method != "GET" || request.target != "/v1.json")
            return testing::FakeReply { testing::http_reply(404, "") };
        return testing::FakeReply { testing::http_reply(200, body, "Content-Type: application/json\r\n") };
    });
    FetchStats stats;
    FetchOptions options;
    // Vultr's document has no serial check (its serial is the legacy
    // instanceid, its instance id instance-v2-id).
    options.system_serial = "42872224";
    auto result = fetch_metadata(vultr_cloud, options, transport, time, time.now() + http::Milliseconds(5000), stats);
    REQUIRE_MESSAGE(result.ok(), result.error().message());
    REQUIRE(transport.requests.size() == 1);
    CHECK(transport.requests[0].target == "/v1.json");
    CHECK(transport.requests[0].header("metadata-token") == "cloudinit");
    auto const& m = *result;
    CHECK(m.cloud == "vultr");
    CHECK(m.instance_id == "29bea708-2e6e-480a-90ad-0e6b5d5ad62f");
    CHECK(m.local_hostname == "metaboot-vultr");
    CHECK(m.hostname == "metaboot-vultr");
    // The country code wins over the region code, lower case.
    CHECK(m.region == "us");
    CHECK(m.availability_zone.empty());
    CHECK(m.public_keys.size() == 1);
    CHECK(m.user_data == std::optional<std::string>("#cloud-config\n"));
    CHECK(m.has_network_data);
}

TEST_CASE("vultr: identity rules and bad input")
{
    std::vector<std::string> warnings;
    // An empty hostname is "guest"; no country code: the region code.
    auto guest = parse(R"({"instance-v2-id": "a-1", "hostname": "", "region": {"regioncode": "EWR"}, "user-data": ""})", &warnings);
    CHECK(guest.local_hostname == "guest");
    CHECK(guest.region == "ewr");
    CHECK_FALSE(guest.user_data);
    CHECK(warnings.empty());
    auto bad = parse(R"({"instance-v2-id": "a b", "hostname": "x\ny", "region": {"regioncode": "E W"}, "public-keys": ["ssh-rsa \"x\"", 3], "user-data": []})", &warnings);
    CHECK(bad.instance_id.empty());
    CHECK(bad.hostname.empty());
    CHECK(bad.region.empty());
    CHECK(bad.public_keys.empty());
    CHECK_FALSE(bad.user_data);
    CHECK(warnings.size() >= 3);
    CHECK_FALSE(bad.has_network_data);
    CHECK(map(bad).is_error());
    for (const char* not_object : { "", "[]", "1", "{\"a\":", "{}x" }) {
        InstanceMetadata empty;
        CHECK(apply_vultr_metadata(not_object, empty, warnings).is_error());
    }
    // Network values the mapper cannot read drop that interface; none left
    // is an error (the run then writes DHCP on the leased NIC).
    const char* rows[] = {
        R"({"mac": "56:00:03:1b:4e:ca", "mtu": "x"})",
        R"({"mac": "56:00:03:1b:4e:ca", "mtu": 1.5})",
        R"({"mac": "56:00:03:1b:4e:ca", "accept-ra": "maybe"})",
        R"({"mac": "56:00:03:1b:4e:ca", "ipv4": {"additional": [{"address": "198.18.0.1\n", "netmask": "255.255.255.0"}]}})",
        R"({"mac": "56:00:03:1b:4e:ca", "ipv6": {"additional": [{"network": "2001:db8::", "prefix": "129"}]}})",
        R"({"mac": "56:00:03:1b:4e:ca", "ipv4": {"additional": [{"address": "198.18.0.1", "netmask": "255.255.255.0", "routes": [{"network": "x"}]}]}})",
    };
    for (const char* row : rows) {
        CAPTURE(row);
        auto config = map(parse(with_interfaces(row)));
        CHECK(config.is_error());
    }
    // A NIC that is not on this system fails the whole config, as
    // add_interface_names() and generate_interface() raise.
    auto missing = map(parse(with_interfaces(public_nic + R"(, {"mac": "5a:00:03:99:99:99", "ipv4": {"address": "10.0.0.2", "netmask": "255.0.0.0", "additional": []}})")));
    REQUIRE(missing.is_error());
    CHECK(missing.error().message().find("5a:00:03:99:99:99") != std::string::npos);
    // ... unless it is unconfigured (skipped before it is looked for).
    auto skipped = map(parse(with_interfaces(public_nic + R"(, {"mac": "5a:00:03:99:99:99", "unconfigured": true})")));
    REQUIRE(skipped.ok());
    CHECK(skipped->interfaces.size() == 1);
}

TEST_CASE("render golden: Vultr generate_network_config: public DHCP and SLAAC, private static, unconfigured left out")
{
    auto config = map(parse(document()));
    REQUIRE_MESSAGE(config.ok(), config.error().message());
    REQUIRE(config->interfaces.size() == 2);
    auto const& eth0 = config->interfaces[0];
    CHECK(eth0.dhcp4);
    CHECK_FALSE(eth0.dhcp6);
    CHECK(eth0.accept_ra == std::optional<bool>(true));
    CHECK(eth0.addresses == std::vector<IpPrefix> { *Ipv4Prefix::parse("198.18.9.77/24"), *Ipv6Prefix::parse("2001:db8:5:28a8::/64") });
    // The global nameservers go to interfaces with static addresses.
    CHECK(eth0.nameservers == std::vector<IpAddress> { *Ipv4Address::parse("108.61.10.10"), *Ipv6Address::parse("2001:19f0:300:1704::6") });
    auto const& eth1 = config->interfaces[1];
    CHECK(eth1.name == "eth1");
    CHECK(eth1.mtu == std::optional<uint32_t>(1450));
    CHECK(eth1.addresses == std::vector<IpPrefix> { *Ipv4Prefix::parse("10.1.112.3/20") });
    REQUIRE(eth1.routes.size() == 1);
    CHECK(eth1.routes[0].to == IpPrefix(*Ipv4Prefix::parse("198.18.64.0/18")));
    check_goldens("vultr_generated", *config);
}

TEST_CASE("render golden: Vultr cloud_interfaces named after the system NICs")
{
    const std::vector<SystemNic> nics { { mac("56:00:03:1b:4e:ca"), "ens3" }, { mac("5a:00:03:1b:4e:ca"), "ens7" } };
    auto config = map(parse(document("vultr_cloud_interfaces")), nics);
    REQUIRE_MESSAGE(config.ok(), config.error().message());
    REQUIRE(config->interfaces.size() == 2);
    CHECK(config->interfaces[0].name == "ens3");
    CHECK(config->interfaces[0].set_name == std::optional<std::string>("ens3"));
    CHECK(config->interfaces[0].accept_ra == std::optional<bool>(true));
    CHECK(config->interfaces[1].name == "ens7");
    CHECK(config->interfaces[1].mtu == std::optional<uint32_t>(1450));
    check_goldens("vultr_cloud_interfaces", *config);
    // A MAC that is not on this system fails the whole config.
    auto missing = map(parse(document("vultr_cloud_interfaces")), { nics[0] });
    CHECK(missing.is_error());
}
