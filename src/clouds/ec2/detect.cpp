// EC2's registry row, and its detection from DMI alone (no network, about a
// millisecond).
#include "clouds/ec2/ec2.h"

#include "common/text.h"

namespace mb::clouds {

namespace {

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix)
{
    return text.size() >= prefix.size() && iequals(text.substr(0, prefix.size()), prefix);
}

bool contains_ignoring_case(std::string_view text, std::string_view needle)
{
    return to_lower(text).find(to_lower(needle)) != std::string::npos;
}

std::unique_ptr<Provider> make_ec2_provider(Session& session)
{
    return std::make_unique<Ec2Provider>(session);
}

}

Verdict detect_ec2(const PlatformFacts& facts)
{
    const DmiInfo& dmi = facts.dmi;
    // Nitro instances: sys_vendor (and bios_vendor) "Amazon EC2".
    if (dmi.sys_vendor == "Amazon EC2")
        return Verdict::Yes;
    // Xen-era instances: Xen reports a UUID AWS generates with an "ec2"
    // prefix, and a BIOS/product version like "4.11.amazon". A random UUID
    // starts with "ec2" one time in 4096, so the prefix alone is not enough.
    if (contains_ignoring_case(dmi.product_version, "amazon"))
        return Verdict::Yes;
    if (starts_with_ignoring_case(dmi.product_uuid, "ec2") && dmi.sys_vendor == "Xen")
        return Verdict::Yes;
    return Verdict::No;
}

namespace {

// EC2-compatible services, as cloud-init's DataSourceEc2 identifies them
// (identify_brightbox, _zstack, _e24cloud, _outscale: DMI values compared
// lower-cased): the same provider and mapping, their own names in
// instance-data (cloud_name), which is what the rows are for.
bool ends_with_ignoring_case(std::string_view text, std::string_view suffix)
{
    return text.size() >= suffix.size() && iequals(text.substr(text.size() - suffix.size()), suffix);
}

Verdict detect_brightbox(const PlatformFacts& facts)
{
    return ends_with_ignoring_case(facts.dmi.product_serial, ".brightbox.com") ? Verdict::Yes : Verdict::No;
}

Verdict detect_zstack(const PlatformFacts& facts)
{
    return ends_with_ignoring_case(facts.dmi.chassis_asset_tag, ".zstack.io") ? Verdict::Yes : Verdict::No;
}

Verdict detect_e24cloud(const PlatformFacts& facts)
{
    return iequals(facts.dmi.sys_vendor, "e24cloud") ? Verdict::Yes : Verdict::No;
}

Verdict detect_outscale(const PlatformFacts& facts)
{
    return iequals(facts.dmi.product_name, "3DS Outscale VM") && iequals(facts.dmi.sys_vendor, "3DS Outscale") ? Verdict::Yes : Verdict::No;
}

constexpr Cloud ec2_compatible(std::string_view name, Verdict (*detect)(const PlatformFacts&))
{
    return {
        .name = name,
        .cloud_init_name = name,
        .cloud_init_platform = "ec2",
        .reach = Reach::Dhcp4Lease,
        .primary_nic = PrimaryNic::FirstInterface,
        .detect = detect,
        .make_provider = make_ec2_provider,
        .map_network = map_ec2_network,
    };
}

}

const Cloud brightbox_cloud = ec2_compatible("brightbox", detect_brightbox);
const Cloud zstack_cloud = ec2_compatible("zstack", detect_zstack);
const Cloud e24cloud_cloud = ec2_compatible("e24cloud", detect_e24cloud);
const Cloud outscale_cloud = ec2_compatible("outscale", detect_outscale);

const Cloud ec2_cloud {
    .name = "ec2",
    .cloud_init_name = "aws",
    .cloud_init_platform = "ec2",
    // DHCPv4 to 169.254.169.254 as ever; an IPv6-only subnet has no DHCPv4,
    // so then SLAAC to the Nitro endpoint [fd00:ec2::254], which
    // cloud-init's metadata_urls list beside it (its Ec2Local brings up
    // IPv4 and IPv6 and tries both).
    // https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instancedata-data-retrieval.html
    .reach = ReachList(Reach::Dhcp4Lease, Reach::Ipv6Slaac),
    // The primary ENI (device-number 0) sits in the lowest PCI slot, so it is
    // the first NIC the kernel numbers (ens5 on Nitro, eth0 on Xen).
    .primary_nic = PrimaryNic::FirstInterface,
    .detect = detect_ec2,
    .make_provider = make_ec2_provider,
    .map_network = map_ec2_network,
    .ipv6_service = "http://[fd00:ec2::254]",
};

}
