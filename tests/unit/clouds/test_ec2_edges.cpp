// EC2's parser on bad single values and its crawl's limits: each case names
// the value dropped and the exact warning or error (issue 19 item 4).
#include "clouds/ec2/ec2.h"
#include "clouds/fetch.h"
#include "clouds/values.h"

#include "fake_ec2.h"
#include "../show_strings.h"

#include <doctest/doctest.h>

#include <map>
#include <memory>

using namespace mb;
using namespace mb::clouds;
using mb::testing::FakeEc2;
using mb::testing::TokenMode;

namespace {

constexpr const char* nic_base = "network/interfaces/macs/02:00:00:00:00:01/";

// The builder against a map of meta-data keys (absent keys are 404).
struct Tree {
    std::map<std::string, std::string> keys;
    std::vector<std::string> warnings;

    Result<InstanceMetadata> build(std::string_view version = "2021-03-23")
    {
        warnings.clear();
        auto lookup = [this](std::string_view path) -> Result<std::string> {
            auto it = keys.find(std::string(path));
            if (it == keys.end())
                return Error::not_found(std::string(path));
            return it->second;
        };
        return build_ec2_metadata(lookup, version, std::nullopt, warnings);
    }
};

Tree one_nic_tree()
{
    Tree tree;
    tree.keys["mac"] = "02:00:00:00:00:01";
    tree.keys["network/interfaces/macs/"] = "02:00:00:00:00:01/";
    tree.keys[std::string(nic_base) + "device-number"] = "0";
    tree.keys[std::string(nic_base) + "local-ipv4s"] = "172.31.0.10";
    tree.keys[std::string(nic_base) + "subnet-ipv4-cidr-block"] = "172.31.0.0/20";
    return tree;
}

struct Fetched {
    Result<InstanceMetadata> result { Error::invalid("not run") };
    FetchStats stats;
    std::vector<testing::FakeRequest> requests;
};

Fetched fetch(FakeEc2& ec2, FetchOptions options = {})
{
    Fetched out;
    testing::FakeTime time;
    testing::FakeTransport transport(time, [&](const testing::FakeRequest& r) { return ec2.handle(r); }, 7);
    out.result = fetch_metadata(ec2_cloud, options, transport, time, time.now() + http::Milliseconds(10000), out.stats);
    out.requests = transport.requests;
    return out;
}

FetchOptions crawl_options()
{
    FetchOptions options;
    options.crawl_full = true;
    return options;
}

size_t count_gets(const std::vector<testing::FakeRequest>& requests, std::string_view target)
{
    size_t n = 0;
    for (auto const& r : requests)
        n += r.method == "GET" && r.target == target;
    return n;
}

}

TEST_CASE("ec2 edges: one bad NIC value, the value dropped and the warning exact")
{
    struct Case {
        const char* key;
        const char* value;
        const char* warning;
    };
    const Case cases[] = {
        { "vpc-ipv4-cidr-blocks", "172.31.0.0/16\n10.0.0.0/33", "dropping network/interfaces/macs/02:00:00:00:00:01/vpc-ipv4-cidr-blocks: invalid value '10.0.0.0/33'" },
        { "network-card", "256", "dropping network/interfaces/macs/02:00:00:00:00:01/network-card: invalid value '256'" },
        { "device-number", "1024", "dropping network/interfaces/macs/02:00:00:00:00:01/device-number: invalid value '1024'" },
        { "subnet-ipv4-cidr-block", "172.31.0.0/20; x", "dropping network/interfaces/macs/02:00:00:00:00:01/subnet-ipv4-cidr-block: invalid value '172.31.0.0/20; x'" },
        { "ipv6s", "2600::1::2", "dropping network/interfaces/macs/02:00:00:00:00:01/ipv6s: invalid value '2600::1::2'" },
    };
    for (auto const& c : cases) {
        INFO(std::string(c.key));
        auto tree = one_nic_tree();
        tree.keys[std::string(nic_base) + c.key] = c.value;
        auto result = tree.build();
        REQUIRE(result.ok());
        REQUIRE(result->nics.size() == 1);
        CHECK(testing::joined(tree.warnings) == testing::joined({ c.warning }));
    }
    // What each drop left behind.
    auto tree = one_nic_tree();
    tree.keys[std::string(nic_base) + "vpc-ipv4-cidr-blocks"] = "172.31.0.0/16\n10.0.0.0/33";
    auto kept = tree.build();
    REQUIRE(kept.ok());
    REQUIRE(kept->nics[0].ipv4_vpc_blocks.size() == 1);
    CHECK(kept->nics[0].ipv4_vpc_blocks[0].to_string() == "172.31.0.0/16");
}

