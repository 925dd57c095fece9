// Alibaba Cloud ECS: detection, the token flow and meta-data/all through
// the provider against a fake service (Alibaba's header names, 403 when the
// service is off, a token that expires, no meta-data/all), the
// parser's bad-input table, cloud-init's mapping, and the render case
// tests/fixtures/render/cases/alibaba_two_nics.json.
#include "clouds/alibaba/alibaba.h"
#include "clouds/fetch.h"
#include "clouds/registry.h"

#include "../fake_transport.h"
#include "metadata_v1_golden.h"

#include <doctest/doctest.h>

using namespace mb;
using namespace mb::clouds;
using namespace metadata_v1_test;

namespace {

std::string document()
{
    return case_member(read_text("tests/fixtures/render/cases/alibaba_two_nics.json"), "alibaba");
}

MacAddress mac(const char* text)
{
    return MacAddress::parse(text).value();
}

// The case's NICs, listed in byte order of their names (ens10 before ens5).
const std::vector<SystemNic> system_nics {
    { mac("00:16:3e:12:34:56"), "ens10" },
    { mac("00:16:3e:30:3e:ca"), "ens5" },
};

// The service as Alibaba documents it: PUT /latest/api/token with
// X-aliyun-ecs-metadata-token-ttl-seconds, then every GET with
// X-aliyun-ecs-metadata-token, else 401.
struct FakeAlibaba {
    bool disabled { false };       // the PUT answers 403
    bool has_all { true };         // meta-data/all exists
    unsigned expire_after { 0 };   // a token's uses before it expires; 0: never
    unsigned tokens { 0 }, uses { 0 };
    std::vector<std::string> log;

    testing::FakeReply handle(const testing::FakeRequest& request)
    {
        log.push_back(request.method + " " + request.target);
        if (request.target == "/latest/api/token") {
            if (request.method != "PUT")
                return { testing::http_reply(405, "") };
            if (disabled)
                return { testing::http_reply(403, "Forbidden") };
            auto ttl = parse_decimal(request.header("x-aliyun-ecs-metadata-token-ttl-seconds"), 21600);
            if (!ttl || *ttl == 0)
                return { testing::http_reply(400, "") };
            ++tokens;
            uses = 0;
            return { testing::http_reply(200, "AliToken" + std::to_string(tokens)) };
        }
        if (request.method != "GET")
            return { testing::http_reply(405, "") };
        if (request.header("x-aliyun-ecs-metadata-token") != "AliToken" + std::to_string(tokens) || (expire_after && ++uses > expire_after))
            return { testing::http_reply(401, "") };
        if (request.target == "/2016-01-01/meta-data/all" && has_all)
            return { testing::http_reply(200, document(), "Content-Type: application/json\r\n") };
        if (request.target == "/2016-01-01/user-data")
            return { testing::http_reply(200, "#cloud-config\n") };
        return { testing::http_reply(404, "") };
    }
};

Result<InstanceMetadata> fetch(FakeAlibaba& service, FetchStats& stats)
{
    testing::FakeTime time;
    testing::FakeTransport transport(time, [&](const testing::FakeRequest& r) { return service.handle(r); }, 3);
    return fetch_metadata(alibaba_cloud, FetchOptions {}, transport, time, time.now() + http::Milliseconds(5000), stats);
}

InstanceMetadata parse(const std::string& json, std::vector<std::string>* warnings_out = nullptr)
{
    InstanceMetadata m;
    std::vector<std::string> warnings;
    REQUIRE(apply_alibaba_metadata(json, m, warnings).ok());
    if (warnings_out)
        *warnings_out = warnings;
    return m;
}

}

TEST_CASE("alibaba: detection from product_name alone, before the looser rules")
{
    PlatformFacts facts;
    facts.dmi.sys_vendor = "Alibaba Cloud";
    facts.dmi.product_name = "Alibaba Cloud ECS";
    CHECK(detect_alibaba(facts) == Verdict::Yes);
    CHECK(detect_cloud(facts) == &alibaba_cloud);
    CHECK(find_cloud("alibaba") == &alibaba_cloud);
    for (const char* product : { "alibaba cloud ecs", "Alibaba Cloud ECS ", "Alibaba Cloud", "" }) {
        facts.dmi.product_name = product;
        CHECK(detect_alibaba(facts) == Verdict::No);
    }
}

TEST_CASE("alibaba: the token under Alibaba's names, then meta-data/all and user-data under 2016-01-01")
{
    FakeAlibaba service;
    FetchStats stats;
    auto result = fetch(service, stats);
    REQUIRE_MESSAGE(result.ok(), result.error().message());
    CHECK(service.log == std::vector<std::string> { "PUT /latest/api/token", "GET /2016-01-01/meta-data/all", "GET /2016-01-01/user-data" });
    auto const& m = *result;
    CHECK(m.cloud == "alibaba");
    CHECK(m.api_version == "2016-01-01");
    CHECK(m.instance_id == "i-bp123");
    CHECK(m.hostname == "aliyun-vm-test");
    CHECK(m.local_hostname == "aliyun-vm-test");
    CHECK(m.instance_type.empty());
    // cloud-init's region and availability_zone read keys Alibaba lacks.
    CHECK(m.region.empty());
    CHECK(m.availability_zone.empty());
    CHECK(m.public_keys == std::vector<std::string> { "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB test@example" });
    CHECK(m.user_data == std::optional<std::string>("#cloud-config\n"));
    REQUIRE(m.nics.size() == 2);
}

