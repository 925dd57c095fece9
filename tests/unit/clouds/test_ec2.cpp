#include "clouds/ec2/ec2.h"
#include "clouds/fetch.h"
#include "clouds/values.h"

#include "fake_ec2.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <memory>

using namespace mb;
using namespace mb::clouds;
using mb::testing::FakeEc2;
using mb::testing::TokenMode;

namespace {

struct Run {
    Result<InstanceMetadata> result;
    FetchStats stats;
    testing::FakeTime time;
    http::TimePoint started;
    std::vector<testing::FakeRequest> requests;
    unsigned connects { 0 };
    unsigned writes { 0 };
};

std::unique_ptr<Run> run_fetch(FakeEc2& ec2, FetchOptions options = {}, http::Milliseconds budget = http::Milliseconds(10000), unsigned max_pipelined = 0)
{
    auto run = std::make_unique<Run>(Run { Error::invalid("not run") });
    testing::FakeTransport transport(run->time, [&](const testing::FakeRequest& r) { return ec2.handle(r); }, 7);
    transport.max_pipelined = max_pipelined;
    run->started = run->time.now();
    run->result = fetch_metadata(ec2_cloud, options, transport, run->time, run->started + budget, run->stats);
    run->requests = transport.requests;
    run->connects = transport.connects;
    run->writes = transport.writes;
    return run;
}

bool has_warning(const FetchStats& stats, std::string_view needle)
{
    for (auto const& w : stats.warnings)
        if (w.find(needle) != std::string::npos)
            return true;
    return false;
}

}

TEST_CASE("ec2: tokens required, two NICs, every value typed")
{
    auto ec2 = FakeEc2::standard(2);
    auto run = run_fetch(ec2);
    REQUIRE_MESSAGE(run->result.ok(), run->result.error().message());
    auto const& m = *run->result;
    CHECK(m.api_version == "2021-03-23");
    CHECK(m.instance_id == "i-0123456789abcdef0");
    CHECK(m.instance_type == "m5.large");
    CHECK(m.region == "us-east-1");
    CHECK(m.availability_zone == "us-east-1a");
    CHECK(m.local_hostname == "ip-172-31-0-10.ec2.internal");
    CHECK(m.primary_mac == MacAddress::parse("02:00:00:00:00:01"));
    CHECK(m.has_network_data);
    REQUIRE(m.nics.size() == 2);
    auto const& eth0 = m.nics[0];
    CHECK(eth0.mac.to_string() == "02:00:00:00:00:01");
    CHECK(eth0.device_number == 0u);
    CHECK(eth0.network_card == 0u);
    REQUIRE(eth0.ipv4_addresses.size() == 2);
    CHECK(eth0.ipv4_addresses[0].to_string() == "172.31.0.10/20");
    CHECK(eth0.ipv4_addresses[1].to_string() == "172.31.0.11/20");
    CHECK(eth0.ipv4_subnet->to_string() == "172.31.0.0/20");
    CHECK(eth0.ipv4_vpc_blocks.size() == 1);
    REQUIRE(eth0.ipv6_addresses.size() == 1);
    CHECK(eth0.ipv6_addresses[0].to_string() == "2600:1f18:aaaa:bb00::10/64");
    CHECK(m.nics[1].device_number == 1u);
    CHECK(m.public_keys == std::vector<std::string> { "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKJ5mCvRWfm4 my-key" });
    CHECK(m.user_data == "#cloud-config\n");
    CHECK(run->stats.warnings.empty());

    // Every GET carried the token; one connection served everything.
    for (auto const& r : run->requests)
        if (r.method == "GET")
            CHECK(r.header("x-aws-ec2-metadata-token") == ec2.current_token);
    CHECK(run->connects == 1);
    CHECK(run->stats.connections == 1);
    CHECK(ec2.tokens_issued == 1);
    // PUT, GET /, identity, local-hostname, hostname, mac, macs/, 7 per NIC,
    // public-keys/, one key, user-data.
    CHECK(run->stats.requests == 10 + 7 * 2);
    CHECK(run->stats.timings.size() == run->stats.requests);
    CHECK(run->stats.timings[0].method == "PUT");
    CHECK(m.raw.size() == run->stats.requests - 1);
}