TEST_CASE("ec2 edges: an address outside its subnet is dropped; with no subnet it stands alone as /32")
{
    auto tree = one_nic_tree();
    tree.keys[std::string(nic_base) + "local-ipv4s"] = "172.31.0.10\n10.0.0.5";
    auto outside = tree.build();
    REQUIRE(outside.ok());
    REQUIRE(outside->nics[0].ipv4_addresses.size() == 1);
    CHECK(outside->nics[0].ipv4_addresses[0].to_string() == "172.31.0.10/20");
    CHECK(testing::joined(tree.warnings) == testing::joined({ "dropping 10.0.0.5 of 02:00:00:00:00:01: outside subnet 172.31.0.0/20" }));

    // EC2-Classic: no subnet key at all.
    tree.keys.erase(std::string(nic_base) + "subnet-ipv4-cidr-block");
    auto classic = tree.build();
    REQUIRE(classic.ok());
    REQUIRE(classic->nics[0].ipv4_addresses.size() == 2);
    CHECK(classic->nics[0].ipv4_addresses[0].to_string() == "172.31.0.10/32");
    CHECK(classic->nics[0].ipv4_addresses[1].to_string() == "10.0.0.5/32");
    CHECK_FALSE(classic->nics[0].ipv4_subnet.has_value());
    CHECK(testing::joined(tree.warnings) == "");
}

TEST_CASE("ec2 edges: a bad top-level mac is dropped, and device-number 0 is then trusted for no NIC")
{
    auto tree = one_nic_tree();
    tree.keys["mac"] = "02:00:00:00:00:zz\n";
    auto result = tree.build();
    REQUIRE(result.ok());
    CHECK_FALSE(result->primary_mac.has_value());
    REQUIRE(result->nics.size() == 1);
    CHECK_FALSE(result->nics[0].device_number.has_value());
    CHECK(testing::joined(tree.warnings) == testing::joined({
              "dropping mac: invalid value '02:00:00:00:00:zz?'",
              "ignoring device-number 0 of 02:00:00:00:00:01: not the primary MAC",
          }));
}

TEST_CASE("ec2 edges: NICs beyond 128 are ignored with one warning")
{
    Tree tree;
    std::string listing;
    for (unsigned i = 0; i < 130; ++i) {
        char mac[32];
        std::snprintf(mac, sizeof mac, "02:00:00:00:%02x:%02x/\n", i / 256, i % 256);
        listing += mac;
    }
    tree.keys["network/interfaces/macs/"] = listing;
    auto result = tree.build();
    REQUIRE(result.ok());
    CHECK(result->nics.size() == 128);
    CHECK(result->nics.back().mac.to_string() == "02:00:00:00:00:7f");
    CHECK(testing::joined(tree.warnings) == testing::joined({ "ignoring NICs beyond 128" }));
}

TEST_CASE("ec2 edges: IMDSv2 token and 401 faults are errors of the right kind")
{
    struct Case {
        const char* name;
        const char* put_reply_body; // a 200 to the PUT with this body; null: the fake's own reply
        TokenMode mode;
        const char* get_root_reply; // raw reply to GET /; null: the fake's own
        ErrorKind kind;
        const char* message;
    };
    const std::string unauthorized = testing::http_reply(401, "");
    const Case cases[] = {
        { "empty token", "   \n", TokenMode::Required, nullptr, ErrorKind::Invalid, "IMDSv2 token is not a printable string" },
        { "token with a control character", "AQAE\x01token", TokenMode::Required, nullptr, ErrorKind::Invalid, "IMDSv2 token is not a printable string" },
        { "a 401 and then no token endpoint", nullptr, TokenMode::Unsupported, unauthorized.c_str(), ErrorKind::Refused, "GET /: 401 Unauthorized and no IMDSv2 token available" },
    };
    for (auto const& c : cases) {
        INFO(std::string(c.name));
        auto ec2 = FakeEc2::standard(1);
        ec2.token_mode = c.mode;
        if (c.put_reply_body)
            ec2.raw_replies["/latest/api/token"] = testing::http_reply(200, c.put_reply_body);
        if (c.get_root_reply)
            ec2.raw_replies["/"] = c.get_root_reply;
        auto run = fetch(ec2);
        REQUIRE(run.result.is_error());
        CHECK(run.result.error().kind() == c.kind);
        CHECK(run.result.error().message() == c.message);
    }
    // A token longer than 1024 characters is refused the same way.
    auto ec2 = FakeEc2::standard(1);
    ec2.raw_replies["/latest/api/token"] = testing::http_reply(200, std::string(1025, 'A'));
    auto run = fetch(ec2);
    REQUIRE(run.result.is_error());
    CHECK(run.result.error().message() == "IMDSv2 token is not a printable string");
}

