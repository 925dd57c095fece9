// Alibaba Cloud ECS's instance metadata service: EC2's protocol at
// http://100.100.100.200 under Alibaba's header names, with the whole
// meta-data tree as one JSON document (GET /2016-01-01/meta-data/all).
// https://www.alibabacloud.com/help/en/ecs/user-guide/view-instance-metadata
// The semantics are those of cloud-init 25.1.4's DataSourceAliYunLocal and
// sources/helpers/aliyun.py.
#pragma once

#include "clouds/cloud.h"

namespace mb::clouds {

// The registry's row for Alibaba Cloud ECS.
extern const Cloud alibaba_cloud;

// product_name "Alibaba Cloud ECS" (ds-identify's dscheck_AliYun, the
// datasource's _is_aliyun).
Verdict detect_alibaba(const PlatformFacts& facts);

// The body of meta-data/all into the model, as cloud-init reads it:
// instance-id, hostname (also the local hostname: cloud-init's
// get_hostname), public-keys (each a key string, a list of them, or an object with
// openssh-key) and network.interfaces.macs, one NIC per MAC key with DHCPv4,
// and DHCPv6 where its ipv6s is truthy (a non-empty string, list or
// object). region-id, zone-id and instance.instance-type are left out:
// cloud-init's region and availability_zone read keys Alibaba does not
// serve, so both stay unset, and it reads no instance type.
// Not a JSON object is an error (cloud-init would then read EC2's tree key
// by key; metaboot has no metadata); a bad value is dropped with a
// warning; no network.interfaces.macs object leaves the network data out
// (the mapping then falls back as cloud-init does).
Status apply_alibaba_metadata(std::string_view json, InstanceMetadata& instance, std::vector<std::string>& warnings);

// cloud-init's convert_ecs_metadata_network_config (full config, its
// default): the system NICs whose MAC the metadata lists, in natural name
// order, each DHCPv4 with route-metric 100 * (position + 1), DHCPv6 with
// the same metric where the NIC has IPv6, matched by MAC with set-name; one
// NIC alone keeps no metric.
Result<NetworkConfig> map_alibaba_network(const InstanceMetadata& metadata, const std::vector<SystemNic>& system_nics, const MappingOptions& options);

}
