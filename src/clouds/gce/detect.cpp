// GCE's registry row, and its detection from DMI alone.
#include "clouds/gce/gce.h"

namespace mb::clouds {

namespace {

std::unique_ptr<Provider> make_gce_provider(Session& session)
{
    return std::make_unique<GceProvider>(session);
}

}

Verdict detect_gce(const PlatformFacts& facts)
{
    const DmiInfo& dmi = facts.dmi;
    // The product name is not always set (LP: #1674861); the serial number
    // then still starts "GoogleCloud-". ds-identify accepts only the full
    // product name; DataSourceGCE also "Google".
    if (dmi.product_name == "Google Compute Engine" || dmi.product_name == "Google" || dmi.product_serial.starts_with("GoogleCloud-"))
        return Verdict::Yes;
    return Verdict::No;
}

const Cloud gce_cloud {
    .name = "gce",
    .cloud_init_name = "gce",
    .cloud_init_platform = "gce",
    .reach = Reach::Dhcp4Lease,
    // The first NIC (nic0) is in PCI slot 4, the first the kernel numbers.
    .primary_nic = PrimaryNic::FirstInterface,
    .detect = detect_gce,
    .make_provider = make_gce_provider,
    .map_network = map_gce_network,
};

}