TEST_CASE("ec2: tokens optional works with a token")
{
    auto ec2 = FakeEc2::standard(1);
    ec2.token_mode = TokenMode::Optional;
    auto run = run_fetch(ec2);
    REQUIRE(run->result.ok());
    CHECK(run->requests.back().header("x-aws-ec2-metadata-token") == ec2.current_token);
}

TEST_CASE("ec2: PUT answering 404 or timing out falls back to IMDSv1")
{
    for (auto mode : { TokenMode::Unsupported, TokenMode::Silent }) {
        auto ec2 = FakeEc2::standard(1);
        ec2.token_mode = mode;
        FetchOptions options;
        options.token_put_timeout = http::Milliseconds(300);
        auto run = run_fetch(ec2, options);
        REQUIRE_MESSAGE(run->result.ok(), run->result.error().message());
        CHECK(run->result->instance_id == "i-0123456789abcdef0");
        CHECK(has_warning(run->stats, "IMDSv1"));
        for (auto const& r : run->requests)
            CHECK(r.header("x-aws-ec2-metadata-token").empty());
        if (mode == TokenMode::Silent)
            CHECK(run->time.now() - run->started < http::Milliseconds(1000));
    }
}

TEST_CASE("ec2: 405 on the PUT also means no tokens")
{
    auto ec2 = FakeEc2::standard(1);
    ec2.token_mode = TokenMode::Optional;
    ec2.raw_replies["/latest/api/token"] = testing::http_reply(405, "");
    auto run = run_fetch(ec2);
    REQUIRE(run->result.ok());
}

TEST_CASE("ec2: 403 on the PUT is a clear 'disabled' error")
{
    auto ec2 = FakeEc2::standard(1);
    ec2.token_mode = TokenMode::Disabled;
    auto run = run_fetch(ec2);
    REQUIRE(run->result.is_error());
    CHECK(run->result.error().kind() == ErrorKind::Refused);
    CHECK(run->result.error().message().find("disabled") != std::string::npos);
    CHECK(run->stats.requests == 1);
}

TEST_CASE("ec2: 403 on a GET after a good token is refused, not retried")
{
    auto ec2 = FakeEc2::standard(1);
    ec2.raw_replies["/"] = testing::http_reply(403, "");
    auto run = run_fetch(ec2);
    REQUIRE(run->result.is_error());
    CHECK(run->result.error().kind() == ErrorKind::Refused);
    CHECK(run->stats.requests == 2);
}

TEST_CASE("ec2: a token that expires mid-fetch is refreshed")
{
    auto ec2 = FakeEc2::standard(2);
    ec2.token_uses_before_expiry = 5;
    auto run = run_fetch(ec2);
    REQUIRE_MESSAGE(run->result.ok(), run->result.error().message());
    CHECK(ec2.tokens_issued > 2);
    CHECK(run->result->nics.size() == 2);
}

TEST_CASE("ec2: a 401 that survives the refresh is an error, not a loop")
{
    auto ec2 = FakeEc2::standard(1);
    ec2.token_uses_before_expiry = 1;
    ec2.raw_replies["/2021-03-23/meta-data/hostname"] = testing::http_reply(401, "");
    auto run = run_fetch(ec2);
    REQUIRE(run->result.is_error());
    CHECK(run->stats.requests < 20);
    CHECK(run->result.error().kind() == ErrorKind::Refused);
    CHECK(run->result.error().message().find("401 Unauthorized even with a fresh IMDSv2 token") != std::string::npos);
}

TEST_CASE("ec2: a redirect is not followed and the error names it")
{
    auto ec2 = FakeEc2::standard(1);
    ec2.raw_replies["/2021-03-23/meta-data/mac"] = testing::http_reply(302, "", "Location: http://198.51.100.7/elsewhere\r\n");
    auto run = run_fetch(ec2);
    REQUIRE(run->result.is_error());
    CHECK(run->result.error().message().find("GET /2021-03-23/meta-data/mac: unexpected HTTP 302 (redirect to 'http://198.51.100.7/elsewhere' not followed)") != std::string::npos);
}

TEST_CASE("ec2: no user-data is not an error")
{
    auto ec2 = FakeEc2::standard(1);
    ec2.user_data.reset();
    auto run = run_fetch(ec2);
    REQUIRE(run->result.ok());
    CHECK_FALSE(run->result->user_data.has_value());
}

