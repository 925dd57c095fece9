// Vultr's instance metadata service: the whole instance in one JSON
// document, GET /v1.json, with the header cloud-init sends
// (Metadata-Token: cloudinit, helpers/vultr.py read_metadata: "so we can
// handle non Vultr origin images and provide correct vendordata"; the
// service answers without it too).
// https://www.vultr.com/metadata/
// The semantics are those of cloud-init's DataSourceVultr (25.1.4), which
// reaches the service with a DHCPv4 lease, NIC by NIC until one answers.
#pragma once

#include "clouds/cloud.h"

namespace mb::clouds {

// The registry's row for Vultr.
extern const Cloud vultr_cloud;

// helpers/vultr.py is_vultr(): sys_vendor "Vultr", or the word "vultr" on
// the kernel command line (bare metal, whose DMI is the hardware's).
// ds-identify also takes a file /etc/vultr in the root, which metaboot does
// not read before the root is mounted.
Verdict detect_vultr(const PlatformFacts& facts);

// The document into the model, as refactor_metadata() and
// get_datasource_data() read it: instance-v2-id (the instance id),
// hostname (the local hostname; "guest" when empty), region (countrycode
// when present, else regioncode, lower case), public-keys, user-data (a
// non-empty string). has_network_data: cloud_interfaces or interfaces is
// there (the mapping reads them from the raw document). Not a JSON object
// is an error; a bad value is dropped with a warning.
Status apply_vultr_metadata(std::string_view json, InstanceMetadata& instance, std::vector<std::string>& warnings);

// cloud_interfaces (cloud-init's v1, each physical entry named after the
// system NIC with its MAC) when present, else cloud-init's
// generate_network_config() on interfaces: the first NIC DHCPv4 and SLAAC
// with accept-ra, each other one its static IPv4 (left out when
// "unconfigured"), mtu, accept-ra and routes (on its first subnet)
// copied, additional IPv4 and IPv6 addresses as static subnets, and
// Vultr's two global nameservers; then map_cloud_init_document(). A NIC
// that is not on this system is an error, as in cloud-init.
Result<NetworkConfig> map_vultr_network(const InstanceMetadata& metadata, const std::vector<SystemNic>& system_nics, const MappingOptions& options);

}
