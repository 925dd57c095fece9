#include "metadata/platform.h"

#include "common/text.h"


namespace mb::metadata {

const char* platform_name(Platform platform)
{
    switch (platform) {
    case Platform::Unknown: return "unknown";
    case Platform::Ec2: return "ec2";
    case Platform::OpenStack: return "openstack";
    }
    return "unknown";
}

std::optional<ProviderKind> provider_for(Platform platform)
{
    switch (platform) {
    case Platform::Ec2: return ProviderKind::Ec2;
    case Platform::OpenStack: return ProviderKind::OpenStack;
    case Platform::Unknown: break;
    }
    return std::nullopt;
}

namespace {

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix)
{
    return text.size() >= prefix.size() && iequals(text.substr(0, prefix.size()), prefix);
}

bool contains_ignoring_case(std::string_view text, std::string_view needle)
{
    return to_lower(text).find(to_lower(needle)) != std::string::npos;
}

}

Platform classify_platform(const DmiInfo& dmi)
{
    // Nitro instances: sys_vendor (and bios_vendor) "Amazon EC2".
    if (dmi.sys_vendor == "Amazon EC2")
        return Platform::Ec2;
    // Xen-era instances: Xen reports a UUID AWS generates with an "ec2"
    // prefix, and a BIOS/product version like "4.11.amazon". A random UUID
    // starts with "ec2" one time in 4096, so the prefix alone is not enough.
    if (contains_ignoring_case(dmi.product_version, "amazon"))
        return Platform::Ec2;
    if (starts_with_ignoring_case(dmi.product_uuid, "ec2") && dmi.sys_vendor == "Xen")
        return Platform::Ec2;
    // Nova sets product_name; deployments that rebrand it keep the chassis
    // asset tag (cloud-init's DataSourceOpenStack accepts the same names and
    // tags).
    if (dmi.product_name == "OpenStack Nova" || dmi.product_name == "OpenStack Compute")
        return Platform::OpenStack;
    for (auto tag : { "OpenStack Nova", "OpenTelekomCloud", "SAP CCloud VM", "HUAWEICLOUD" })
        if (dmi.chassis_asset_tag == tag)
            return Platform::OpenStack;
    return Platform::Unknown;
}


}
