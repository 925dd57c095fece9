// Hetzner Cloud: detection, /hetzner/v1/metadata and /hetzner/v1/userdata
// through the provider against a fake service (the serial check, 204 and
// base64 user-data), the parser's bad-input table, the network-config
// member through the v1 mapper, and the render case
// tests/fixtures/render/cases/hetzner_public.json.
#include "clouds/fetch.h"
#include "clouds/hetzner/hetzner.h"
#include "clouds/registry.h"
#include "common/json.h"

#include "../fake_transport.h"
#include "metadata_v1_golden.h"

#include <doctest/doctest.h>

using namespace mb;
using namespace mb::clouds;
using namespace metadata_v1_test;

namespace {

std::string metadata_yaml()
{
    auto text = read_text("tests/fixtures/render/cases/hetzner_public.json");
    auto document = parse_json(text);
    REQUIRE(document.ok());
    return std::string(document->string_member("hetzner_metadata").value_or(""));
}

InstanceMetadata parse(const std::string& yaml, std::vector<std::string>* warnings_out = nullptr)
{
    InstanceMetadata m;
    std::vector<std::string> warnings;
    auto applied = apply_hetzner_metadata(yaml, m, warnings);
    REQUIRE_MESSAGE(applied.ok(), applied.error().message());
    if (warnings_out)
        *warnings_out = warnings;
    return m;
}

const std::vector<SystemNic> system_nics { { MacAddress::parse("96:00:00:a1:b2:c3").value(), "eth0" } };

struct Service {
    std::string metadata = metadata_yaml();
    int user_data_status = 200;
    std::string user_data = "#cloud-config\nhostname: x\n";
};

Result<InstanceMetadata> fetch(const Service& service, std::string serial, std::vector<testing::FakeRequest>* requests = nullptr)
{
    testing::FakeTime time;
    testing::FakeTransport transport(time, [&](const testing::FakeRequest& request) {
        if (request.method == "GET" && request.target == "/hetzner/v1/metadata")
            return testing::FakeReply { testing::http_reply(200, service.metadata, "Content-Type: text/plain\r\n") };
        if (request.method == "GET" && request.target == "/hetzner/v1/userdata")
            return testing::FakeReply { service.user_data_status == 204 ? "HTTP/1.1 204 No Content\r\n\r\n" : testing::http_reply(service.user_data_status, service.user_data) };
        return testing::FakeReply { testing::http_reply(404, "not found") };
    });
    FetchOptions options;
    options.system_serial = std::move(serial);
    FetchStats stats;
    auto result = fetch_metadata(hetzner_cloud, options, transport, time, time.now() + http::Milliseconds(5000), stats);
    if (requests)
        *requests = transport.requests;
    return result;
}

Result<NetworkConfig> map(const InstanceMetadata& m, const std::vector<SystemNic>& system = system_nics)
{
    return find_cloud("hetzner")->map_network(m, system, {});
}

}

TEST_CASE("hetzner: detection from sys_vendor, with a serial")
{
    PlatformFacts facts;
    facts.dmi.sys_vendor = "Hetzner";
    facts.dmi.product_serial = "42424242";
    CHECK(detect_hetzner(facts) == Verdict::Yes);
    CHECK(detect_cloud(facts) == &hetzner_cloud);
    CHECK(find_cloud("hetzner") == &hetzner_cloud);
    CHECK(hetzner_cloud.cloud_init_name == "hetzner");
    CHECK(hetzner_cloud.reach == ReachList(Reach::Dhcp4Lease));
    // get_hcloud_data() fails without the serial.
    facts.dmi.product_serial.clear();
    CHECK(detect_hetzner(facts) == Verdict::No);
    CHECK(detect_cloud(facts) == nullptr);
    facts.dmi.product_serial = "1";
    for (const char* vendor : { "hetzner", "Hetzner Online GmbH", "" }) {
        facts.dmi.sys_vendor = vendor;
        CHECK(detect_hetzner(facts) == Verdict::No);
    }
}

TEST_CASE("hetzner: two GETs, the server in the model, the serial checked")
{
    std::vector<testing::FakeRequest> requests;
    auto result = fetch(Service {}, "42424242", &requests);
    REQUIRE_MESSAGE(result.ok(), result.error().message());
    REQUIRE(requests.size() == 2);
    CHECK(requests[0].target == "/hetzner/v1/metadata");
    CHECK(requests[1].target == "/hetzner/v1/userdata");
    for (auto const& request : requests)
        CHECK(request.method == "GET");
    auto const& m = *result;
    CHECK(m.cloud == "hetzner");
    CHECK(m.instance_id == "42424242");
    CHECK(m.local_hostname == "metaboot-hetzner");
    CHECK(m.hostname == "metaboot-hetzner");
    // cloud-init keeps neither region nor availability zone.
    CHECK(m.region.empty());
    CHECK(m.availability_zone.empty());
    CHECK(m.public_keys == std::vector<std::string> { "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB test@example" });
    CHECK(m.user_data == std::optional<std::string>("#cloud-config\nhostname: x\n"));
    CHECK(m.has_network_data);
    // The serial must be the instance id (no serial: forced with --provider).
    auto other = fetch(Service {}, "1234");
    REQUIRE(other.is_error());
    CHECK(other.error().kind() == ErrorKind::Refused);
    CHECK(other.error().message().find("1234") != std::string::npos);
    CHECK(fetch(Service {}, "").ok());
}

