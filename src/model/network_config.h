// The renderer-neutral network configuration: what the real root should bring
// up, in terms every output format can express. Each cloud's mapping
// (src/clouds/<name>/mapping.cpp) builds it from the instance model; each
// output format (src/render/<format>.cpp) turns it into files. Every value is a
// strong type or a validated name, so a renderer only ever re-prints parsed
// values.
#pragma once

#include "common/address.h"
#include "common/result.h"
#include "model/instance.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace mb {

using IpAddress = std::variant<Ipv4Address, Ipv6Address>;
using IpPrefix = std::variant<Ipv4Prefix, Ipv6Prefix>;

std::string to_string(const IpAddress& address);
std::string to_string(const IpPrefix& prefix);
bool is_ipv6(const IpAddress& address);
bool is_ipv6(const IpPrefix& prefix);

// netplan's dhcp4-overrides / dhcp6-overrides; ifupdown's `metric`.
struct DhcpOverrides {
    std::optional<uint32_t> route_metric;
    std::optional<bool> use_routes;
    std::optional<bool> use_dns; // false: the lease's DNS servers are not used

    bool empty() const { return !route_metric && !use_routes && !use_dns; }
    bool operator==(const DhcpOverrides&) const = default;
};

struct Route {
    IpPrefix to;                   // 0.0.0.0/0 or ::/0 is the default route
    std::optional<IpAddress> via;  // none: an on-link (scope link) route
    std::optional<uint32_t> table; // none: the main table
    std::optional<uint32_t> metric;
    // The gateway is on the link though no address's prefix covers it
    // (netplan's on-link; Scaleway's 62.210.0.1 for 169.254.42.42/32).
    bool on_link { false };

    bool operator==(const Route&) const = default;
};

// "Packets from this source address use this table."
struct RoutingRule {
    IpAddress from;
    uint32_t table { 0 };

    bool operator==(const RoutingRule&) const = default;
};

struct Interface {
    std::string name; // the kernel name; validated by validate()
    std::optional<MacAddress> match_mac;
    // Also match the kernel driver, so a NIC that shares the MAC (Azure's
    // accelerated-networking VF beside its hv_netvsc twin) is not matched.
    std::optional<std::string> match_driver; // validated by validate()
    std::optional<std::string> set_name;

    bool dhcp4 { false };
    bool dhcp6 { false };
    // With dhcp6: stateless DHCPv6 (RFC 8415 section 6.1), the addresses
    // from router advertisements and only the other configuration (DNS)
    // from DHCPv6: cloud-init's `ipv6_dhcpv6-stateless`. Only ifupdown
    // tells it apart (`inet6 auto` and `dhclient -6 -S`); netplan, networkd
    // and NetworkManager write it as dhcp6, as cloud-init's netplan and
    // NetworkManager renderers do (its networkd renderer writes nothing).
    bool dhcp6_stateless { false };
    DhcpOverrides dhcp4_overrides;
    DhcpOverrides dhcp6_overrides;

    std::vector<IpPrefix> addresses; // static addresses, each with its prefix
    std::vector<Route> routes;
    std::vector<RoutingRule> routing_policy;

    std::vector<IpAddress> nameservers;
    std::vector<std::string> search_domains; // validated DNS names

    std::optional<uint32_t> mtu;
    std::optional<bool> accept_ra; // true alone (no dhcp6) means SLAAC
    // The real root is reached through this NIC (an iSCSI or NFS root): its
    // addresses must survive the network stack's start (netplan's
    // `critical`), as cloud-init keeps them on Oracle bare metal.
    bool critical { false };

    bool operator==(const Interface&) const = default;
};

struct NetworkConfig {
    std::vector<Interface> interfaces;
    // Metadata NICs that are not on this system now. Not rendered: the caller
    // logs them. (cloud-init skips them the same way.)
    std::vector<MacAddress> skipped_macs;

    bool operator==(const NetworkConfig&) const = default;
};

// The NICs present on this system now, with their kernel names.
struct SystemNic {
    MacAddress mac;
    std::string name;
    // The master of a virtio net_failover trio: its standby and its VF carry
    // the same MAC, so a config that matches it by MAC matches all three.
    bool netfail_master { false };
    std::string driver; // the name of /sys/class/net/NAME/device/driver's target; empty when unknown
};

struct MappingOptions {
    // Source routing for secondary NICs, where the cloud's mapping does it
    // (cloud-init's default on netplan systems). Off for users whose
    // container networking it breaks.
    bool policy_routing { true };
    // The NIC that got the initramfs lease; used when the metadata has no
    // network data at all.
    std::optional<MacAddress> leased_mac;
    // The IPv4 address of the lease that reached the service (none over
    // IPv6): Scaleway's config serves that one of its addresses by DHCP.
    std::optional<Ipv4Address> leased_address;
    // The real root is reached over the network (iSCSI, NFS): the NIC the
    // initramfs configured keeps its config, and clouds that then leave the
    // other NICs alone (cloud-init's Oracle) write only the fallback.
    bool network_root { false };
};

// What the renderers accept: valid, unique interface names (not "lo", not
// starting with '-'), a set-name that is a valid name, valid search domains,
// a match_driver that is a kernel driver name (is_driver_name), mtu in
// 68..65535, tables in 1..4294967295 except the reserved 253..255.
// Both renderers call it and refuse to render anything else.
Status validate(const NetworkConfig& config);

// A kernel driver's name as sysfs shows it: 1..56 (MODULE_NAME_LEN - 1)
// letters, digits, '_' or '-'. Nothing YAML, a keyfile or a shell reads
// specially.
bool is_driver_name(std::string_view name);

// DHCPv4 on the leased NIC, matched by MAC: the config when the service has
// no network data (EC2 2009-04-04) or nothing in it matches this system.
Result<NetworkConfig> fallback_network(std::vector<SystemNic> const& system_nics, MappingOptions const& options);

}
