// The NetworkManager format: NetworkConfig -> one keyfile per interface in
// etc/NetworkManager/system-connections/ (run/... with --runtime), and the
// systemd .link files for renamed interfaces (NetworkManager renames
// nothing). Pure and deterministic.
// https://networkmanager.dev/docs/api/latest/nm-settings-keyfile.html
#pragma once

#include "common/file_content.h"
#include "common/result.h"
#include "model/network_config.h"
#include "render/format.h"

#include <string>
#include <vector>

namespace mb::render {

// The registry's row.
extern const Format networkmanager_format;

inline constexpr const char* networkmanager_directory = "etc/NetworkManager/system-connections";
inline constexpr const char* runtime_networkmanager_directory = "run/NetworkManager/system-connections";

// cloud-init's NM renderer's file names (nm_conn_filename() in
// cloudinit/net/network_manager.py), so a root that later runs cloud-init
// has one profile per NIC, not two.
inline constexpr const char* networkmanager_file_prefix = "cloud-init-";
inline constexpr const char* networkmanager_file_suffix = ".nmconnection";

// Refuses (Invalid) anything validate() refuses. Per interface in order, its
// keyfile (mode 0600), then its .link file if it is renamed; each file
// starts with generated_header.
Result<std::vector<FileContent>> render_networkmanager(const NetworkConfig& config, const std::string& connections_directory,
    const std::string& link_directory);

}
