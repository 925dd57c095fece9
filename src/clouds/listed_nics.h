// The mapping DigitalOcean's and UpCloud's datasources share in cloud-init
// (helpers/digitalocean.py convert_network_configuration, helpers/upcloud.py
// convert_to_network_config_v1, 25.1.4): a network v1 config of one
// physical interface per metadata NIC plus one global nameserver entry,
// rendered through cloud-init's netplan renderer.
#pragma once

#include "model/network_config.h"

namespace mb::clouds {

// Each metadata NIC, in metadata order, as the system NIC with its MAC
// (matched by MAC, with set-name): its DHCP flags (ipv6_dhcp with
// ipv6_slaac is stateless DHCPv6), its static addresses (the first IPv4,
// the first IPv6, then the rest, in the order of cloud-init's subnets), a
// default route to each gateway, and its own DNS servers. The instance-wide
// DNS servers go to every interface with static addresses and none of its
// own, as cloud-init's netplan renderer injects its global nameservers.
// Errors, as in cloud-init: no network data, no NIC, or a metadata NIC
// whose MAC is not on this system.
Result<NetworkConfig> map_listed_nics(const InstanceMetadata& metadata, const std::vector<SystemNic>& system_nics);

}
