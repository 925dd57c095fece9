// Writing the rendered network config into the real root, and metaboot's
// state into the state dir. The only code in metaboot that writes files
// (through fs::Root, atomically).
#pragma once

#include "common/result.h"
#include "fs/root.h"

#include <optional>
#include <string>
#include <vector>

namespace mb::fs {

struct OutputSet {
    bool netplan { false };
    bool ifupdown { false };

    bool any() const { return netplan || ifupdown; }
    bool operator==(const OutputSet&) const = default;
};

// `--output netplan,ifupdown|none`: "netplan", "ifupdown", both joined by a
// comma (either order), or "none".
Result<OutputSet> parse_output_list(std::string_view text);

// Issue 5 item 5: netplan when the root has usr/sbin/netplan or etc/netplan/;
// ifupdown when it has sbin/ifup or etc/network/interfaces. Both may be true.
OutputSet detect_outputs(const Root& root);

// cloud-init's opt-out, read from the root's etc/cloud/cloud.cfg and then
// etc/cloud/cloud.cfg.d/*.cfg in lexical order (cloud-init's merge order, a
// later file overriding). Returns the file whose setting disabled network
// config, or nullopt when network config is not disabled.
Result<std::optional<std::string>> cloud_init_network_opt_out(const Root& root);

inline constexpr const char* netplan_path = "etc/netplan/50-cloud-init.yaml";
inline constexpr const char* ifupdown_path = "etc/network/interfaces.d/50-cloud-init";
inline constexpr const char* interfaces_path = "etc/network/interfaces";
inline constexpr const char* runtime_netplan_path = "run/netplan/50-cloud-init.yaml"; // under runtime_root

struct WriteRequest {
    std::string root { "/sysroot" };  // the real root, before switch_root
    std::optional<OutputSet> outputs; // --output; nullopt: detect_outputs()
    bool runtime { false };           // --runtime: netplan under runtime_root instead
    std::string runtime_root { "/" }; // the initramfs's /, whose /run survives switch_root
    std::string netplan_text;         // render_netplan()'s output
    std::string ifupdown_text;        // render_ifupdown()'s output
};

struct WrittenFile {
    std::string path; // as written: root or runtime_root joined with the relative path
    WriteOutcome outcome { WriteOutcome::Written };
};

struct WriteReport {
    OutputSet outputs;                        // what was chosen (detected or asked)
    std::optional<std::string> opted_out_by; // the cloud-init file that disabled network config
    bool remounted { false };                 // the root was read-only, made writable and restored
    std::vector<WrittenFile> files;
};

// Chooses the outputs, honours cloud-init's opt-out (nothing written then),
// makes a read-only root writable for the duration, writes each file
// atomically (netplan mode 0600, ifupdown 0644), makes etc/network/interfaces
// source interfaces.d, and restores read-only. The kernel command line
// opt-out (rd.metaboot.network=0) is the caller's: it does not call this.
Result<WriteReport> write_outputs(const WriteRequest& request);

// The state for the real root, in `state_dir` (created 0755; default
// /run/metaboot, which survives switch_root): metadata.json, lease.json,
// timings.json (0644) and, when present, user-data (0600: it often holds
// secrets).
Status write_state(const std::string& state_dir, std::string_view metadata_json, std::string_view lease_json, std::string_view timings_json, const std::optional<std::string>& user_data);

}
