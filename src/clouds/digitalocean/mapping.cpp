// DigitalOcean's network config: cloud-init's convert_network_configuration
// (helpers/digitalocean.py), shared with UpCloud in map_listed_nics(), with
// its NIC_MAP names: the public NIC is eth0 and the private one eth1,
// whatever the kernel named them.
//
// Deliberate differences from cloud-init:
// - Interface types other than public and private are left out by the
//   provider; cloud-init would write their first entry under the kernel
//   name (DigitalOcean documents no other type).
// - A missing dns member is no DNS servers; cloud-init fails on it.
#include "clouds/digitalocean/digitalocean.h"
#include "clouds/metadata_v1.h"

namespace mb::clouds {

Result<NetworkConfig> map_digitalocean_network(const InstanceMetadata& metadata, const std::vector<SystemNic>& system_nics, const MappingOptions&)
{
    return map_listed_nics(metadata, system_nics, NicNames::DigitalOcean);
}

}
