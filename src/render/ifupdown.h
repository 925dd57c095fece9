// NetworkConfig -> ifupdown stanzas, for etc/network/interfaces.d/50-cloud-init.
// Pure and deterministic.
#pragma once

#include "common/result.h"
#include "render/network_config.h"

#include <string>

namespace mb::render {

Result<std::string> render_ifupdown(const NetworkConfig& config);

}
