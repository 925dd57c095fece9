// The systemd-networkd format: NetworkConfig -> one .network file per
// interface (and the shared .link file for a rename), in etc/systemd/network
// (or run/systemd/network with --runtime). Pure and deterministic. The
// meaning is what `netplan generate` makes for networkd from the netplan
// YAML metaboot writes for the same config; the names are cloud-init's
// networkd renderer's (10-cloud-init-NAME.network).
// https://www.freedesktop.org/software/systemd/man/latest/systemd.network.html
#pragma once

#include "common/file_content.h"
#include "common/result.h"
#include "model/network_config.h"
#include "render/format.h"

#include <string>
#include <vector>

namespace mb::render {

// The registry's row.
extern const Format networkd_format;

inline constexpr const char* networkd_directory = "etc/systemd/network";
inline constexpr const char* runtime_networkd_directory = "run/systemd/network";

// Per interface, in the config's order: `directory`/10-cloud-init-NAME.network
// (0644), then the .link file when the interface is matched by MAC and
// renamed. Each starts with generated_header. Refuses (Invalid) anything
// validate() refuses.
Result<std::vector<FileContent>> render_networkd(const NetworkConfig& config, const std::string& directory);

}
