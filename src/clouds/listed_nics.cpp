#include "clouds/listed_nics.h"

#include "clouds/values.h"
#include "model/nic_matching.h"

namespace mb::clouds {

namespace {

template<typename T>
void append_all(std::vector<T>& out, const auto& items, size_t from, size_t to)
{
    for (size_t i = from; i < to && i < items.size(); ++i)
        out.push_back(items[i]);
}

}

Result<NetworkConfig> map_listed_nics(const InstanceMetadata& metadata, const std::vector<SystemNic>& system_nics)
{
    TRY(check_system_nics(system_nics));
    if (!metadata.has_network_data || metadata.nics.empty())
        return Error::invalid("the metadata has no network interfaces");
    NetworkConfig config;
    auto matches = TRY(match_system_nics(metadata, system_nics, config.skipped_macs));
    // cloud-init refuses the whole config ("Did not find network interface
    // on system with mac"): a NIC the metadata names but the initramfs
    // cannot see would leave its addresses unconfigured.
    if (!config.skipped_macs.empty())
        return Error::invalid(concat({ "no NIC on this system has MAC ", config.skipped_macs.front().to_string() }));
    for (auto [nic, system] : matches) {
        Interface& interface = config.interfaces.emplace_back();
        interface.name = system->name;
        interface.match_mac = nic->mac;
        interface.set_name = system->name;
        interface.dhcp4 = nic->ipv4_dhcp;
        interface.dhcp6 = nic->ipv6_dhcp;
        interface.dhcp6_stateless = nic->ipv6_dhcp && nic->ipv6_slaac;
        auto& addresses = interface.addresses;
        append_all(addresses, nic->ipv4_addresses, 0, 1);
        append_all(addresses, nic->ipv6_addresses, 0, 1);
        append_all(addresses, nic->ipv4_addresses, 1, SIZE_MAX);
        append_all(addresses, nic->ipv6_addresses, 1, SIZE_MAX);
        if (nic->ipv4_gateway)
            interface.routes.push_back(Route { Ipv4Prefix(), IpAddress(*nic->ipv4_gateway) });
        if (nic->ipv6_gateway)
            interface.routes.push_back(Route { Ipv6Prefix(), IpAddress(*nic->ipv6_gateway) });
        bool own = !nic->dns_ipv4.empty() || !nic->dns_ipv6.empty();
        auto& servers = interface.nameservers;
        append_all(servers, own ? nic->dns_ipv4 : metadata.dns_ipv4, 0, addresses.empty() ? 0 : SIZE_MAX);
        append_all(servers, own ? nic->dns_ipv6 : metadata.dns_ipv6, 0, addresses.empty() ? 0 : SIZE_MAX);
    }
    TRY(validate(config));
    return config;
}

}
