// The ifupdown format: NetworkConfig -> ifupdown stanzas, in
// etc/network/interfaces.d/50-cloud-init, and the line in
// etc/network/interfaces that sources it. Pure and deterministic.
#pragma once

#include "common/result.h"
#include "model/network_config.h"
#include "render/format.h"

#include <string>

namespace mb::render {

// The registry's row.
extern const Format ifupdown_format;

inline constexpr const char* ifupdown_path = "etc/network/interfaces.d/50-cloud-init";
inline constexpr const char* interfaces_path = "etc/network/interfaces";

Result<std::string> render_ifupdown(const NetworkConfig& config);

// /etc/network/interfaces must source interfaces.d for our file to be read.
// Returns the new content with `source /etc/network/interfaces.d/*`
// appended, or nullopt when a line already sources our file: `source` of
// /etc/network/interfaces.d/* (or interfaces.d/*, relative to
// /etc/network), or `source-directory` of that directory (its file name
// rule, [A-Za-z0-9_-]+, admits 50-cloud-init). The rest of the file is
// kept byte for byte.
std::optional<std::string> interfaces_with_source_line(std::string_view existing);

}