TEST_CASE("hetzner: user-data: 204 and empty are none, strict base64 is decoded")
{
    struct Row {
        int status;
        std::string body;
        std::optional<std::string> expected;
    };
    const Row rows[] = {
        { 204, "", std::nullopt },
        { 200, "", std::nullopt },
        { 404, "not found", std::nullopt },
        { 200, "I2Nsb3VkLWNvbmZpZwo=", std::string("#cloud-config\n") },
        // Whitespace or no padding: b64decode(validate=True) refuses, so
        // the text is kept.
        { 200, "I2Nsb3VkLWNvbmZpZwo=\n", std::string("I2Nsb3VkLWNvbmZpZwo=\n") },
        { 200, "I2Nsb3VkLWNvbmZpZwo", std::string("I2Nsb3VkLWNvbmZpZwo") },
        { 200, "#!/bin/sh\necho hi\n", std::string("#!/bin/sh\necho hi\n") },
    };
    for (auto const& row : rows) {
        CAPTURE(row.status);
        CAPTURE(row.body);
        Service service;
        service.user_data_status = row.status;
        service.user_data = row.body;
        auto result = fetch(service, "42424242");
        REQUIRE(result.ok());
        CHECK(result->user_data == row.expected);
    }
    // A failing user-data never costs the metadata.
    Service failing;
    failing.user_data_status = 403;
    auto result = fetch(failing, "42424242");
    REQUIRE(result.ok());
    CHECK_FALSE(result->user_data);
}

TEST_CASE("hetzner: bad input is refused or dropped with a warning")
{
    for (const char* not_mapping : { "", "- a\n- b\n", "just text\n", "a: [\n", "instance-id: 1\ninstance-id: 2\n" }) {
        CAPTURE(not_mapping);
        InstanceMetadata m;
        std::vector<std::string> warnings;
        CHECK(apply_hetzner_metadata(not_mapping, m, warnings).is_error());
    }
    // No usable instance id fails, as cloud-init's md["instance-id"] does.
    for (const char* id : { "hostname: x\n", "instance-id: ''\n", "instance-id: \"1 2\"\n", "instance-id: [1]\n" }) {
        CAPTURE(id);
        InstanceMetadata m;
        std::vector<std::string> warnings;
        CHECK(apply_hetzner_metadata(id, m, warnings).is_error());
    }
    std::vector<std::string> warnings;
    auto m = parse("instance-id: 7\nhostname: \"evil\\nhost\"\npublic-keys:\n- ssh-rsa \"x\"\n- 3\n", &warnings);
    CHECK(m.instance_id == "7");
    CHECK(m.hostname.empty());
    CHECK(m.public_keys.empty());
    CHECK(warnings.size() >= 2);
    CHECK_FALSE(m.has_network_data);
    CHECK(map(m).is_error());
    // A network-config the mapper refuses leaves no network data.
    auto refused = parse("instance-id: 7\nnetwork-config:\n  version: 3\n");
    CHECK_FALSE(refused.has_network_data);
    auto bad_subnet = parse("instance-id: 7\nnetwork-config:\n  version: 1\n  config:\n  - type: physical\n    name: eth0\n    subnets:\n    - type: static\n      address: 2001:db8::1/129\n", &warnings);
    CHECK_FALSE(bad_subnet.has_network_data);
}

TEST_CASE("render golden: Hetzner DHCPv4 and a static IPv6 via fe80::1")
{
    auto m = parse(metadata_yaml());
    m.raw.emplace_back("/hetzner/v1/metadata", metadata_yaml());
    auto config = map(m);
    REQUIRE_MESSAGE(config.ok(), config.error().message());
    REQUIRE(config->interfaces.size() == 1);
    auto const& eth0 = config->interfaces[0];
    CHECK(eth0.name == "eth0");
    CHECK(eth0.dhcp4);
    CHECK(eth0.addresses == std::vector<IpPrefix> { *Ipv6Prefix::parse("2001:db8:4f8:c17::1/64") });
    REQUIRE(eth0.routes.size() == 1);
    CHECK(eth0.routes[0].to == IpPrefix(Ipv6Prefix()));
    CHECK(eth0.routes[0].via == std::optional<IpAddress>(*Ipv6Address::parse("fe80::1")));
    CHECK(eth0.nameservers.size() == 2);
    // The link-local gateway is named with its interface in ifupdown.
    auto eni = render::render_ifupdown(*config);
    REQUIRE(eni.ok());
    CHECK(eni->find("ip -6 route add default via fe80::1 dev eth0") != std::string::npos);
    check_goldens("hetzner_public", *config);
    // Matched by MAC and renamed to the metadata's name, as cloud-init's
    // v1 set-name does.
    auto renamed = map(m, { { MacAddress::parse("96:00:00:a1:b2:c3").value(), "ens3" } });
    REQUIRE(renamed.ok());
    CHECK(renamed->interfaces[0].match_mac == MacAddress::parse("96:00:00:a1:b2:c3"));
    CHECK(renamed->interfaces[0].set_name == std::optional<std::string>("eth0"));
}
