// The reach kinds as data: a cloud's list, the names --reach and
// rd.metaboot.reach= take.
#include "cli/config.h"
#include "cli/reach.h"
#include "clouds/registry.h"

#include <doctest/doctest.h>

using namespace mb;
using namespace mb::cli;
using clouds::Reach;
using clouds::ReachList;

TEST_CASE("reach: a list keeps its order, up to four kinds, in one word")
{
    static_assert(sizeof(ReachList) == 2);
    constexpr ReachList one = Reach::Dhcp4Lease;
    static_assert(one.size() == 1 && one[0] == Reach::Dhcp4Lease);
    constexpr ReachList hetzner { Reach::Ipv6LinkLocal, Reach::Dhcp4Lease };
    static_assert(hetzner.size() == 2 && hetzner[0] == Reach::Ipv6LinkLocal && hetzner[1] == Reach::Dhcp4Lease);
    static_assert(ReachList().size() == 0);
    // Every cloud is reached by a DHCPv4 lease alone but these, each the
    // way cloud-init reaches it (the rows say how).
    const std::pair<std::string_view, ReachList> others[] = {
        { "digitalocean", ReachList(Reach::Ipv4LinkLocal, Reach::Dhcp4Lease) },
        { "ec2", ReachList(Reach::Dhcp4Lease, Reach::Ipv6Slaac) },
        { "alibaba", ReachList(Reach::Dhcp4Routed) },
        { "scaleway", ReachList(Reach::Dhcp4Routed, Reach::Ipv6Slaac) },
    };
    for (auto const* cloud : clouds::all_clouds()) {
        INFO(cloud->name);
        ReachList expected = Reach::Dhcp4Lease;
        for (auto const& [name, list] : others)
            expected = name == cloud->name ? list : expected;
        CHECK(cloud->reach == expected);
    }
}

TEST_CASE("reach: the service's URL by the kind's IP version, where the row names one")
{
    struct Row {
        std::string_view cloud;
        const char* ipv4;
        const char* ipv6;
    };
    // The others take http://169.254.169.254 (the run's default) over IPv4
    // and name nothing over IPv6.
    const Row rows[] = {
        { "ec2", nullptr, "http://[fd00:ec2::254]" },
        { "alibaba", "http://100.100.100.200", nullptr },
        { "scaleway", "http://169.254.42.42", "http://[fd00:42::42]" },
    };
    for (auto const* cloud : clouds::all_clouds()) {
        INFO(cloud->name);
        Row expected { cloud->name, nullptr, nullptr };
        for (auto const& row : rows)
            expected = row.cloud == cloud->name ? row : expected;
        for (Reach kind : { Reach::Dhcp4Lease, Reach::Dhcp4Routed, Reach::Ipv4LinkLocal })
            CHECK(std::string_view(clouds::row_service(*cloud, kind) ?: "") == std::string_view(expected.ipv4 ?: ""));
        for (Reach kind : { Reach::Ipv6LinkLocal, Reach::Ipv6Slaac })
            CHECK(std::string_view(clouds::row_service(*cloud, kind) ?: "") == std::string_view(expected.ipv6 ?: ""));
    }
}

TEST_CASE("reach: names, in the flag, the kernel command line and the config file")
{
    auto list = parse_reach_list("ipv4ll,dhcp4");
    REQUIRE(list.ok());
    CHECK(*list == ReachList(Reach::Ipv4LinkLocal, Reach::Dhcp4Lease));
    for (unsigned kind = 0; kind < 5; ++kind)
        CHECK(parse_reach_list(reach_name(Reach(kind)))->operator[](0) == Reach(kind));
    for (auto bad : { "", "dhcp", "ipv4ll,", "ipv4ll,ipv6ll,slaac,routed,dhcp4", "IPV4LL" }) {
        CAPTURE(bad);
        CHECK(parse_reach_list(bad).is_error());
    }

    Config config;
    REQUIRE(parse_flags(Command::Run, config, { "--reach", "slaac,ipv6ll" }).ok());
    CHECK(config.reach == ReachList(Reach::Ipv6Slaac, Reach::Ipv6LinkLocal));
    CHECK(parse_flags(Command::Lease, config, { "--reach", "dhcp4" }).is_error());

    Config booted;
    std::vector<std::string> warnings;
    apply_kernel_cmdline(booted, "quiet rd.metaboot.reach=routed", warnings);
    CHECK(warnings.empty());
    CHECK(booted.reach == ReachList(Reach::Dhcp4Routed));
    apply_kernel_cmdline(booted, "rd.metaboot.reach=carrier-pigeon", warnings);
    CHECK(warnings.size() == 1);
    CHECK(booted.reach == ReachList(Reach::Dhcp4Routed));

    Config image;
    apply_config_file(image, "reach = ipv6ll\n", warnings);
    CHECK(image.reach == ReachList(Reach::Ipv6LinkLocal));
}
