// The netplan format: NetworkConfig -> netplan YAML (version 2), in
// etc/netplan/50-cloud-init.yaml (or run/netplan/ with --runtime). Pure and
// deterministic.
#pragma once

#include "common/result.h"
#include "model/network_config.h"
#include "render/format.h"

#include <string>

namespace mb::render {

// The registry's row.
extern const Format netplan_format;

// cloud-init's file name, so that a root which later runs cloud-init has one
// file, not two.
inline constexpr const char* netplan_path = "etc/netplan/50-cloud-init.yaml";
inline constexpr const char* runtime_netplan_path = "run/netplan/50-cloud-init.yaml";

// Refuses (Invalid) anything validate() refuses; never emits a value that was
// not re-printed from a strong type or checked as a name.
Result<std::string> render_netplan(const NetworkConfig& config);

}
