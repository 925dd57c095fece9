// UpCloud's registry row, and its detection from DMI alone. Its network
// config is map_listed_nics() (clouds/metadata_v1.h) with the kernel's
// names, as cloud-init's convert_to_network_config_v1 (helpers/upcloud.py)
// writes it.
#include "clouds/upcloud/upcloud.h"

#include "clouds/metadata_v1.h"

namespace mb::clouds {

namespace {

std::unique_ptr<Provider> make_upcloud_provider(Session& session)
{
    static constexpr DocumentService service { .path = "/metadata/v1.json", .apply = apply_upcloud_metadata };
    return std::make_unique<DocumentProvider>(session, service);
}

Result<NetworkConfig> map_upcloud_network(const InstanceMetadata& metadata, const std::vector<SystemNic>& system_nics, const MappingOptions&)
{
    return map_listed_nics(metadata, system_nics, NicNames::Kernel);
}

}

Verdict detect_upcloud(const PlatformFacts& facts)
{
    // ds-identify's dscheck_UpCloud compares sys_vendor alone;
    // DataSourceUpCloud then gives up without the server's UUID.
    return facts.dmi.sys_vendor == "UpCloud" && !facts.dmi.product_uuid.empty() ? Verdict::Yes : Verdict::No;
}

const Cloud upcloud_cloud {
    .name = "upcloud",
    // DataSourceUpCloud's dsname, lowercased, for both.
    .cloud_init_name = "upcloud",
    .cloud_init_platform = "upcloud",
    // DataSourceUpCloudLocal takes a DHCPv4 lease on the fallback NIC.
    .reach = Reach::Dhcp4Lease,
    .primary_nic = PrimaryNic::FirstInterface,
    .detect = detect_upcloud,
    .make_provider = make_upcloud_provider,
    .map_network = map_upcloud_network,
};

}
