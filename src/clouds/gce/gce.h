// Google Compute Engine's metadata server.
// https://cloud.google.com/compute/docs/metadata/overview
// https://cloud.google.com/compute/docs/metadata/querying-metadata
// Key format: https://cloud.google.com/compute/docs/connect/add-ssh-keys#metadata
#pragma once

#include "clouds/cloud.h"
#include "clouds/provider.h"

#include <cstdint>

namespace mb::clouds {

// The registry's row for GCE.
extern const Cloud gce_cloud;

// product_name "Google Compute Engine" or "Google", or a product_serial
// starting "GoogleCloud-" (DataSourceGCE's platform_reports_gce()).
Verdict detect_gce(const PlatformFacts& facts);

// cloud-init writes no network config from GCE's metadata: the generic
// fallback, dhcp4 and dhcp6 on one NIC (see mapping.cpp).
Result<NetworkConfig> map_gce_network(const InstanceMetadata& metadata, const std::vector<SystemNic>& system_nics, const MappingOptions& options);

enum class GceDocument {
    Instance, // GET instance/?recursive=true
    Project,  // GET project/attributes/?recursive=true
};

// One of the two JSON answers into `instance`. The instance's: hostname (and
// local_hostname, cut at the first dot), availability_zone and region from
// zone, instance_type from machineType, user-data from the attributes, the
// keys in its sshKeys, then ssh-keys; `project_keys` says whether the
// project's keys count too: not when block-project-ssh-keys is "true" or
// the instance has legacy sshKeys. The project's: the keys in its ssh-keys,
// then sshKeys. Not a JSON object is an error; a bad value is dropped with
// a warning. `now` (Unix seconds) judges expireOn.
Status apply_gce_json(std::string_view json, GceDocument kind, InstanceMetadata& instance, int64_t now, bool& project_keys, std::vector<std::string>& warnings);

// "user:key" lines: the keys of user "cloudinit" that are OpenSSH keys and
// have not expired, appended to `keys`.
void append_gce_keys(std::string_view text, int64_t now, std::vector<std::string>& keys, std::vector<std::string>& warnings);

class GceProvider final : public Provider {
public:
    explicit GceProvider(Session& session);

    // Everything, keys and user-data included, comes with the instance.
    Result<InstanceMetadata> instance() override;

private:
    Result<std::string> get(std::string_view path);

    Session& m_session;
};

}
