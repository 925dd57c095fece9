#include "model/network_config.h"

#include "common/dns_name.h"
#include "common/format.h"
#include "common/text.h"
#include "model/nic_matching.h"

#include <cctype>
#include <set>

namespace mb {

std::string to_string(const IpAddress& address)
{
    return std::visit([](const auto& value) { return value.to_string(); }, address);
}

std::string to_string(const IpPrefix& prefix)
{
    return std::visit([](const auto& value) { return value.to_string(); }, prefix);
}

bool is_ipv6(const IpAddress& address)
{
    return std::holds_alternative<Ipv6Address>(address);
}

bool is_ipv6(const IpPrefix& prefix)
{
    return std::holds_alternative<Ipv6Prefix>(prefix);
}

// Stricter than the kernel: a name may not start with '-' (it would read as an
// option in the `ip` commands of an ifupdown stanza) and may not be "lo"
// (the ifupdown renderer writes the loopback stanza itself).
bool is_renderable_name(std::string_view name)
{
    return is_valid_interface_name(name) && name.front() != '-' && name != "lo";
}

bool is_driver_name(std::string_view name)
{
    if (name.empty() || name.size() > 56)
        return false;
    for (char c : name) {
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'))
            return false;
    }
    return true;
}

namespace {

// RFC 791 minimum datagram size is 68; 65535 is the largest IPv4 datagram.
constexpr uint32_t minimum_mtu = 68;
constexpr uint32_t maximum_mtu = 65535;

// Tables 253 (default), 254 (main) and 255 (local) are the kernel's own; 0 is
// "unspecified". A policy rule must never point at those.
bool is_usable_table(uint32_t table)
{
    return table != 0 && table != 253 && table != 254 && table != 255;
}

}


Status validate(const NetworkConfig& config)
{
    std::set<std::string> names;
    for (const auto& interface : config.interfaces) {
        if (!is_renderable_name(interface.name))
            return Error::invalid(strf("interface name is not usable: \"%s\"", printable(interface.name).c_str()));
        if (!names.insert(interface.name).second)
            return Error::invalid(strf("interface %s is listed twice", interface.name.c_str()));
        if (interface.set_name && !is_renderable_name(*interface.set_name))
            return Error::invalid(strf("set-name for %s is not usable", interface.name.c_str()));
        if (interface.match_driver && !is_driver_name(*interface.match_driver))
            return Error::invalid(strf("driver match for %s is not a driver name", interface.name.c_str()));
        for (const auto& domain : interface.search_domains) {
            if (!is_valid_dns_name(domain, TrailingDot::Allowed))
                return Error::invalid(strf("search domain for %s is not a DNS name", interface.name.c_str()));
        }
        if (interface.mtu && (*interface.mtu < minimum_mtu || *interface.mtu > maximum_mtu))
            return Error::invalid(strf("mtu for %s is out of range", interface.name.c_str()));
        for (const auto& route : interface.routes) {
            if (route.table && !is_usable_table(*route.table))
                return Error::invalid(strf("route table for %s is reserved", interface.name.c_str()));
            if (route.via && is_ipv6(*route.via) != is_ipv6(route.to))
                return Error::invalid(strf("route for %s mixes address families", interface.name.c_str()));
        }
        for (const auto& rule : interface.routing_policy) {
            if (!is_usable_table(rule.table))
                return Error::invalid(strf("routing-policy table for %s is reserved", interface.name.c_str()));
        }
    }
    return {};
}

Status check_system_nics(const std::vector<SystemNic>& system_nics)
{
    std::set<MacAddress> macs;
    std::set<std::string> names;
    for (const auto& nic : system_nics) {
        if (!is_renderable_name(nic.name))
            return Error::invalid(strf("system NIC name is not usable: \"%s\"", printable(nic.name).c_str()));
        if (!names.insert(nic.name).second)
            return Error::invalid(strf("system NIC %s is listed twice", nic.name.c_str()));
        // Two NICs with one MAC (a bond's ports, a VF beside its PF) cannot be
        // told apart by a MAC match; the caller passes physical NICs only.
        if (!macs.insert(nic.mac).second)
            return Error::invalid(strf("MAC %s is on two system NICs", nic.mac.to_string().c_str()));
    }
    return {};
}

const SystemNic* find_system_nic(const std::vector<SystemNic>& system_nics, const MacAddress& mac)
{
    for (const auto& nic : system_nics) {
        if (nic.mac == mac)
            return &nic;
    }
    return nullptr;
}

Result<std::vector<MatchedNic>> match_system_nics(const InstanceMetadata& metadata, const std::vector<SystemNic>& system_nics,
    std::vector<MacAddress>& skipped)
{
    std::vector<MatchedNic> matched;
    std::set<MacAddress> seen;
    for (const auto& nic : metadata.nics) {
        if (!seen.insert(nic.mac).second)
            return Error::invalid(strf("metadata lists MAC %s twice", nic.mac.to_string().c_str()));
        const SystemNic* system = find_system_nic(system_nics, nic.mac);
        if (!system) {
            skipped.push_back(nic.mac);
            continue;
        }
        matched.push_back(MatchedNic { &nic, system });
    }
    return matched;
}

Result<NetworkConfig> fallback_network(const std::vector<SystemNic>& system_nics, const MappingOptions& options)
{
    TRY(check_system_nics(system_nics));
    if (!options.leased_mac)
        return Error::not_found("no network data and no leased NIC to fall back to");
    const SystemNic* leased = find_system_nic(system_nics, *options.leased_mac);
    if (!leased)
        return Error::not_found(strf("the leased NIC %s is not on this system", options.leased_mac->to_string().c_str()));
    // The shape of cloud-init's generate_fallback_config(): dhcp4, a MAC
    // match and set-name. No dhcp6: nothing says the network has IPv6.
    Interface interface;
    interface.name = leased->name;
    interface.match_mac = leased->mac;
    interface.set_name = leased->name;
    interface.dhcp4 = true;
    NetworkConfig config;
    config.interfaces.push_back(std::move(interface));
    TRY(validate(config));
    return config;
}

}
