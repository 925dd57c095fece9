// Scaleway's metadata -> NetworkConfig, with the semantics of cloud-init's
// DataSourceScaleway.network_config (25.1.4).
#include "clouds/scaleway/scaleway.h"

#include "model/nic_matching.h"

namespace mb::clouds {

Result<NetworkConfig> map_scaleway_network(const InstanceMetadata& metadata, const std::vector<SystemNic>& system_nics, const MappingOptions& options)
{
    TRY(check_system_nics(system_nics));
    const SystemNic* leased = options.leased_mac ? find_system_nic(system_nics, *options.leased_mac) : nullptr;
    if (!metadata.has_network_data || metadata.nics.empty() || !leased)
        return fallback_network(system_nics, options);
    const NicMetadata& nic = metadata.nics.front();
    NetworkConfig config;
    Interface& interface = config.interfaces.emplace_back();
    interface.name = leased->name;
    interface.dhcp4 = nic.ipv4_dhcp;
    for (const auto& address : nic.ipv4_addresses) {
        if (address.address() != options.leased_address) {
            interface.addresses.push_back(address);
            continue;
        }
        // "Use DHCP for primary address", and "force addition of a route
        // to the metadata API" through Scaleway's router.
        interface.dhcp4 = true;
        interface.routes.push_back({ Ipv4Prefix(Ipv4Address(169, 254, 42, 42), 32), IpAddress(Ipv4Address(62, 210, 0, 1)), std::nullopt, std::nullopt, true });
    }
    for (const auto& address : nic.ipv6_addresses)
        interface.addresses.push_back(address);
    for (const auto& route : nic.ipv6_routes)
        interface.routes.push_back({ route.destination, IpAddress(route.gateway), std::nullopt, std::nullopt });
    TRY(validate(config));
    return config;
}

}