TEST_CASE("ec2 edges: an identity document answer other than 404 fails the fetch")
{
    auto ec2 = FakeEc2::standard(1);
    ec2.raw_replies["/2021-03-23/dynamic/instance-identity/document"] = testing::http_reply(403, "");
    auto run = fetch(ec2);
    REQUIRE(run.result.is_error());
    CHECK(run.result.error().kind() == ErrorKind::Refused);
    CHECK(run.result.error().message() == "GET /2021-03-23/dynamic/instance-identity/document: 403 Forbidden (instance metadata service disabled?)");
}

TEST_CASE("ec2 edges: the crawl skips 404 directories and unsafe entries, and answers keys it did not find as absent")
{
    auto ec2 = FakeEc2::standard(1);
    ec2.meta_data.erase("hostname");
    ec2.meta_data["bad key"] = "x";
    ec2.meta_data["block-device-mapping/root"] = "/dev/xvda";
    ec2.raw_replies["/2021-03-23/meta-data/block-device-mapping/"] = testing::http_reply(404, "");
    auto run = fetch(ec2, crawl_options());
    REQUIRE_MESSAGE(run.result.ok(), run.result.error().message());
    // hostname is not in the tree: absent, and not fetched after the crawl.
    CHECK(run.result->hostname.empty());
    CHECK(run.result->local_hostname == "ip-172-31-0-10.ec2.internal");
    CHECK(count_gets(run.requests, "/2021-03-23/meta-data/hostname") == 0);
    CHECK(count_gets(run.requests, "/2021-03-23/meta-data/block-device-mapping/") == 1);
    CHECK(count_gets(run.requests, "/2021-03-23/meta-data/block-device-mapping/root") == 0);
    for (auto const& r : run.requests)
        CHECK(r.target.find("bad") == std::string::npos);
    CHECK(testing::joined(run.stats.warnings) == testing::joined({ "not crawling 'bad key' under " }));
}

TEST_CASE("ec2 edges: a crawl answer other than 404 fails the fetch, for a directory and for a leaf")
{
    struct Case {
        const char* path;
        const char* message;
    };
    const Case cases[] = {
        { "/2021-03-23/meta-data/placement/", "GET /2021-03-23/meta-data/placement/: 403 Forbidden (instance metadata service disabled?)" },
        { "/2021-03-23/meta-data/instance-type", "GET /2021-03-23/meta-data/instance-type: 403 Forbidden (instance metadata service disabled?)" },
    };
    for (auto const& c : cases) {
        INFO(std::string(c.path));
        auto ec2 = FakeEc2::standard(1);
        ec2.raw_replies[c.path] = testing::http_reply(403, "");
        auto run = fetch(ec2, crawl_options());
        REQUIRE(run.result.is_error());
        CHECK(run.result.error().kind() == ErrorKind::Refused);
        CHECK(run.result.error().message() == c.message);
    }
}

TEST_CASE("ec2 edges: the crawl stops at 2048 entries")
{
    auto ec2 = FakeEc2::standard(1);
    for (unsigned i = 0; i < 2100; ++i)
        ec2.meta_data["a-tags/k" + std::to_string(10000 + i)] = "v";
    auto run = fetch(ec2, crawl_options());
    REQUIRE_MESSAGE(run.result.ok(), run.result.error().message());
    // The warning comes once, from the outermost call, though the walk
    // stopped inside a-tags/.
    CHECK(testing::joined(run.stats.warnings) == testing::joined({ "crawl stopped at 2048 entries", "the service has no network/interfaces/macs/ listing" }));
    // The walk ended inside a-tags/: what came after it was never fetched,
    // so the NIC tree is absent and the builder says so.
    CHECK(count_gets(run.requests, "/2021-03-23/meta-data/a-tags/k10000") == 1);
    CHECK(count_gets(run.requests, "/2021-03-23/meta-data/a-tags/k12099") == 0);
    CHECK(run.result->instance_id == "i-0123456789abcdef0"); // from the identity document
    CHECK(run.result->nics.empty());
}

