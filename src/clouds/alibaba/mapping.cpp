// Alibaba Cloud ECS's metadata -> NetworkConfig, with the semantics of
// cloud-init's convert_ecs_metadata_network_config (helpers/aliyun.py,
// 25.1.4, full_network_config true, its default).
#include "clouds/alibaba/alibaba.h"

#include "clouds/cloud_init_network.h"
#include "common/sort.h"
#include "model/nic_matching.h"

namespace mb::clouds {

Result<NetworkConfig> map_alibaba_network(const InstanceMetadata& metadata, const std::vector<SystemNic>& system_nics, const MappingOptions& options)
{
    TRY(check_system_nics(system_nics));
    NetworkConfig config;
    std::vector<MatchedNic> matched;
    if (metadata.has_network_data)
        matched = TRY(match_system_nics(metadata, system_nics, config.skipped_macs));
    // No network key: cloud-init's network_config is {} and it takes its
    // generic fallback. Metadata NICs none of which is here: cloud-init
    // writes an empty ethernets map, which leaves the instance without a
    // network; metaboot takes the same fallback instead.
    if (matched.empty()) {
        auto fallback = TRY(cloud_init_fallback_network(system_nics, options));
        fallback.skipped_macs = std::move(config.skipped_macs);
        return fallback;
    }
    // "sorted by nic_name" (natural_sort_key).
    sort_small(matched, [](const MatchedNic& a, const MatchedNic& b) { return natural_less(a.system->name, b.system->name); });
    for (size_t index = 0; index < matched.size(); ++index) {
        Interface& interface = config.interfaces.emplace_back();
        interface.name = matched[index].system->name;
        interface.match_mac = matched[index].system->mac;
        interface.set_name = interface.name;
        interface.dhcp4 = true;
        interface.dhcp6 = matched[index].metadata->ipv6_dhcp;
        // The overrides are dropped when one NIC is configured.
        if (matched.size() > 1) {
            interface.dhcp4_overrides.route_metric = uint32_t(index + 1) * 100;
            if (interface.dhcp6)
                interface.dhcp6_overrides = interface.dhcp4_overrides;
        }
    }
    TRY(validate(config));
    return config;
}

}
