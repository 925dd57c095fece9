// Scaleway's instance metadata service: the instance as one JSON document,
// GET /conf?format=json, at http://169.254.42.42 over IPv4 or
// http://[fd00:42::42] over IPv6; user-data at /user_data/cloud-init, which
// the service answers only to a connection from a port below 1024.
// https://www.scaleway.com/en/docs/instances/how-to/use-boot-modes/ and
// the semantics of cloud-init 25.1.4's DataSourceScaleway.
#pragma once

#include "clouds/cloud.h"

namespace mb::clouds {

// The registry's row for Scaleway.
extern const Cloud scaleway_cloud;

// sys_vendor "Scaleway", or the word "scaleway" on the kernel command line
// (ds-identify's dscheck_Scaleway).
Verdict detect_scaleway(const PlatformFacts& facts);

// The document into the model: id, hostname (also the local hostname),
// the keys of ssh_public_keys[].key and of each tag "AUTHORIZED_KEY=" with
// '_' for ' ' (get_public_ssh_keys), and one NIC (the service names no MAC:
// cloud-init configures its fallback NIC). With a private_ip (cloud-init's
// "kept for backward compatibility" config): DHCPv4, and the ipv6 object's
// address/netmask with a default route to its gateway. Without one (null
// or absent): each of public_ips[] as an address/netmask, an inet6 one with
// its gateway (the first is the default route's); which IPv4 one DHCP
// serves is the mapping's to tell. Not a JSON object is an error; a bad value is dropped
// with a warning.
Status apply_scaleway_metadata(std::string_view json, InstanceMetadata& instance, std::vector<std::string>& warnings);

// cloud-init's network_config on the NIC that reached the service, named
// as the kernel names it and matched by name only, as cloud-init writes it
// for its fallback NIC. The public IPv4 address equal to the lease's is
// DHCPv4 with a route to 169.254.42.42/32 via 62.210.0.1 on-link; every
// other address is static.
Result<NetworkConfig> map_scaleway_network(const InstanceMetadata& metadata, const std::vector<SystemNic>& system_nics, const MappingOptions& options);

}
