// Scaleway's registry row, and its detection from DMI and the kernel
// command line.
#include "clouds/scaleway/scaleway.h"

#include "common/text.h"

namespace mb::clouds {

namespace {

std::unique_ptr<Provider> make_scaleway_provider(Session& session)
{
    // query_data_api's rule (a source port below 1024) is the row's
    // privileged_source_port, which the whole connection keeps: the
    // document is served to any port, so one connection does for both.
    // 404: no user-data ("considers it as empty user/vendor data").
    static constexpr DocumentService service {
        .path = "/conf?format=json",
        .apply = apply_scaleway_metadata,
        .user_data_path = "/user_data/cloud-init",
        .decode = +[](std::string body) { return body; },
    };
    return std::make_unique<DocumentProvider>(session, service);
}

}

Verdict detect_scaleway(const PlatformFacts& facts)
{
    // ds-identify matches " scaleway " in " $cmdline " (a whole word),
    // where DataSourceScaleway.ds_detect takes any substring; ds-identify
    // runs first. Its third test, /var/run/scaleway made by Scaleway's own
    // initrd, cannot hold in an initramfs metaboot runs in.
    bool named = facts.dmi.sys_vendor == "Scaleway";
    for (auto word : split(trim(facts.cmdline), ' '))
        named |= word == "scaleway";
    return named ? Verdict::Yes : Verdict::No;
}

const Cloud scaleway_cloud {
    .name = "scaleway",
    // DataSourceScaleway's dsname, lowercased, for both.
    .cloud_init_name = "scaleway",
    .cloud_init_platform = "scaleway",
    // cloud-init takes a DHCPv4 lease first, and on an instance without
    // IPv4 (no lease, or no connection) brings the link up for IPv6 and
    // reaches [fd00:42::42] from the address router advertisements give
    // (EphemeralIPv6Network). Over IPv4 the service sits behind the
    // lease's router, which a host route pins, as cloud-init's config
    // pins one (via 62.210.0.1).
    .reach = ReachList(Reach::Dhcp4Routed, Reach::Ipv6Slaac),
    .privileged_source_port = true,
    .primary_nic = PrimaryNic::FirstInterface,
    .detect = detect_scaleway,
    .make_provider = make_scaleway_provider,
    .map_network = map_scaleway_network,
    .ipv4_service = "http://169.254.42.42",
    .ipv6_service = "http://[fd00:42::42]",
};

}
