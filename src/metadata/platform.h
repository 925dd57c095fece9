// Which cloud this is, from DMI alone: no network, about a millisecond. An
// unknown platform makes metaboot do nothing unless a provider is forced.
#pragma once

#include "metadata/model.h"

#include <optional>
#include <string>

namespace mb::metadata {

// The DMI strings we read from <sysfs>/class/dmi/id/, trimmed. A file that
// is missing or unreadable (product_uuid is root-only) reads as empty.
struct DmiInfo {
    std::string sys_vendor;
    std::string product_name;
    std::string product_uuid;
    std::string board_asset_tag;
    std::string chassis_asset_tag;
    std::string product_version;
};

enum class Platform {
    Unknown,
    Ec2,
    OpenStack,
};

const char* platform_name(Platform platform);
std::optional<ProviderKind> provider_for(Platform platform);

// Pure: classifies the strings.
Platform classify_platform(const DmiInfo& dmi);


}