TEST_CASE("ec2: 500 then success is retried with backoff")
{
    auto ec2 = FakeEc2::standard(1);
    ec2.fail_with_500["/"] = 2;
    ec2.fail_with_500["/2021-03-23/meta-data/mac"] = 1;
    auto run = run_fetch(ec2);
    REQUIRE_MESSAGE(run->result.ok(), run->result.error().message());
    CHECK(run->time.now() - run->started >= http::Milliseconds(25 + 50 + 25));
}

TEST_CASE("ec2: 500 forever gives up before the deadline")
{
    auto ec2 = FakeEc2::standard(1);
    ec2.fail_with_500["/"] = 1000;
    auto run = run_fetch(ec2, {}, http::Milliseconds(3000));
    REQUIRE(run->result.is_error());
    CHECK(run->time.now() - run->started <= http::Milliseconds(3000));
}

TEST_CASE("ec2: a server that stalls beyond the deadline fails in time")
{
    auto ec2 = FakeEc2::standard(1);
    ec2.stall.insert("/2021-03-23/meta-data/network/interfaces/macs/");
    FetchOptions options;
    options.request_timeout = http::Milliseconds(5000);
    auto run = run_fetch(ec2, options, http::Milliseconds(1500));
    REQUIRE(run->result.is_error());
    CHECK(run->result.error().kind() == ErrorKind::Timeout);
    CHECK(run->time.now() - run->started == http::Milliseconds(1500));
}

TEST_CASE("ec2: a 200 MB user-data is capped and dropped, the network data kept")
{
    auto ec2 = FakeEc2::standard(1);
    ec2.raw_replies["/2021-03-23/user-data"] = "HTTP/1.1 200 OK\r\nContent-Length: 209715200\r\n\r\n" + std::string(8192, 'A');
    auto run = run_fetch(ec2);
    REQUIRE(run->result.ok());
    CHECK_FALSE(run->result->user_data.has_value());
    CHECK(has_warning(run->stats, "user-data"));
    ec2.raw_replies["/2021-03-23/meta-data/mac"] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + std::string("200000\r\n") + std::string(4096, 'A');
    auto capped = run_fetch(ec2);
    REQUIRE(capped.get()->result.is_error());
    CHECK(capped->result.error().kind() == ErrorKind::TooLarge);
}

TEST_CASE("ec2: only 2009-04-04 offered: identity only, no network tree")
{
    auto ec2 = FakeEc2::standard(2);
    ec2.versions = { "1.0", "2007-01-19", "2009-04-04", "latest" };
    ec2.identity_document.reset();
    auto run = run_fetch(ec2);
    REQUIRE_MESSAGE(run->result.ok(), run->result.error().message());
    CHECK(run->result->api_version == "2009-04-04");
    CHECK(run->result->instance_id == "i-0123456789abcdef0");
    CHECK(run->result->availability_zone == "us-east-1a");
    CHECK(run->result->region.empty());
    CHECK_FALSE(run->result->has_network_data);
    CHECK(run->result->nics.empty());
    for (auto const& r : run->requests)
        CHECK(r.target.find("network") == std::string::npos);
}

TEST_CASE("ec2: version negotiation")
{
    CHECK(select_ec2_version("1.0\n2009-04-04\n2016-09-02\n2021-03-23\n2099-01-01\nlatest\n").value() == "2021-03-23");
    CHECK(select_ec2_version("2009-04-04\n2016-09-02\n").value() == "2016-09-02");
    CHECK(select_ec2_version("2009-04-04\n2011-01-01\n2016-06-30\n").value() == "2009-04-04");
    CHECK(select_ec2_version("1.0\r\n2009-04-04\r\n").value() == "2009-04-04");
    CHECK(select_ec2_version("1.0\n2007-01-19\nlatest\n").error().kind() == ErrorKind::Unsupported);
    CHECK(select_ec2_version("").is_error());

    auto ec2 = FakeEc2::standard(1);
    ec2.versions = { "1.0", "2008-02-01" };
    auto run = run_fetch(ec2);
    REQUIRE(run->result.is_error());
    CHECK(run->result.error().kind() == ErrorKind::Unsupported);
}

