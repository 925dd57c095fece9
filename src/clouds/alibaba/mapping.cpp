// Alibaba Cloud ECS's metadata -> NetworkConfig, with the semantics of
// cloud-init's convert_ecs_metadata_network_config (helpers/aliyun.py,
// 25.1.4, full_network_config true, its default).
#include "clouds/alibaba/alibaba.h"

#include "clouds/cloud_init_network.h"
#include "clouds/ec2/ec2.h"
#include "common/sort.h"
#include "model/nic_matching.h"

namespace mb::clouds {

Result<NetworkConfig> map_alibaba_network(const InstanceMetadata& metadata, const std::vector<SystemNic>& system_nics, const MappingOptions& options)
{
    // No network key: cloud-init's network_config is {} and it takes its
    // generic fallback (dhcp4 and dhcp6).
    if (!metadata.has_network_data)
        return cloud_init_fallback_network(system_nics, options);
    // Its rules are EC2's for NICs without a device number, secondary
    // address or policy routing (dhcp4, dhcp6 where the NIC has IPv6, the
    // MAC match and set-name, route-metric 100, 200, ... dropped for one
    // NIC) in another order: the system NICs' names, "sorted by nic_name"
    // (natural_sort_key). So the NICs are numbered in that order and EC2's
    // mapping does the rest, without policy routing, which Alibaba's has
    // not. A metadata NIC not on this system sorts last and is skipped.
    // (The NICs are rebuilt from the two facts the mapping reads, by an
    // index sort: copying NicMetadata whole costs 1.7 KB of code.)
    auto name_of = [&](size_t i) {
        const SystemNic* system = find_system_nic(system_nics, metadata.nics[i].mac);
        return system ? std::string_view(system->name) : std::string_view("~");
    };
    std::vector<size_t> order;
    for (size_t i = 0; i < metadata.nics.size(); ++i)
        order.push_back(i);
    sort_small(order, [&](size_t a, size_t b) { return natural_less(name_of(a), name_of(b)); });
    InstanceMetadata ordered;
    ordered.has_network_data = true;
    for (size_t i : order) {
        NicMetadata& nic = ordered.nics.emplace_back();
        nic.mac = metadata.nics[i].mac;
        nic.device_number = uint32_t(ordered.nics.size() - 1);
        nic.ipv4_dhcp = true;
        nic.ipv6_dhcp = metadata.nics[i].ipv6_dhcp;
    }
    MappingOptions plain = options;
    plain.policy_routing = false;
    // Metadata NICs none of which is here: cloud-init writes an empty
    // ethernets map, which leaves the instance without a network; EC2's
    // mapping falls back to DHCP on the leased NIC instead.
    return map_ec2_network(ordered, system_nics, plain);
}

}
