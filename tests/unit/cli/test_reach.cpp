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
    // Every cloud of today is reached by a DHCPv4 lease alone, but
    // DigitalOcean: a link-local address first, as cloud-init does, then a
    // lease.
    for (auto const* cloud : clouds::all_clouds()) {
        INFO(cloud->name);
        if (cloud->name == "digitalocean")
            CHECK(cloud->reach == ReachList(Reach::Ipv4LinkLocal, Reach::Dhcp4Lease));
        else
            CHECK(cloud->reach == ReachList(Reach::Dhcp4Lease));
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
