// Helpers shared by the cloud mappings and validate(). Internal to render/.
#pragma once

#include "render/network_config.h"

namespace mb::render {

bool is_renderable_name(std::string_view name);
// Up to 32 bytes of `text`, anything unprintable (or a quote) as '?', for
// error messages that reach the kernel log.
std::string printable_excerpt(std::string_view text);
// Names valid and unique, MACs unique.
Status check_system_nics(const std::vector<SystemNic>& system_nics);
const SystemNic* find_system_nic(const std::vector<SystemNic>& system_nics, const MacAddress& mac);

}
