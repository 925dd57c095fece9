// The run's configuration: command-line flags over the kernel command line over
// the embedded defaults. Pure: the caller reads /proc/cmdline.
#pragma once

#include "common/result.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mb::cli {

// Exit codes (a contract: the hooks and users branch on them).
enum ExitCode : int {
    ExitOk = 0,
    ExitUsage = 1,
    ExitNoLease = 2,
    ExitNoMetadata = 3,
    ExitWriteFailed = 4,
    ExitTeardownFailed = 5,
    ExitNotCloud = 6,
};

enum class ProviderChoice { Auto, Ec2, OpenStack };

struct Config {
    std::vector<std::string> interfaces;
    std::string root;
    std::string state_dir { "/run/metaboot" };
    std::string metadata_url { "http://169.254.169.254" };
    ProviderChoice provider { ProviderChoice::Auto };
    double timeout_seconds { 30.0 };
    bool output_netplan { true };
    bool output_ifupdown { true };
    bool output_explicit { false }; // --output given: skip auto-detection
    bool network_config { true };   // rd.metaboot.network=0 turns it off
    bool runtime { false };
    bool policy_routing { true };
    bool keep_lease { false };
    bool release { false };
    bool json { false };
    bool verbose { false };
    bool disabled { false }; // rd.metaboot=0
    bool crawl_full { false };
    std::string sysfs_root { "/sys" };
    std::string cmdline_path { "/proc/cmdline" };
};

// Applies `rd.metaboot.*` options from a kernel command line. Unknown or
// malformed values are reported in `warnings` and ignored: a typo on the
// kernel command line must never stop the boot.
void apply_kernel_cmdline(Config& config, std::string_view cmdline, std::vector<std::string>& warnings);

// Parses the flags of the main run. Returns a usage error for anything
// unknown. `seen` records which options the flags set, so the kernel command
// line can be applied underneath them.
struct FlagSet {
    bool interfaces = false, metadata_url = false, provider = false, timeout = false, output = false;
};
Result<FlagSet> parse_run_flags(Config& config, const std::vector<std::string_view>& args);

Result<ProviderChoice> parse_provider(std::string_view text);
Status parse_output(Config& config, std::string_view text);
Result<double> parse_timeout(std::string_view text);

}
