// Azure's Instance Metadata Service (IMDS).
// https://learn.microsoft.com/en-us/azure/virtual-machines/instance-metadata-service
//
// One document, GET /metadata/instance, has identity, keys, user-data and the
// NICs. Nothing else of Azure's is ever contacted: not the wireserver
// (168.63.129.16, whose address the lease's option 245 carries), and no
// "ready" report, which would change the VM's provisioning state; that stays
// the job of the agent or cloud-init in the real root.
#pragma once

#include "clouds/cloud.h"
#include "clouds/provider.h"

namespace mb::clouds {

// The registry's row for Azure.
extern const Cloud azure_cloud;

// Azure's DMI chassis asset tag.
Verdict detect_azure(const PlatformFacts& facts);

// The model -> NetworkConfig, with the semantics of cloud-init's
// generate_network_config_from_instance_network_metadata (see mapping.cpp).
Result<NetworkConfig> map_azure_network(const InstanceMetadata& metadata, const std::vector<SystemNic>& system_nics, const MappingOptions& options);

// The body of GET /metadata/instance into the model: compute's identity,
// keys and user-data (base64, decoded into `user_data`), network's
// interfaces. Each NIC's device_number is its index in IMDS's list, which
// names it (eth<index>) and sets its metric. Malformed JSON is an error; a bad
// value is dropped with a warning.
Status apply_azure_instance(std::string_view json, InstanceMetadata& instance, std::optional<std::string>& user_data, std::vector<std::string>& warnings);

class AzureProvider final : public Provider {
public:
    explicit AzureProvider(Session& session);

    Result<InstanceMetadata> instance() override;
    Result<std::vector<std::string>> public_keys() override { return m_public_keys; }
    Result<std::optional<std::string>> user_data() override { return m_user_data; }

private:
    Session& m_session;
    std::vector<std::string> m_public_keys;
    std::optional<std::string> m_user_data;
};

}
