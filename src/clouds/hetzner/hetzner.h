// Hetzner Cloud's server metadata service: GET /hetzner/v1/metadata (the
// whole server as YAML, with cloud-init's network config v1 under
// network-config) and GET /hetzner/v1/userdata, no header.
// https://docs.hetzner.cloud/#server-metadata
// The semantics are those of cloud-init's DataSourceHetzner (25.1.4), which
// reaches the service with a DHCPv4 lease on the fallback NIC.
//
// Where cloud-init 25.1.4 differs from later cloud-init, 25.1.4 is followed:
// - metadata/private-networks is not fetched (later versions add a DHCP
//   entry per private network, matched by MAC);
// - no IPv6 link-local try before 169.254.169.254 (later versions try
//   [fe80::a9fe:a9fe%nic] first; afterburn's Hetzner provider says the
//   service has no IPv6 address, and Hetzner documents none).
#pragma once

#include "clouds/cloud.h"

namespace mb::clouds {

// The registry's row for Hetzner Cloud.
extern const Cloud hetzner_cloud;

// sys_vendor "Hetzner" and a product_serial (the server id): cloud-init's
// get_hcloud_data() fails without one.
Verdict detect_hetzner(const PlatformFacts& facts);

// The metadata YAML into the model: instance-id, hostname (the local
// hostname), public-keys (a list or lines). cloud-init keeps no other key
// (no region, no availability zone in its metadata). network-config is
// read once for its warnings: has_network_data says whether it maps. Not a
// YAML mapping, or no valid instance-id, is an error; a bad value is
// dropped with a warning. The provider then requires the instance id to be
// the DMI serial, when DMI chose the cloud, as cloud-init does.
Status apply_hetzner_metadata(std::string_view yaml, InstanceMetadata& instance, std::vector<std::string>& warnings);

// A DocumentProvider: GET /hetzner/v1/metadata, then /hetzner/v1/userdata.
std::unique_ptr<Provider> make_hetzner_provider(Session& session);

// The metadata's network-config (cloud-init's v1, mapped by
// map_cloud_init_document()); an error, as in cloud-init, when there is
// none that maps.
Result<NetworkConfig> map_hetzner_network(const InstanceMetadata& metadata, const std::vector<SystemNic>& system_nics, const MappingOptions& options);

// cloud-init's util.maybe_b64decode: the user-data decoded when it is
// strict base64 (no whitespace, padded), else as it is.
std::string hetzner_user_data(std::string body);

}