TEST_CASE("alibaba: 403 on the token means the service is off; no token at all is no metadata")
{
    FakeAlibaba service;
    service.disabled = true;
    FetchStats stats;
    auto result = fetch(service, stats);
    REQUIRE(result.is_error());
    CHECK(result.error().kind() == ErrorKind::Refused);
    CHECK(result.error().message().find("403") != std::string::npos);
    CHECK(service.log.size() == 1);

    // A service without the token endpoint (404) is no IMDSv1 fallback as
    // on EC2: cloud-init gives up there too.
    testing::FakeTime time;
    testing::FakeTransport transport(time, [](const testing::FakeRequest&) { return testing::FakeReply { testing::http_reply(404, "") }; });
    FetchStats stats404;
    auto missing = fetch_metadata(alibaba_cloud, FetchOptions {}, transport, time, time.now() + http::Milliseconds(5000), stats404);
    REQUIRE(missing.is_error());
    CHECK(transport.requests.size() == 1);
}

TEST_CASE("alibaba: a token that expires is minted again once")
{
    FakeAlibaba service;
    service.expire_after = 1;
    FetchStats stats;
    auto result = fetch(service, stats);
    REQUIRE_MESSAGE(result.ok(), result.error().message());
    CHECK(service.tokens == 2);
    CHECK(result->instance_id == "i-bp123");
}

TEST_CASE("alibaba: without meta-data/all (an older service) there is no metadata, unlike cloud-init's tree fallback")
{
    FakeAlibaba service;
    service.has_all = false;
    FetchStats stats;
    auto result = fetch(service, stats);
    REQUIRE(result.is_error());
    CHECK(result.error().kind() == ErrorKind::NotFound);
    CHECK(service.log == std::vector<std::string> { "PUT /latest/api/token", "GET /2016-01-01/meta-data/all" });
}

TEST_CASE("alibaba: bad input is refused, dropped with a warning, or leaves the network out")
{
    InstanceMetadata m;
    std::vector<std::string> warnings;
    for (const char* bad : { "", "[]", "\"x\"", "{", "{\"a\":}" })
        CHECK(apply_alibaba_metadata(bad, m, warnings).is_error());

    auto hostile = parse(R"({"instance-id": "i-1\nrm -rf /", "hostname": "a b", "mac": "zz", "instance": {"instance-type": 7},
        "public-keys": {"0": "not a key", "1": ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB one"], "2": {"openssh-key": ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB two"]}},
        "network": {"interfaces": {"macs": {"not-a-mac": {}, "00:16:3e:00:00:01": {"ipv6s": ""}, "00:16:3e:00:00:02": {"ipv6s": ["2001:db8::1"]},
        "00:16:3e:00:00:03": {"ipv6s": []}, "00:16:3e:00:00:04": {"ipv6s": {}}}}}})", &warnings);
    CHECK(hostile.instance_id.empty());
    CHECK(hostile.hostname.empty());
    CHECK(hostile.public_keys == std::vector<std::string> { "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB one", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB two" });
    // ipv6s as Python tests it: "" [] {} are false.
    REQUIRE(hostile.nics.size() == 4);
    CHECK_FALSE(hostile.nics[0].ipv6_dhcp);
    CHECK(hostile.nics[1].ipv6_dhcp);
    CHECK_FALSE(hostile.nics[2].ipv6_dhcp);
    CHECK_FALSE(hostile.nics[3].ipv6_dhcp);
    CHECK(warnings.size() >= 4);

    auto no_network = parse(R"({"instance-id": "i-2", "network": "x"})");
    CHECK_FALSE(no_network.has_network_data);
    // cloud-init's network_config is then {}: its generic fallback.
    auto fallback = find_cloud("alibaba")->map_network(no_network, system_nics, {});
    REQUIRE(fallback.ok());
    REQUIRE(fallback->interfaces.size() == 1);
    CHECK(fallback->interfaces[0].name == "ens5");
    CHECK(fallback->interfaces[0].dhcp6);
}

TEST_CASE("alibaba: one NIC keeps no metric; a metadata NIC not here is skipped")
{
    auto m = parse(document());
    std::vector<SystemNic> one { system_nics[1] };
    auto config = find_cloud("alibaba")->map_network(m, one, {});
    REQUIRE(config.ok());
    REQUIRE(config->interfaces.size() == 1);
    CHECK(config->interfaces[0].name == "ens5");
    CHECK(config->interfaces[0].dhcp4_overrides.empty());
    CHECK_FALSE(config->interfaces[0].dhcp6);
    CHECK(config->skipped_macs == std::vector<MacAddress> { mac("00:16:3e:12:34:56") });
}

TEST_CASE("render golden: Alibaba two NICs in natural name order, metrics 100 and 200, DHCPv6 where ipv6s")
{
    auto config = find_cloud("alibaba")->map_network(parse(document()), system_nics, {});
    REQUIRE(config.ok());
    REQUIRE(config->interfaces.size() == 2);
    CHECK(config->interfaces[0].name == "ens5");
    CHECK(config->interfaces[0].dhcp4_overrides.route_metric == 100u);
    CHECK_FALSE(config->interfaces[0].dhcp6);
    CHECK(config->interfaces[1].name == "ens10");
    CHECK(config->interfaces[1].dhcp6_overrides.route_metric == 200u);
    CHECK(config->interfaces[1].match_mac == mac("00:16:3e:12:34:56"));
    check_goldens("alibaba_two_nics", *config);
}
