// What DigitalOcean and UpCloud share: both services answer the whole
// instance as one JSON document, GET /metadata/v1.json with no header
// (DocumentProvider in clouds/provider.h), with the same identity members,
// and cloud-init turns both into the same kind of network v1 config
// (helpers/digitalocean.py convert_network_configuration,
// helpers/upcloud.py convert_to_network_config_v1, 25.1.4): one physical
// interface per metadata NIC plus one global nameserver entry, rendered
// through its netplan renderer.
#pragma once

#include "common/json.h"
#include "model/network_config.h"

namespace mb::clouds {

// hostname (also the local hostname), region (cloud-init's availability
// zone; its region stays unset), public_keys (a string of lines or a list)
// and user_data (verbatim). A value that fails its check is dropped with a
// warning; one of another JSON type adds nothing.
void apply_v1_identity(const JsonValue& document, InstanceMetadata& instance, std::vector<std::string>& warnings);

// The string member `key` of `object`: "" when it is absent or null (as
// cloud-init's .get() then gives None), and "?", which no address, length
// or family reads as valid, when it is of another type.
std::string_view v1_member_text(const JsonValue& object, const char* key);

// A static address of the family `ipv6` says, with its prefix length and
// gateway ("" for none), into `nic`, which keeps the first gateway of each
// family. False, and `nic` unchanged, when the address, the length or a
// given gateway is not of that family.
bool add_static_address(NicMetadata& nic, bool ipv6, std::string_view address, uint64_t length, std::string_view gateway);

enum class NicNames {
    Kernel,       // the system NIC's own name (UpCloud)
    DigitalOcean, // NIC_MAP: device_number 0 (public) is eth0, 1 (private) eth1
};

// Each metadata NIC, in metadata order, as the system NIC with its MAC
// (matched by MAC, with set-name): its DHCP flags (ipv6_dhcp with
// ipv6_slaac is stateless DHCPv6), its static addresses (IPv4 and IPv6 in
// turn, the order of DigitalOcean's subnets in cloud-init), a
// default route to each gateway, and its own DNS servers. The instance-wide
// DNS servers go to every interface with static addresses and none of its
// own, as cloud-init's netplan renderer injects its global nameservers.
// Errors, as in cloud-init: no network data, no NIC, or a metadata NIC
// whose MAC is not on this system.
Result<NetworkConfig> map_listed_nics(const InstanceMetadata& metadata, const std::vector<SystemNic>& system_nics, NicNames names);

}
