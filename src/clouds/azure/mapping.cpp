// Azure IMDS network metadata -> NetworkConfig, with the semantics of
// cloud-init's generate_network_config_from_instance_network_metadata
// (cloudinit/sources/DataSourceAzure.py), apply_network_config_for_secondary_ips
// on, as cloud-init's default is:
// - IMDS's interface i, when it has any address, is eth<i>: matched by MAC
//   (and by driver, see below), renamed to eth<i>, dhcp4 with route-metric
//   100 * (i + 1) so the primary's default route wins, and for i > 0
//   use-dns: false (IMDS's DNS is reached through the primary only);
//   dhcp6 with the same overrides when it has an IPv6 address;
// - each family's addresses after the first (which DHCP gives) are static,
//   with subnet[0].prefix.
// The numbering is IMDS's, so an interface without addresses leaves a gap.
//
// Where we differ:
// - An IMDS list with no interface that has an address gives DHCP on the
//   leased NIC; cloud-init would write an empty config.
// - A family's missing subnet list gives the default prefix; cloud-init's
//   KeyError would throw the whole IMDS config away for its fallback.
#include "clouds/azure/azure.h"
#include "common/format.h"
#include "model/nic_matching.h"

namespace mb::clouds {

Result<NetworkConfig> map_azure_network(const InstanceMetadata& metadata, const std::vector<SystemNic>& system_nics, const MappingOptions& options)
{
    TRY(check_system_nics(system_nics));
    NetworkConfig config;
    for (const auto& nic : metadata.nics) {
        if (!nic.ipv4_dhcp || !nic.device_number)
            continue;
        uint32_t index = *nic.device_number;
        Interface interface;
        interface.name = strf("eth%u", index);
        interface.set_name = interface.name;
        interface.match_mac = nic.mac;
        // cloud-init's determine_device_driver_for_mac: hv_netvsc when a NIC
        // with the MAC has it, so the accelerated-networking VF that shares
        // the MAC is never renamed in its place. system_nics has one link per
        // MAC, the paravirtual one kept, so its driver is the answer. A MAC
        // not on the system is still configured, without a driver match, as
        // cloud-init does: it may be hot-plugged later.
        if (auto const* system = find_system_nic(system_nics, nic.mac); system && !system->driver.empty())
            interface.match_driver = system->driver;
        interface.dhcp4 = true;
        interface.dhcp6 = nic.ipv6_dhcp;
        DhcpOverrides overrides;
        overrides.route_metric = 100 * (index + 1);
        if (index > 0)
            overrides.use_dns = false;
        interface.dhcp4_overrides = overrides;
        if (interface.dhcp6)
            interface.dhcp6_overrides = overrides;
        for (size_t i = 1; i < nic.ipv4_addresses.size(); ++i)
            interface.addresses.push_back(nic.ipv4_addresses[i]);
        for (size_t i = 1; i < nic.ipv6_addresses.size(); ++i)
            interface.addresses.push_back(nic.ipv6_addresses[i]);
        config.interfaces.push_back(std::move(interface));
    }
    if (config.interfaces.empty())
        return fallback_network(system_nics, options);
    TRY(validate(config));
    return config;
}

}