TEST_CASE("ec2: 2016-09-02 has IPv6 but no network-card or region key")
{
    auto ec2 = FakeEc2::standard(1);
    ec2.versions = { "2009-04-04", "2016-09-02" };
    auto run = run_fetch(ec2);
    REQUIRE(run->result.ok());
    CHECK(run->result->api_version == "2016-09-02");
    CHECK_FALSE(run->result->nics[0].network_card.has_value());
    CHECK(run->result->nics[0].ipv6_addresses.size() == 1);
    CHECK(run->result->region == "us-east-1"); // from the identity document
}

TEST_CASE("ec2: 15 NICs")
{
    auto ec2 = FakeEc2::standard(15);
    auto run = run_fetch(ec2);
    REQUIRE(run->result.ok());
    REQUIRE(run->result->nics.size() == 15);
    for (unsigned i = 0; i < 15; ++i)
        CHECK(run->result->nics[i].device_number == i);
    CHECK(run->connects == 1);
}

TEST_CASE("ec2: device-number 0 is trusted only for the primary MAC")
{
    auto ec2 = FakeEc2::standard(3);
    ec2.meta_data["network/interfaces/macs/02:00:00:00:00:03/device-number"] = "0"; // not propagated yet
    auto run = run_fetch(ec2);
    REQUIRE(run->result.ok());
    auto const& nics = run->result->nics;
    CHECK(nics[0].mac.to_string() == "02:00:00:00:00:01");
    CHECK(nics[0].device_number == 0u);
    CHECK(nics[1].device_number == 1u);
    CHECK_FALSE(nics[2].device_number.has_value());
    CHECK(has_warning(run->stats, "not the primary MAC"));
}

TEST_CASE("ec2: hostile values are dropped with warnings, never kept as text")
{
    auto ec2 = FakeEc2::standard(1);
    ec2.identity_document = "{not json";
    ec2.meta_data["instance-id"] = "i-123\nrm -rf /";
    ec2.meta_data["instance-type"] = "m5.large'; echo pwned";
    ec2.meta_data["local-hostname"] = "host: {a: [b]}";
    ec2.meta_data["hostname"] = "$(reboot)";
    ec2.meta_data["placement/availability-zone"] = "\"us-east-1a\"";
    ec2.meta_data["network/interfaces/macs/"] += "../../etc/\nnot-a-mac/\n02:00:00:00:00:01/\n";
    ec2.meta_data["network/interfaces/macs/02:00:00:00:00:01/local-ipv4s"] = "172.31.0.10\n172.31.0.300\n10.0.0.1; reboot";
    ec2.meta_data["network/interfaces/macs/02:00:00:00:00:01/device-number"] = "-1";
    ec2.meta_data["network/interfaces/macs/02:00:00:00:00:01/subnet-ipv6-cidr-blocks"] = "2600:1f18:aaaa:bb00::/129";
    ec2.meta_data["public-keys/"] = "0=good\nbad\n1=evil";
    ec2.meta_data["public-keys/1/openssh-key"] = "command=\"reboot\" ssh-rsa AAAAB3NzaC1yc2EAAAADAQAB x\nssh-rsa AAAAB3NzaC1yc2EAAAADAQAB ok";
    auto run = run_fetch(ec2);
    REQUIRE_MESSAGE(run->result.ok(), run->result.error().message());
    auto const& m = *run->result;
    CHECK(m.instance_id.empty());
    CHECK(m.instance_type.empty());
    CHECK(m.local_hostname.empty());
    CHECK(m.hostname.empty());
    CHECK(m.availability_zone.empty());
    REQUIRE(m.nics.size() == 1);
    CHECK(m.nics[0].ipv4_addresses.size() == 1);
    CHECK(m.nics[0].ipv6_addresses[0].length() == 128);
    CHECK_FALSE(m.nics[0].device_number.has_value());
    CHECK(m.public_keys.size() == 2);
    CHECK(m.public_keys[1] == "ssh-rsa AAAAB3NzaC1yc2EAAAADAQAB ok");
    CHECK(has_warning(run->stats, "not a MAC address"));
    CHECK(has_warning(run->stats, "duplicate MAC"));
    CHECK(has_warning(run->stats, "identity document"));
    for (auto const& r : run->requests) {
        CHECK(r.target.find("..") == std::string::npos);
        CHECK(r.target.find("not-a-mac") == std::string::npos);
    }
    for (auto const& w : run->stats.warnings)
        CHECK(w.find('\n') == std::string::npos);
}

