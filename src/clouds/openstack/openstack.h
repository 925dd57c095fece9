// OpenStack's own metadata format (not its EC2 compatibility tree).
// https://docs.openstack.org/nova/latest/user/metadata.html
// network_data.json: https://specs.openstack.org/openstack/nova-specs/specs/liberty/implemented/metadata-service-network-info.html
#pragma once

#include "clouds/cloud.h"
#include "clouds/provider.h"

namespace mb::clouds {

// The registry's row for OpenStack.
extern const Cloud openstack_cloud;

// Nova's DMI product name, or the chassis asset tag of a rebranded cloud.
Verdict detect_openstack(const PlatformFacts& facts);

// The model -> NetworkConfig, with the semantics of cloud-init's
// convert_net_json (see mapping.cpp).
Result<NetworkConfig> map_openstack_network(const InstanceMetadata& metadata, const std::vector<SystemNic>& system_nics, const MappingOptions& options);

// From the body of GET /openstack/: "latest" when offered, else the newest
// dated version that has network_data.json (2015-10-15, Liberty).
Result<std::string> select_openstack_version(std::string_view listing);

// meta_data.json: uuid, hostname, availability_zone, public_keys.
Status apply_openstack_meta_data(std::string_view json, InstanceMetadata& instance, std::vector<std::string>& warnings);

// network_data.json: links become NICs; networks of type ipv4_dhcp, ipv4,
// ipv6_dhcp (and ipv6_dhcpv6-stateful), ipv6_slaac (and
// ipv6_dhcpv6-stateless), ipv6 fill them; dns services fill DNS. Malformed
// JSON is an error; a bad entry is dropped with a warning.
Status apply_openstack_network_data(std::string_view json, InstanceMetadata& instance, std::vector<std::string>& warnings);

class OpenStackProvider final : public Provider {
public:
    explicit OpenStackProvider(Session& session);

    Result<InstanceMetadata> instance() override;
    Result<std::vector<std::string>> public_keys() override;
    Result<std::optional<std::string>> user_data() override;

private:
    Result<std::string> get(const std::string& path);

    Session& m_session;
    std::string m_version;
    std::vector<std::string> m_public_keys;
    std::optional<Result<std::string>> m_user_data; // fetched with the documents
};

}