TEST_CASE("ec2 edges: mapping a /31 subnet has no VPC router; secondary IPv6 addresses are /128")
{
    InstanceMetadata metadata;
    metadata.cloud = "ec2";
    metadata.has_network_data = true;
    auto primary_mac = MacAddress::parse("02:00:00:00:00:01").value();
    auto secondary_mac = MacAddress::parse("02:00:00:00:00:02").value();
    NicMetadata primary;
    primary.mac = primary_mac;
    primary.device_number = 0;
    primary.ipv4_addresses.push_back(Ipv4Prefix::parse("172.31.0.10/20").value());
    primary.ipv6_addresses.push_back(Ipv6Prefix::parse("2600:1f18::10/64").value());
    primary.ipv6_addresses.push_back(Ipv6Prefix::parse("2600:1f18::11/64").value());
    primary.ipv6_subnets.push_back(Ipv6Prefix::parse("2600:1f18::/64").value());
    NicMetadata secondary;
    secondary.mac = secondary_mac;
    secondary.device_number = 1;
    secondary.ipv4_addresses.push_back(Ipv4Prefix::parse("10.1.0.0/31").value());
    secondary.ipv4_subnet = Ipv4Prefix::parse("10.1.0.0/31");
    metadata.nics = { primary, secondary };
    std::vector<SystemNic> system { { primary_mac, "ens5" }, { secondary_mac, "ens6" } };
    auto config = map_ec2_network(metadata, system, {});
    REQUIRE_MESSAGE(config.ok(), config.error().message());
    REQUIRE(config->interfaces.size() == 2);
    auto const& first = config->interfaces[0];
    REQUIRE(first.addresses.size() == 1);
    CHECK(to_string(first.addresses[0]) == "2600:1f18::11/128");
    auto const& second = config->interfaces[1];
    // No default route through a router at base + 1 (a /31 has none), only
    // the subnet's own route in table 101.
    REQUIRE(second.routes.size() == 1);
    CHECK(to_string(second.routes[0].to) == "10.1.0.0/31");
    CHECK_FALSE(second.routes[0].via.has_value());
    CHECK(second.routes[0].table == 101u);
}

TEST_CASE("ec2 edges: metadata NICs none of which is on this system fall back to DHCP on the leased NIC")
{
    InstanceMetadata metadata;
    metadata.cloud = "ec2";
    metadata.has_network_data = true;
    NicMetadata gone;
    gone.mac = MacAddress::parse("02:00:00:00:00:99").value();
    metadata.nics = { gone };
    auto leased = MacAddress::parse("02:00:00:00:00:01").value();
    std::vector<SystemNic> system { { leased, "ens5" } };
    MappingOptions options;
    options.leased_mac = leased;
    auto config = map_ec2_network(metadata, system, options);
    REQUIRE_MESSAGE(config.ok(), config.error().message());
    CHECK(config->skipped_macs == std::vector<MacAddress> { gone.mac });
    REQUIRE(config->interfaces.size() == 1);
    CHECK(config->interfaces[0].name == "ens5");
    CHECK(config->interfaces[0].dhcp4);
}

TEST_CASE("values edges: blank lines among keys are skipped; a key past 16 KiB is dropped")
{
    const std::string key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKJ5mCvRWfm4 k";
    std::vector<std::string> keys, warnings;
    append_public_keys("\n  \n" + key + "\n\n", "test", keys, warnings);
    CHECK(testing::joined(keys) == key + "\n");
    CHECK(warnings.empty());

    CHECK_FALSE(is_openssh_public_key(key + std::string(16384, 'x')));
    keys.clear();
    append_public_keys(key + std::string(16384, 'x'), "test", keys, warnings);
    CHECK(keys.empty());
    CHECK(testing::joined(warnings) == "dropping a malformed key in test\n");
}
