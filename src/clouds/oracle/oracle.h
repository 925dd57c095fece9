// Oracle Cloud Infrastructure: its instance metadata service (IMDS) under
// /opc/v2/ (and the older /opc/v1/).
// https://docs.oracle.com/en-us/iaas/Content/Compute/Tasks/gettingmetadata.htm
// The semantics are those of cloud-init's DataSourceOracle.
#pragma once

#include "clouds/cloud.h"
#include "clouds/provider.h"

namespace mb::clouds {

// The registry's row for Oracle.
extern const Cloud oracle_cloud;

// The chassis asset tag OCI gives VMs and bare metal alike.
Verdict detect_oracle(const PlatformFacts& facts);

// The model -> NetworkConfig, as cloud-init's network_config property does
// it (see mapping.cpp).
Result<NetworkConfig> map_oracle_network(const InstanceMetadata& metadata, const std::vector<SystemNic>& system_nics, const MappingOptions& options);

// instance/: id, hostname, ociAdName, shape, metadata.ssh_authorized_keys and
// metadata.user_data (base64). Malformed JSON is an error; a bad value is
// dropped with a warning.
Status apply_oracle_instance(std::string_view json, InstanceMetadata& instance, std::vector<std::string>& warnings);

// vnics/: a JSON array, the primary VNIC first. The primary's address comes
// from DHCP (DHCPv6 when it has no IPv4); every other VNIC's is static
// (OCI serves no DHCPv4 to secondary VNICs). A malformed VNIC is dropped
// with a warning; malformed JSON is an error.
Status apply_oracle_vnics(std::string_view json, InstanceMetadata& instance, std::vector<std::string>& warnings);

class OracleProvider final : public Provider {
public:
    explicit OracleProvider(Session& session)
        : m_session(session)
    {
    }

    // Keys and user-data are members of instance/, so the interface's
    // other two methods stay unsupported and fetch_metadata keeps these.
    Result<InstanceMetadata> instance() override;

private:
    // "/opc/v2/NAME/", or its v1 twin once v2 has failed.
    Result<std::string> get(std::string path);

    Session& m_session;
    bool m_v1 { false };
    bool m_settled { false }; // instance/ answered: the version is chosen
};

}
