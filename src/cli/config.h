// The configuration of every command: command-line flags over the kernel
// command line over the embedded defaults, from one flag table
// (config.cpp). Pure: the caller reads /proc/cmdline.
#pragma once

#include "clouds/cloud.h"
#include "common/result.h"
#include "render/format.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mb::cli {

using Args = std::vector<std::string_view>;

enum class Command {
    Run,      // metaboot [flags]
    Lease,    // metaboot lease
    Metadata, // metaboot metadata
};

struct Config {
    std::vector<std::string> interfaces;
    std::string root;
    std::string state_dir { "/run/metaboot" };
    std::string metadata_url { "http://169.254.169.254" }; // checked by http::Url::parse when set
    // Set: it wins over a URL the platform names (NoCloud's seed) and over
    // the cloud's own per IP version (its registry row); the run also sets
    // it for a URL the platform names.
    bool metadata_url_given { false };
    const clouds::Cloud* cloud { nullptr };               // --provider; nullptr: detect from DMI
    clouds::ReachList reach; // --reach, rd.metaboot.reach=; empty: the cloud's (registry)
    double timeout_seconds { 30.0 };
    std::optional<std::vector<const render::Format*>> outputs; // --output; nullopt: what the root uses
    bool network_config { true }; // rd.metaboot.network=0 turns it off
    bool runtime { false };    // --runtime: files with a runtime place go to /run
    bool persistent { false }; // --persistent: into the root even under SELinux
    bool cloud_init_handoff { false }; // --cloud-init-handoff: tell cloud-init to keep off the network
    bool policy_routing { true };
    bool keep_lease { false };
    bool release { false };
    bool json { false };
    bool verbose { false }; // also rd.debug
    bool quiet { false };   // `quiet` on the kernel command line
    bool disabled { false }; // rd.metaboot=0
    bool crawl_full { false };
    bool pipelining { true };
    // --wait-root PATH: the systemd initrd's early start (issue 18). The lease
    // and the fetch run at once, in parallel with the root's discovery and
    // mount; the network is torn down as soon as the metadata is in, and the
    // write waits until PATH exists (the root-ready unit makes it once
    // initrd-fs.target is reached).
    std::string wait_root;
    // With --wait-root, whether the lease and the fetch run while the root
    // is being mounted (rd.metaboot.overlap=1) or after it, as the shell
    // hooks do (the default). Opt-in until the early start is proved on
    // real roots: under QEMU one boot in a few took the lease on eth0 before
    // udev had renamed it to ens2, and the measured gain is within TCG's
    // noise (README, "Performance").
    bool overlap { false };
    bool help { false };
    std::string sysfs_root { "/sys" };
    std::string cmdline_path { "/proc/cmdline" };
    std::string config_path { "/etc/metaboot.conf" }; // absent: the embedded defaults
};

// A command's defaults (`metaboot metadata` waits 10 s, not 30).
Config default_config(Command command);

// Applies `rd.metaboot.*` options from a kernel command line. Unknown or
// malformed values are reported in `warnings` and ignored: a typo on the
// kernel command line must never stop the boot.
void apply_kernel_cmdline(Config& config, std::string_view cmdline, std::vector<std::string>& warnings);

// Applies /etc/metaboot.conf: `key = value` lines ('#' comments), the keys
// the long flags' names without "--" (output, provider, timeout,
// metadata-url, interface as a comma list, state-dir) and yes/no settings
// (runtime, persistent, policy-routing, cloud-init-handoff, network,
// release, verbose). As on the kernel command line, a bad line is reported
// in `warnings` and ignored.
void apply_config_file(Config& config, std::string_view text, std::vector<std::string>& warnings);

// Parses a command's flags onto `config`. A flag the command does not take,
// a missing or malformed value: a usage error (Error::invalid).
Status parse_flags(Command command, Config& config, const Args& args);

// The run's configuration from its flags and the kernel command line they
// override. `read_cmdline` reads the file --cmdline names (default
// /proc/cmdline).
template<typename ReadFile>
Result<Config> load_run_config(const Args& args, ReadFile read_cmdline, std::vector<std::string>& warnings)
{
    // The flags are read twice: first for --cmdline and --config, then over
    // the file and the kernel command line they override, in that order.
    Config probe = default_config(Command::Run);
    TRY(parse_flags(Command::Run, probe, args));
    Config config = default_config(Command::Run);
    apply_config_file(config, read_cmdline(probe.config_path), warnings);
    apply_kernel_cmdline(config, read_cmdline(probe.cmdline_path), warnings);
    TRY(parse_flags(Command::Run, config, args));
    return config;
}

Result<double> parse_timeout(std::string_view text);

}
