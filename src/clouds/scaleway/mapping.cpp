// Scaleway's metadata -> NetworkConfig, with the semantics of cloud-init's
// DataSourceScaleway.network_config (25.1.4).
#include "clouds/scaleway/scaleway.h"

#include "model/nic_matching.h"

namespace mb::clouds {

Result<NetworkConfig> map_scaleway_network(const InstanceMetadata& metadata, const std::vector<SystemNic>& system_nics, const MappingOptions& options)
{
    // DHCPv4 on the NIC that reached the service (cloud-init's fallback
    // NIC, where its ephemeral lease was taken), or that alone without
    // network data; cloud-init names it without a MAC match.
    auto config = TRY(fallback_network(system_nics, options));
    if (!metadata.has_network_data || metadata.nics.empty())
        return config;
    const NicMetadata& nic = metadata.nics.front();
    Interface& interface = config.interfaces.front();
    interface.match_mac.reset();
    interface.set_name.reset();
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
    if (nic.ipv6_gateway)
        interface.routes.push_back({ Ipv6Prefix(Ipv6Address(), 0), IpAddress(*nic.ipv6_gateway), std::nullopt, std::nullopt });
    TRY(validate(config));
    return config;
}

}
