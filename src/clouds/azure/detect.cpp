// Azure's registry row, and its detection from DMI alone.
#include "clouds/azure/azure.h"

namespace mb::clouds {

namespace {

std::unique_ptr<Provider> make_azure_provider(Session& session)
{
    return std::make_unique<AzureProvider>(session);
}

}

Verdict detect_azure(const PlatformFacts& facts)
{
    // Hyper-V on Azure sets this chassis asset tag (cloud-init's
    // ChassisAssetTag.AZURE_CLOUD in sources/azure/identity.py); Hyper-V
    // elsewhere does not. cloud-init also accepts a seeded ovf-env.xml, which
    // the initramfs has no place for.
    return facts.dmi.chassis_asset_tag == "7783-7084-3265-9085-8269-3286-77" ? Verdict::Yes : Verdict::No;
}

const Cloud azure_cloud {
    .name = "azure",
    .cloud_init_name = "azure",
    .cloud_init_platform = "azure",
    .reach = Reach::Dhcp4Lease,
    // The first synthetic NIC (VMBus order) is the primary: eth0, the one
    // with IMDS's routes and the wireserver's option 245 in its lease.
    .primary_nic = PrimaryNic::FirstInterface,
    .detect = detect_azure,
    .make_provider = make_azure_provider,
    .map_network = map_azure_network,
};

}
