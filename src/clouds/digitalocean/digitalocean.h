// DigitalOcean's droplet metadata service: the whole droplet in one JSON
// document, GET /metadata/v1.json, no header.
// https://docs.digitalocean.com/reference/api/metadata/
// The semantics are those of cloud-init's DataSourceDigitalOcean (25.1.4;
// deprecated there since 23.2 in favour of the config drive, which
// droplets carry too).
#pragma once

#include "clouds/cloud.h"

namespace mb::clouds {

// The registry's row for DigitalOcean.
extern const Cloud digitalocean_cloud;

// sys_vendor "DigitalOcean", and a product_serial (the droplet id), which
// cloud-init's read_sysinfo() requires.
Verdict detect_digitalocean(const PlatformFacts& facts);

// The document into the model: droplet_id, hostname, region (cloud-init's
// availability zone), public_keys, user_data, dns.nameservers, and the first
// entry of interfaces.public and of interfaces.private, public first, as a
// NIC with device_number 0 and 1. Each NIC's addresses are static: ipv4
// (ip_address, netmask), ipv6 (ip_address, cidr), anchor_ipv4 and
// anchor_ipv6; the gateways (where given) of the public ipv4 and ipv6
// only. Not a JSON object is an error; a bad identity value is dropped
// with a warning; a bad network value drops the network data with a
// warning (the mapping then fails, as cloud-init's does). A missing
// droplet_id leaves the instance id empty where cloud-init takes the DMI
// serial.
Status apply_digitalocean_metadata(std::string_view json, InstanceMetadata& instance, std::vector<std::string>& warnings);

// map_listed_nics() with cloud-init's NIC_MAP names: the public NIC is
// renamed eth0, the private one eth1.
Result<NetworkConfig> map_digitalocean_network(const InstanceMetadata& metadata, const std::vector<SystemNic>& system_nics, const MappingOptions& options);

}
