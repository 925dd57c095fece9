// DigitalOcean's network config: cloud-init's convert_network_configuration
// (helpers/digitalocean.py), shared with UpCloud in map_listed_nics().
//
// Deliberate differences from cloud-init:
// - Interface types other than public and private are left out by the
//   provider; cloud-init would write their first entry under the kernel
//   name (DigitalOcean documents no other type).
// - A missing dns member is no DNS servers; cloud-init fails on it.
#include "clouds/digitalocean/digitalocean.h"
#include "clouds/listed_nics.h"

namespace mb::clouds {

Result<NetworkConfig> map_digitalocean_network(const InstanceMetadata& metadata, const std::vector<SystemNic>& system_nics, const MappingOptions&)
{
    auto config = TRY(map_listed_nics(metadata, system_nics));
    // NIC_MAP: public is eth0, private eth1, whatever the kernel named them
    // (the metadata NICs and the interfaces are in the same order).
    for (size_t i = 0; i < config.interfaces.size(); ++i) {
        Interface& interface = config.interfaces[i];
        interface.name = metadata.nics[i].device_number.value_or(0) ? "eth1" : "eth0";
        interface.set_name = interface.name;
    }
    TRY(validate(config));
    return config;
}

}