TEST_CASE("ec2: --crawl full walks the tree and builds the same model")
{
    auto ec2 = FakeEc2::standard(2);
    auto targeted = run_fetch(ec2);
    FetchOptions options;
    options.crawl_full = true;
    auto crawled = run_fetch(ec2, options);
    REQUIRE_MESSAGE(crawled->result.ok(), crawled->result.error().message());
    REQUIRE(crawled->result->nics.size() == targeted->result->nics.size());
    for (size_t i = 0; i < crawled->result->nics.size(); ++i) {
        auto const& a = crawled->result->nics[i];
        auto const& b = targeted->result->nics[i];
        CHECK(a.mac == b.mac);
        CHECK(a.device_number == b.device_number);
        CHECK(a.network_card == b.network_card);
        CHECK(a.ipv4_addresses == b.ipv4_addresses);
        CHECK(a.ipv4_subnet == b.ipv4_subnet);
        CHECK(a.ipv4_vpc_blocks == b.ipv4_vpc_blocks);
        CHECK(a.ipv6_addresses == b.ipv6_addresses);
        CHECK(a.ipv6_subnets == b.ipv6_subnets);
    }
    CHECK(crawled->result->public_keys == targeted->result->public_keys);
    CHECK(crawled->result->instance_id == targeted->result->instance_id);
    CHECK(crawled->stats.requests > targeted->stats.requests);
    bool fetched_key = false;
    for (auto const& r : crawled->requests)
        fetched_key = fetched_key || r.target == "/2021-03-23/meta-data/public-keys/0/openssh-key";
    CHECK(fetched_key);
}

TEST_CASE("ec2: connection refused is retried, then reported")
{
    auto ec2 = FakeEc2::standard(1);
    FetchStats stats;
    testing::FakeTime time;
    testing::FakeTransport transport(time, [&](const testing::FakeRequest& r) { return ec2.handle(r); });
    transport.refuse_connects = 1000;
    auto result = fetch_metadata(ec2_cloud, {}, transport, time, time.now() + http::Milliseconds(5000), stats);
    REQUIRE(result.is_error());
    CHECK(result.error().kind() == ErrorKind::Io);
    CHECK(transport.connects == 4);
}

TEST_CASE("fetch: a bad base URL is refused before any connection")
{
    FetchOptions options;
    options.base_url = "https://169.254.169.254";
    FetchStats stats;
    testing::FakeTime time;
    testing::FakeTransport transport(time, [](const testing::FakeRequest&) { return testing::FakeReply {}; });
    CHECK(fetch_metadata(ec2_cloud, options, transport, time, time.now() + http::Milliseconds(1000), stats).is_error());
    CHECK(transport.connects == 0);
}

TEST_CASE("values: identifiers, host names, keys, listings, netmasks")
{
    CHECK(is_safe_identifier("i-0123456789abcdef0"));
    CHECK(is_safe_identifier("m5.large"));
    CHECK_FALSE(is_safe_identifier(""));
    CHECK_FALSE(is_safe_identifier("a b"));
    CHECK_FALSE(is_safe_identifier("a\nb"));
    CHECK_FALSE(is_safe_identifier("a:b"));
    CHECK(is_valid_hostname("ip-10-0-0-1.ec2.internal"));
    CHECK_FALSE(is_valid_hostname("-bad.example"));
    CHECK_FALSE(is_valid_hostname("a..b"));
    CHECK_FALSE(is_valid_hostname(std::string(64, 'a')));
    CHECK_FALSE(is_valid_hostname("under_score"));
    CHECK(is_openssh_public_key("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKJ5mCvRWfm4"));
    CHECK(is_openssh_public_key("ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTY= a comment"));
    CHECK_FALSE(is_openssh_public_key("ssh-ed25519 short"));
    CHECK_FALSE(is_openssh_public_key("from=\"*\" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKJ5mCvRWfm4"));
    CHECK_FALSE(is_openssh_public_key("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKJ5mCvRWfm4 x\ry"));
    CHECK(parse_listing(" a \r\n\nb/\n") == std::vector<std::string_view> { "a", "b/" });
    CHECK(is_safe_listing_entry("02:00:00:00:00:01/"));
    CHECK(is_safe_listing_entry("0=my-key"));
    CHECK_FALSE(is_safe_listing_entry("../"));
    CHECK_FALSE(is_safe_listing_entry("a/b"));
    CHECK_FALSE(is_safe_listing_entry("a b"));
    CHECK(parse_public_key_index("3=k") == 3u);
    CHECK_FALSE(parse_public_key_index("x=k"));
    CHECK_FALSE(parse_public_key_index("3"));
    CHECK(ipv6_prefix_length_from_netmask(*Ipv6Address::parse("ffff:ffff:ffff:ffff::")) == 64);
    CHECK(ipv6_prefix_length_from_netmask(*Ipv6Address::parse("::")) == 0);
    CHECK_FALSE(ipv6_prefix_length_from_netmask(*Ipv6Address::parse("ffff::ffff")));
}

