// Hetzner Cloud's registry row, and its detection from DMI alone.
#include "clouds/hetzner/hetzner.h"

namespace mb::clouds {

Verdict detect_hetzner(const PlatformFacts& facts)
{
    // ds-identify's dscheck_Hetzner compares sys_vendor alone;
    // DataSourceHetzner then fails without the serial.
    return facts.dmi.sys_vendor == "Hetzner" && !facts.dmi.product_serial.empty() ? Verdict::Yes : Verdict::No;
}

const Cloud hetzner_cloud {
    .name = "hetzner",
    // DataSourceHetzner's dsname, lowercased, for both.
    .cloud_init_name = "hetzner",
    .cloud_init_platform = "hetzner",
    // EphemeralDHCPv4 on the fallback NIC in cloud-init 25.1.4.
    .reach = Reach::Dhcp4Lease,
    .primary_nic = PrimaryNic::FirstInterface,
    .detect = detect_hetzner,
    .make_provider = make_hetzner_provider,
    .map_network = map_hetzner_network,
};

}
