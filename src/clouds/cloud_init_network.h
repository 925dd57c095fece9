// cloud-init's own network config, for the clouds that serve it as it is
// (NoCloud's network-config; Hetzner's and Vultr's v1), and cloud-init's
// fallback for those that serve none. Semantics: cloud-init 25.1.4's
// network_state.py (v1, and v2 -> v1 for the non-netplan renderers) and its
// netplan renderer (v1 -> netplan).
#pragma once

#include "common/json.h"
#include "model/network_config.h"

#include <string>
#include <string_view>
#include <vector>

namespace mb::clouds {

// A scalar's text; "" when the value is absent or not a scalar. (The YAML
// reader keeps scalars as text: cloud-init int()s "1500" and is_true()s
// "yes" itself.)
std::string_view text_of(const JsonValue* value);

// network config version 1 or 2 (YAML text, read by common/yaml), at the
// top of the document or under its "network" key (as cloud-init's _get_network_key_contents takes it):
// - v1: `physical` entries (name, mac_address, mtu, accept-ra, subnets of
//   type dhcp/dhcp4, dhcp6/ipv6_dhcpv6-stateful, ipv6_slaac/
//   ipv6_dhcpv6-stateless, static/static6 with address (/prefix, prefix or
//   netmask), gateway, dns_nameservers, dns_search, routes, mtu) and
//   `nameserver` entries (global, or with `interface`).
// - v2: `ethernets` (match macaddress/name/driver, set-name, dhcp4, dhcp6,
//   dhcp4/6-overrides, addresses, gateway4/6, routes, nameservers, mtu,
//   accept-ra).
// Everything else (bonds, bridges, VLANs, wifis, v1 routes and loopback, an
// unknown key) is skipped with a warning, and an interface with a value
// that does not parse is skipped whole: never half an interface. No usable
// interface at all, YAML outside the subset or no such version, is an
// error (the caller falls back).
Result<NetworkConfig> map_cloud_init_network(std::string_view yaml, const std::vector<SystemNic>& system_nics, std::vector<std::string>& warnings);

// cloud-init's natural_sort_key() order of NIC names: runs of digits and
// of other characters; digit runs compare as numbers, the others as
// lower-case text, so a text run that ends first sorts first ("ens4"
// before "ens10").
bool natural_less(std::string_view a, std::string_view b);

enum class InterfaceNames {
    Given,  // v1's name (cloud-init requires one)
    ByMac,  // the system NIC's with the entry's mac_address, and no such NIC is an error (Vultr's add_interface_names)
};

// The same, on a document already read (Hetzner's network-config member
// of its metadata YAML; Vultr's JSON with its scalars as text).
Result<NetworkConfig> map_cloud_init_document(const JsonValue& document, const std::vector<SystemNic>& system_nics, std::vector<std::string>& warnings,
    InterfaceNames names = InterfaceNames::Given);

// cloud-init's generic fallback (net.generate_fallback_config()): dhcp4 and
// dhcp6 on one NIC matched by MAC, with set-name; the NIC is "eth0" if
// there is one, else the first in natural sort order ("ens4" before
// "ens10").
Result<NetworkConfig> cloud_init_fallback_network(const std::vector<SystemNic>& system_nics, const MappingOptions& options);

}
