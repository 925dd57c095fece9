// OpenStack network_data.json (as the model holds it) -> NetworkConfig,
// following cloud-init's convert_net_json (cloudinit/sources/helpers/
// openstack.py): each link matched by MAC; ipv4_dhcp -> dhcp4, ipv6_dhcp
// (dhcpv6-stateful) -> dhcp6, static networks -> addresses, a gateway -> a
// default route, plus the network's routes, the MTU and the DNS services.
// https://docs.openstack.org/nova/latest/user/metadata.html#openstack-format-metadata
//
// Deliberate differences from cloud-init, checked structurally against its
// rendering in tests/integration/test_render.py:
// - SLAAC (ipv6_slaac) is accept-ra alone. cloud-init renders dhcp6: true,
//   which makes networkd start a DHCPv6 client whatever the router
//   advertisements say; with accept-ra the RA's M/O flags decide.
// - DNS: every interface gets its link's servers, then the instance-wide
//   ones. cloud-init gives the instance-wide servers only to interfaces
//   without their own (and, for ifupdown, to lo).
#include "clouds/openstack/openstack.h"
#include "model/nic_matching.h"

#include <set>

namespace mb::clouds {

namespace {

template<typename T>
void append_unique(std::vector<IpAddress>& list, const std::vector<T>& items)
{
    for (const auto& item : items) {
        IpAddress value(item);
        bool present = false;
        for (const auto& existing : list)
            present = present || existing == value;
        if (!present)
            list.push_back(value);
    }
}

Interface map_link(const NicMetadata& nic, const SystemNic& system, const InstanceMetadata& metadata)
{
    Interface interface;
    interface.name = system.name;
    interface.match_mac = nic.mac;
    interface.set_name = system.name;
    interface.mtu = nic.mtu;

    interface.dhcp4 = nic.ipv4_dhcp;
    // A DHCP network's address is the server's to give; only static networks
    // contribute addresses and a gateway.
    if (!nic.ipv4_dhcp) {
        for (const auto& address : nic.ipv4_addresses)
            interface.addresses.push_back(address);
        if (nic.ipv4_gateway)
            interface.routes.push_back(Route { Ipv4Prefix(Ipv4Address(), 0), IpAddress(*nic.ipv4_gateway), std::nullopt, std::nullopt });
    }
    for (const auto& route : nic.ipv4_routes)
        interface.routes.push_back(Route { Ipv4Prefix(route.destination.network(), route.destination.length()), IpAddress(route.gateway), std::nullopt, route.metric });

    interface.dhcp6 = nic.ipv6_dhcp;
    if (nic.ipv6_slaac)
        interface.accept_ra = true; // SLAAC: addresses from router advertisements
    if (!nic.ipv6_dhcp && !nic.ipv6_slaac) {
        // Static IPv6: router advertisements off, as cloud-init renders it,
        // so an RA cannot add a second default route beside the gateway's.
        if (!nic.ipv6_addresses.empty())
            interface.accept_ra = false;
        for (const auto& address : nic.ipv6_addresses)
            interface.addresses.push_back(address);
        if (nic.ipv6_gateway)
            interface.routes.push_back(Route { Ipv6Prefix(Ipv6Address(), 0), IpAddress(*nic.ipv6_gateway), std::nullopt, std::nullopt });
    }
    for (const auto& route : nic.ipv6_routes)
        interface.routes.push_back(Route { Ipv6Prefix(route.destination.network(), route.destination.length()), IpAddress(route.gateway), std::nullopt, route.metric });

    // The link's own DNS servers first, then the instance-wide "services".
    append_unique(interface.nameservers, nic.dns_ipv4);
    append_unique(interface.nameservers, nic.dns_ipv6);
    append_unique(interface.nameservers, metadata.dns_ipv4);
    append_unique(interface.nameservers, metadata.dns_ipv6);
    return interface;
}

}

Result<NetworkConfig> map_openstack_network(const InstanceMetadata& metadata, const std::vector<SystemNic>& system_nics, const MappingOptions& options)
{
    TRY(check_system_nics(system_nics));
    if (!metadata.has_network_data)
        return fallback_network(system_nics, options);

    NetworkConfig config;
    for (const auto& match : TRY(match_system_nics(metadata, system_nics, config.skipped_macs)))
        config.interfaces.push_back(map_link(*match.metadata, *match.system, metadata));
    if (config.interfaces.empty()) {
        auto fallback = TRY(fallback_network(system_nics, options));
        fallback.skipped_macs = std::move(config.skipped_macs);
        return fallback;
    }
    TRY(validate(config));
    return config;
}

}
