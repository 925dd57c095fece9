// GCE's network config. cloud-init's GCE datasource gives none: cloud-init
// then writes its generic fallback (net.generate_fallback_config() in
// cloudinit/net/__init__.py, 25.1.4): dhcp4 and dhcp6 on one NIC, matched by
// MAC, with set-name. Its NIC is find_fallback_nic()'s: "ens4" (where GCE
// puts the first NIC, PCI slot 4) when it has a carrier, else the first NIC
// with a carrier in natural sort order. Here it is "ens4", else the NIC
// whose lease reached the metadata server: every GCE NIC has a carrier, and
// the first NIC's lease is waited for (PrimaryNic::FirstInterface), so that
// is the first NIC too, without a second sort order to keep.
//
// metaboot's own fallback_network() leaves dhcp6 out; EC2's fallback keeps
// that.
#include "clouds/gce/gce.h"

namespace mb::clouds {

Result<NetworkConfig> map_gce_network(const InstanceMetadata&, const std::vector<SystemNic>& system_nics, const MappingOptions& options)
{
    MappingOptions fallback = options;
    for (const auto& nic : system_nics) {
        if (nic.name == "ens4")
            fallback.leased_mac = nic.mac;
    }
    auto config = fallback_network(system_nics, fallback);
    if (config.ok())
        config->interfaces.front().dhcp6 = true;
    return config;
}

}
