// OpenStack's registry row, and its detection from DMI alone.
#include "clouds/openstack/openstack.h"

namespace mb::clouds {

namespace {

std::unique_ptr<Provider> make_openstack_provider(Session& session)
{
    return std::make_unique<OpenStackProvider>(session);
}

}

Verdict detect_openstack(const PlatformFacts& facts)
{
    const DmiInfo& dmi = facts.dmi;
    // Nova sets product_name; deployments that rebrand it keep the chassis
    // asset tag (cloud-init's DataSourceOpenStack accepts the same names and
    // tags).
    if (dmi.product_name == "OpenStack Nova" || dmi.product_name == "OpenStack Compute")
        return Verdict::Yes;
    for (auto tag : { "OpenStack Nova", "OpenStack Compute", "OpenTelekomCloud", "SAP CCloud VM", "HUAWEICLOUD", "Samsung Cloud Platform" }) {
        if (dmi.chassis_asset_tag == tag)
            return Verdict::Yes;
    }
    return Verdict::No;
}

const Cloud openstack_cloud {
    .name = "openstack",
    .cloud_init_name = "openstack",
    .cloud_init_platform = "openstack",
    .reach = Reach::Dhcp4Lease,
    // Nova gives no NIC a primary role.
    .primary_nic = PrimaryNic::Unknown,
    .detect = detect_openstack,
    .make_provider = make_openstack_provider,
    .map_network = map_openstack_network,
};

}
