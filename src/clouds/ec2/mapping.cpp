// EC2 instance metadata -> NetworkConfig, with the semantics of cloud-init's
// EC2 datasource (convert_ec2_metadata_network_config, _build_nic_order and
// _configure_policy_routing in cloudinit/sources/DataSourceEc2.py), so an
// image that later runs cloud-init sees the configuration cloud-init itself
// would have written. Where we differ, the comment says why.
#include "clouds/ec2/ec2.h"
#include "common/sort.h"
#include "model/nic_matching.h"

#include <algorithm>
#include <set>
#include <tuple>

namespace mb::clouds {

namespace {

bool nic_order_less(const MatchedNic& a, const MatchedNic& b)
{
    return ec2_nic_before(*a.metadata, *b.metadata);
}

// AWS puts a VPC subnet's router at the subnet's base address plus one
// (https://docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html,
// "reserved IP addresses"). cloud-init asks a DHCP lease on the secondary NIC
// instead; metaboot leases only one NIC in the initramfs, and the router that
// lease would name is this address.
std::optional<Ipv4Address> vpc_router(const Ipv4Prefix& subnet)
{
    if (subnet.length() > 30)
        return std::nullopt;
    return Ipv4Address(subnet.network().value() + 1);
}

// cloud-init's _configure_policy_routing for one NIC: replies from a
// secondary NIC's addresses leave through that NIC, via its own table.
void add_policy_routing(Interface& interface, const NicMetadata& nic, uint32_t table)
{
    // IPv4: needs both the subnet and the NIC's addresses, like cloud-init.
    if (nic.ipv4_subnet && !nic.ipv4_addresses.empty()) {
        Ipv4Prefix subnet(nic.ipv4_subnet->network(), nic.ipv4_subnet->length());
        if (auto router = vpc_router(subnet))
            interface.routes.push_back(Route { Ipv4Prefix(Ipv4Address(), 0), IpAddress(*router), table, std::nullopt });
        interface.routes.push_back(Route { subnet, std::nullopt, table, std::nullopt });
        for (const auto& address : nic.ipv4_addresses)
            interface.routing_policy.push_back(RoutingRule { address.address(), table });
    }
    // IPv6: the subnet routes and a rule per address; no default route, as
    // in cloud-init (the router is learnt from RAs).
    if (!nic.ipv6_subnets.empty() && !nic.ipv6_addresses.empty()) {
        for (const auto& subnet : nic.ipv6_subnets)
            interface.routes.push_back(Route { Ipv6Prefix(subnet.network(), subnet.length()), std::nullopt, table, std::nullopt });
        for (const auto& address : nic.ipv6_addresses)
            interface.routing_policy.push_back(RoutingRule { address.address(), table });
    }
}

// cloud-init's get_secondary_addresses: every address after the first.
// IPv4 takes the subnet's prefix (the address's own prefix, which the model
// fills with the subnet's, when the subnet is missing). IPv6 secondaries are
// /128: cloud-init looks the prefix up under a key EC2 does not serve
// ("subnet-ipv6-cidr-block", singular) and so always falls back to /128; we
// keep that, since DHCPv6 also assigns the primary as a /128 and the on-link
// prefix comes from router advertisements.
std::vector<IpPrefix> secondary_addresses(const NicMetadata& nic)
{
    std::vector<IpPrefix> addresses;
    for (size_t i = 1; i < nic.ipv4_addresses.size(); ++i) {
        uint8_t length = nic.ipv4_subnet ? nic.ipv4_subnet->length() : nic.ipv4_addresses[i].length();
        addresses.push_back(Ipv4Prefix(nic.ipv4_addresses[i].address(), length));
    }
    for (size_t i = 1; i < nic.ipv6_addresses.size(); ++i)
        addresses.push_back(Ipv6Prefix(nic.ipv6_addresses[i].address(), 128));
    // cloud-init sorts the CIDR strings; sorting the same way keeps the
    // Address= lines netplan generates in the same order as cloud-init's.
    sort_small(addresses, [](const IpPrefix& a, const IpPrefix& b) { return to_string(a) < to_string(b); });
    addresses.erase(std::unique(addresses.begin(), addresses.end()), addresses.end());
    return addresses;
}

}

bool ec2_nic_before(const NicMetadata& a, const NicMetadata& b)
{
    constexpr uint64_t missing = UINT64_MAX;
    auto rank = [](const NicMetadata& nic) {
        return std::make_tuple(nic.network_card ? uint64_t(*nic.network_card) : missing,
            nic.device_number ? uint64_t(*nic.device_number) : missing, nic.mac);
    };
    return rank(a) < rank(b);
}

Result<NetworkConfig> map_ec2_network(const InstanceMetadata& metadata, const std::vector<SystemNic>& system_nics, const MappingOptions& options)
{
    TRY(check_system_nics(system_nics));
    // A 2009-04-04-only service has no network/ tree: DHCP on the leased NIC.
    if (!metadata.has_network_data)
        return fallback_network(system_nics, options);

    NetworkConfig config;
    auto matched = TRY(match_system_nics(metadata, system_nics, config.skipped_macs));
    // Nothing to configure would leave the root without network; cloud-init
    // would then fall back too.
    if (matched.empty()) {
        auto fallback = TRY(fallback_network(system_nics, options));
        fallback.skipped_macs = std::move(config.skipped_macs);
        return fallback;
    }

    sort_small(matched, nic_order_less);
    bool several = matched.size() > 1;

    for (size_t index = 0; index < matched.size(); ++index) {
        const NicMetadata& nic = *matched[index].metadata;
        Interface interface;
        interface.name = matched[index].system->name;
        interface.match_mac = nic.mac;
        interface.set_name = matched[index].system->name;
        interface.dhcp4 = true;
        interface.dhcp6 = nic.has_ipv6();

        // One NIC needs no metrics; several get 100, 200, ... so the primary's
        // default route wins.
        DhcpOverrides overrides;
        if (several)
            overrides.route_metric = uint32_t(index + 1) * 100;

        // cloud-init routes secondary NICs by source only when the NIC has a
        // device-number (without one it cannot tell which NIC is primary).
        bool is_primary = index == 0;
        if (several && !is_primary && options.policy_routing && nic.device_number) {
            uint32_t table = 100 + uint32_t(index);
            overrides.use_routes = true;
            add_policy_routing(interface, nic, table);
        }
        interface.dhcp4_overrides = overrides;
        if (interface.dhcp6)
            interface.dhcp6_overrides = overrides;
        interface.addresses = secondary_addresses(nic);
        config.interfaces.push_back(std::move(interface));
    }
    TRY(validate(config));
    return config;
}

}
