// UpCloud's server metadata service: the whole server in one JSON document,
// GET /metadata/v1.json, no header.
// https://developers.upcloud.com/1.3/8-servers/#metadata-service
// The semantics are those of cloud-init's DataSourceUpCloudLocal (25.1.4),
// which also reaches the service with a DHCPv4 lease in init-local.
#pragma once

#include "clouds/cloud.h"

namespace mb::clouds {

// The registry's row for UpCloud.
extern const Cloud upcloud_cloud;

// sys_vendor "UpCloud", and a product_uuid (the server's UUID), which
// cloud-init's read_sysinfo() requires.
Verdict detect_upcloud(const PlatformFacts& facts);

// The document into the model: instance_id, hostname, region (cloud-init's
// availability zone), public_keys, user_data, network.dns, and each of
// network.interfaces[] (mac, ip_addresses[]) as a NIC, in order. An address
// with dhcp true is DHCPv4, or for family IPv6 stateless DHCPv6
// (ipv6_dhcp with ipv6_slaac); any other is static, with the prefix length
// of its network ("a.b.c.d/n"; a floating address's network is its /32),
// its gateway when it has one (the NIC's first), and its dns where that
// list differs from network.dns. Not a JSON object is an error; a bad
// identity value is dropped with a warning; a bad network value drops the
// network data with a warning (the mapping then fails, as cloud-init's
// does). A missing instance_id leaves the instance id empty where
// cloud-init takes the DMI UUID.
Status apply_upcloud_metadata(std::string_view json, InstanceMetadata& instance, std::vector<std::string>& warnings);

}
