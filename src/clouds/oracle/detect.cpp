// Oracle's registry row, and its detection from DMI alone.
#include "clouds/oracle/oracle.h"

namespace mb::clouds {

namespace {

std::unique_ptr<Provider> make_oracle_provider(Session& session)
{
    return std::make_unique<OracleProvider>(session);
}

}

Verdict detect_oracle(const PlatformFacts& facts)
{
    // cloud-init's _is_platform_viable() compares the same string exactly.
    return facts.dmi.chassis_asset_tag == "OracleCloud.com" ? Verdict::Yes : Verdict::No;
}

const Cloud oracle_cloud {
    .name = "oracle",
    // cloud-init's DataSourceOracle names neither, so both are its dsname,
    // lowercased.
    .cloud_init_name = "oracle",
    .cloud_init_platform = "oracle",
    .reach = Reach::Dhcp4Lease,
    // The primary VNIC is the first in vnics/, which is only known once
    // the metadata is read.
    .primary_nic = PrimaryNic::Unknown,
    .detect = detect_oracle,
    .make_provider = make_oracle_provider,
    .map_network = map_oracle_network,
};

}