namespace {

std::vector<std::string> sorted_targets(const std::vector<testing::FakeRequest>& requests)
{
    std::vector<std::string> out;
    for (auto const& r : requests)
        out.push_back(r.method + " " + r.target);
    std::sort(out.begin(), out.end());
    return out;
}

}

TEST_CASE("ec2: pipelined, the same requests and the same model as one by one, in 6 round trips whatever the NIC count")
{
    for (unsigned nics : { 1u, 2u, 15u }) {
        CAPTURE(nics);
        auto pipelined_ec2 = FakeEc2::standard(nics);
        auto pipelined = run_fetch(pipelined_ec2);
        auto serial_ec2 = FakeEc2::standard(nics);
        FetchOptions one_by_one;
        one_by_one.pipelining = false;
        auto serial = run_fetch(serial_ec2, one_by_one);
        REQUIRE(pipelined->result.ok());
        REQUIRE(serial->result.ok());
        CHECK(sorted_targets(pipelined->requests) == sorted_targets(serial->requests));
        CHECK(pipelined->stats.requests == 10 + 7 * nics);
        CHECK(serial->stats.requests == 10 + 7 * nics);
        CHECK(pipelined->result->nics.size() == nics);
        CHECK(pipelined->result->nics == serial->result->nics);
        CHECK(pipelined->result->public_keys == serial->result->public_keys);
        auto pipelined_raw = pipelined->result->raw, serial_raw = serial->result->raw;
        std::sort(pipelined_raw.begin(), pipelined_raw.end());
        std::sort(serial_raw.begin(), serial_raw.end());
        CHECK(pipelined_raw == serial_raw);
        CHECK(pipelined->stats.warnings == serial->stats.warnings);
        // PUT, GET /, the identity document, then [identity keys, mac,
        // macs/, public-keys/], [every NIC's keys, the key], user-data.
        CHECK(pipelined->writes == 6);
        CHECK(serial->writes == 10 + 7 * nics);
        CHECK(pipelined->connects == 1);
    }
}

TEST_CASE("ec2: a pipelined answer worth retrying is retried on its own; a server that caps pipelining is served one by one")
{
    SUBCASE("a 500 inside the batch")
    {
        auto ec2 = FakeEc2::standard(3);
        ec2.fail_with_500["/2021-03-23/meta-data/network/interfaces/macs/02:00:00:00:00:02/local-ipv4s"] = 1;
        auto run = run_fetch(ec2);
        REQUIRE_MESSAGE(run->result.ok(), run->result.error().message());
        CHECK(run->result->nics.size() == 3);
        CHECK(run->stats.requests == 10 + 7 * 3 + 1);
    }
    SUBCASE("a server that takes 3 requests per read, then closes")
    {
        auto ec2 = FakeEc2::standard(3);
        auto run = run_fetch(ec2, {}, http::Milliseconds(10000), 3);
        REQUIRE_MESSAGE(run->result.ok(), run->result.error().message());
        auto reference_ec2 = FakeEc2::standard(3);
        auto reference = run_fetch(reference_ec2);
        CHECK(run->result->nics == reference->result->nics);
        CHECK(run->result->public_keys == reference->result->public_keys);
        CHECK(run->stats.warnings.empty());
        CHECK(run->connects > 1);
    }
    SUBCASE("a stall inside the batch is one timeout, then the fetch fails in time")
    {
        auto ec2 = FakeEc2::standard(2);
        ec2.stall.insert("/2021-03-23/meta-data/network/interfaces/macs/02:00:00:00:00:01/local-ipv4s");
        auto run = run_fetch(ec2);
        REQUIRE(run->result.is_error());
        CHECK(run->time.now() - run->started <= http::Milliseconds(2 * 2000));
    }
}
