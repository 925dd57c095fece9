// What the real root's own configuration says, read as text. Pure functions:
// the caller reads the files through fs::Root.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mb::fs {

// cloud-init's documented opt-out
// (https://cloudinit.readthedocs.io/en/latest/reference/network-config.html,
// "Disabling network configuration"): `network: {config: disabled}` in
// /etc/cloud/cloud.cfg or a file in /etc/cloud/cloud.cfg.d/.
//
// Returns the value of network.config when this file sets it ("disabled",
// or whatever else it says), nullopt when it does not. A careful line scanner,
// not a YAML parser. It understands:
//   network: {config: disabled}            (flow style, on one line, any
//   network: {renderers: [x], config: off}  key order, quoted or not)
//   network:                               (block style, `config` one
//     config: disabled                      level below `network`)
// and comments, blank lines and `---`. It does not understand anchors and
// aliases, a flow mapping spread over several lines, tabs as indentation,
// or several YAML documents in one file (the last `config` seen wins).
std::optional<std::string> cloud_config_network_setting(std::string_view yaml_text);

// metaboot's own hand-off file (--cloud-init-handoff): cloud-init reads it
// like any other, metaboot never takes it for the user's opt-out. The first
// line carries the marker.
inline constexpr const char* cloud_init_handoff_path = "etc/cloud/cloud.cfg.d/99-metaboot-network-handoff.cfg";
inline constexpr const char* cloud_init_handoff_marker = "# metaboot: cloud-init network hand-off\n";

// cloud-init merges cloud.cfg, then cloud.cfg.d/*.cfg in lexical order, a
// later file overriding; so the last setting seen is the one that counts.
inline bool is_network_config_disabled(const std::optional<std::string>& last_setting)
{
    return last_setting && *last_setting == "disabled";
}

// Will the real root run SELinux enforcing? Its etc/selinux/config says
// SELINUX=enforcing (selinux(8)), and the kernel command line neither turns
// SELinux off (selinux=0) nor starts it permissive (enforcing=0).
bool selinux_enforcing(std::string_view selinux_config, std::string_view cmdline);

}
