// NetworkConfig -> netplan YAML (version 2), for etc/netplan/50-cloud-init.yaml
// (or /run/netplan/ with --runtime). Pure and deterministic.
#pragma once

#include "common/result.h"
#include "render/network_config.h"

#include <string>

namespace mb::render {

// The file's header comment, shared with the ifupdown renderer: who wrote the
// file and how to turn that off.
extern const char* const generated_header;

// Refuses (Invalid) anything validate() refuses; never emits a value that was
// not re-printed from a strong type or checked as a name.
Result<std::string> render_netplan(const NetworkConfig& config);

}
