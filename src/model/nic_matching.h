// Helpers shared by the cloud mappings and validate().
#pragma once

#include "model/network_config.h"

namespace mb {

bool is_renderable_name(std::string_view name);
// Names valid and unique, MACs unique.
Status check_system_nics(const std::vector<SystemNic>& system_nics);
const SystemNic* find_system_nic(const std::vector<SystemNic>& system_nics, const MacAddress& mac);

struct MatchedNic {
    const NicMetadata* metadata;
    const SystemNic* system;
};

// The metadata's NICs that are on the system, in metadata order. One in the
// metadata but not on the system (hot-plugged after boot, or its driver not in
// the initramfs) is skipped, as cloud-init skips it, and listed in `skipped`:
// there is no kernel name to set. A MAC listed twice is an error.
Result<std::vector<MatchedNic>> match_system_nics(const InstanceMetadata& metadata, const std::vector<SystemNic>& system_nics,
    std::vector<MacAddress>& skipped);

}
