// GCE's network config. cloud-init's GCE datasource gives none: cloud-init
// then writes its generic fallback (net.generate_fallback_config() in
// cloudinit/net/__init__.py, 25.1.4): dhcp4 and dhcp6 on one NIC, matched by
// MAC, with set-name. Its NIC is find_fallback_nic()'s: of the NICs with a
// carrier (every GCE NIC has one), net's DEFAULT_PRIMARY_INTERFACE "eth0",
// else the first in natural sort order ("ens4" before "ens10"). (The
// "ens4" in DataSourceGCE only orders its own ephemeral DHCP attempts.)
//
// metaboot's own fallback_network() leaves dhcp6 out; EC2's fallback keeps
// that.
#include "clouds/cloud_init_network.h"
#include "clouds/gce/gce.h"

namespace mb::clouds {

Result<NetworkConfig> map_gce_network(const InstanceMetadata&, const std::vector<SystemNic>& system_nics, const MappingOptions& options)
{
    return cloud_init_fallback_network(system_nics, options);
}

}
