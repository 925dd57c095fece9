// The main run: configuration, platform, DHCP, metadata, render + write, state,
// teardown, summary. This file owns the policy: the order, the one global
// deadline, what failure leads to which exit code, and that the lease is torn
// down on every path out.
#include "cli/commands.h"
#include "cli/config.h"
#include "cli/lease_flow.h"
#include "cli/log.h"
#include "cli/signals.h"
#include "common/text.h"
#include "fs/dmi.h"
#include "fs/outputs.h"
#include "fs/small_file.h"
#include "metadata/fetch.h"
#include "metadata/platform.h"
#include "net/tcp_transport.h"
#include "render/ifupdown.h"
#include "render/netplan.h"
#include "render/network_config.h"
#include "render/metadata_json.h"

#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <unistd.h>

namespace mb::cli {

using std::chrono::duration_cast;
using std::chrono::milliseconds;

namespace {

class PhaseClock {
public:
    explicit PhaseClock(Clock::time_point start)
        : m_start(start)
        , m_last(start)
    {
    }
    void mark(const char* name)
    {
        auto now = Clock::now();
        m_phases.emplace_back(name, duration_cast<milliseconds>(now - m_last).count());
        m_last = now;
    }
    long long total() const { return duration_cast<milliseconds>(Clock::now() - m_start).count(); }
    std::string text() const
    {
        std::string out;
        for (auto& [name, ms] : m_phases)
            out += std::string(name) + " " + std::to_string(ms) + " ms, ";
        return out + "total " + std::to_string(total()) + " ms";
    }
    std::string json() const
    {
        std::string out = "{";
        for (auto& [name, ms] : m_phases)
            out += "\"" + std::string(name) + "\":" + std::to_string(ms) + ",";
        return out + "\"total\":" + std::to_string(total()) + "}";
    }

private:
    Clock::time_point m_start, m_last;
    std::vector<std::pair<const char*, long long>> m_phases;
};

std::string json_string_list(const std::vector<std::string>& items)
{
    std::string out = "[";
    for (size_t i = 0; i < items.size(); ++i)
        out += (i ? ",\"" : "\"") + json_escape(items[i]) + "\"";
    return out + "]";
}

}

int run_command(const Args& args)
{
    auto started = Clock::now();
    PhaseClock phases(started);

    // 1. Configuration: flags over the kernel command line over defaults.
    Config config;
    {
        Config probe;
        auto parsed = parse_run_flags(probe, args);
        if (parsed.is_error()) {
            std::fprintf(stderr, "metaboot: %s\n", parsed.error().message().c_str());
            return help_command(stderr, ExitUsage);
        }
        config.cmdline_path = probe.cmdline_path;
    }
    std::vector<std::string> warnings;
    apply_kernel_cmdline(config, fs::read_small_file(config.cmdline_path), warnings);
    (void)parse_run_flags(config, args);
    log_open(config.verbose);
    for (auto& w : warnings)
        log_warning(w);
    if (config.disabled) {
        log_notice("disabled on the kernel command line (rd.metaboot=0)");
        return ExitOk;
    }
    bool output_none = config.output_explicit && !config.output_netplan && !config.output_ifupdown;
    bool write_network = config.network_config && !output_none;
    if (write_network && config.root.empty()) {
        std::fprintf(stderr, "metaboot: --root is required unless --output none\n");
        return help_command(stderr, ExitUsage);
    }
    auto deadline = started + duration_cast<Clock::duration>(std::chrono::duration<double>(config.timeout_seconds));

    // 2. Platform: a machine that is not a cloud costs a few file reads.
    ProviderKind provider = ProviderKind::Ec2;
    std::string platform_text;
    if (config.provider == ProviderChoice::Auto) {
        auto dmi = fs::read_dmi(config.sysfs_root);
        auto platform = metadata::classify_platform(dmi);
        auto kind = metadata::provider_for(platform);
        if (!kind) {
            log_notice("not a cloud platform (DMI vendor '" + dmi.sys_vendor + "', product '" + dmi.product_name + "'): nothing to do");
            if (config.json)
                std::printf("{\"exit\":%d,\"platform\":\"unknown\",\"timings_ms\":{\"total\":%lld}}\n", int(ExitNotCloud), phases.total());
            else
                std::printf("metaboot: not a cloud platform, nothing done (%lld ms)\n", phases.total());
            return ExitNotCloud;
        }
        provider = *kind;
        platform_text = metadata::platform_name(platform);
    } else {
        provider = config.provider == ProviderChoice::OpenStack ? ProviderKind::OpenStack : ProviderKind::Ec2;
        platform_text = std::string("forced ") + provider_name(provider);
    }
    phases.mark("platform");

    SignalWatcher::block_signals();
    auto opened = net::Netlink::open();
    if (opened.is_error()) {
        log_error("no lease: " + opened.error().message());
        return ExitNoLease;
    }
    auto& netlink = *opened.value();
    std::vector<int> indexes;
    std::vector<render::SystemNic> system_nics;
    if (auto links = netlink.links()) {
        for (auto& link : *links) {
            indexes.push_back(link.ifindex);
            if (link.ethernet && is_valid_interface_name(link.name))
                system_nics.push_back(render::SystemNic { link.mac, link.name });
        }
    }
    auto before = netlink.snapshot(indexes);
    SignalWatcher::start([&netlink] { (void)netlink.undo_all_and_close(); });
    DeferredCloser closer;

    // Every path out goes through here: undo the journal, check the result.
    auto teardown = [&](int exit_code) {
        std::lock_guard lock(SignalWatcher::critical());
        if (config.keep_lease && exit_code == ExitOk) {
            netlink.forget_journal();
            return exit_code;
        }
        auto undone = netlink.undo_all_and_close();
        auto after = netlink.snapshot(indexes);
        if (undone.is_error()) {
            log_error("teardown: " + undone.error().message());
            return exit_code == ExitOk ? int(ExitTeardownFailed) : exit_code;
        }
        if (auto differences = net::teardown_differences(before, after); !differences.empty()) {
            log_error("teardown: the interfaces differ from before the run");
            for (auto& difference : differences)
                log_warning("teardown: " + difference);
            return exit_code == ExitOk ? int(ExitTeardownFailed) : exit_code;
        }
        return exit_code;
    };

    // 3. DHCP.
    AcquireOptions acquire_options;
    acquire_options.interfaces = config.interfaces;
    acquire_options.deadline = deadline;
    auto acquired = acquire_lease(netlink, acquire_options, closer);
    if (acquired.is_error()) {
        log_error("no lease: " + acquired.error().message());
        int code = teardown(ExitNoLease);
        closer.reap();
        return code;
    }
    Status applied;
    {
        std::lock_guard lock(SignalWatcher::critical());
        applied = apply_lease(netlink, *acquired);
    }
    if (applied.is_error()) {
        log_error("no lease: configuring " + acquired->link.name + ": " + applied.error().message());
        int code = teardown(ExitNoLease);
        closer.reap();
        return code;
    }
    log_info(acquired->link.name + ": leased " + acquired->lease.address.to_string() + " from " + acquired->lease.server_id.to_string());
    phases.mark("dhcp");

    // 4. Metadata, through one keep-alive connection, before the deadline.
    metadata::FetchOptions fetch_options;
    fetch_options.base_url = config.metadata_url;
    fetch_options.provider = provider;
    fetch_options.crawl_full = config.crawl_full;
    metadata::FetchStats stats;
    net::TcpTransport transport;
    net::SystemTime time_source;
    auto fetched = metadata::fetch_metadata(fetch_options, transport, time_source, deadline, stats);
    transport.close();
    for (auto& w : stats.warnings)
        log_warning(w);
    if (fetched.is_error()) {
        log_error("no metadata: " + fetched.error().message());
        int code = teardown(ExitNoMetadata);
        closer.reap();
        return code;
    }
    auto& instance = *fetched;
    phases.mark("metadata");

    // 5. Render and write into the root.
    int exit_code = ExitOk;
    std::vector<std::string> written;
    if (write_network) {
        render::MappingOptions mapping;
        mapping.policy_routing = config.policy_routing;
        mapping.leased_mac = acquired->link.mac;
        auto network = render::map_network(instance, system_nics, mapping);
        if (network.is_error()) {
            // Values the renderers refuse never reach a file; the leased NIC
            // still gets DHCP, which is what the image would do on its own.
            log_warning("network metadata refused (" + network.error().message() + "); writing DHCP on " + acquired->link.name);
            network = render::fallback_network(system_nics, mapping);
        }
        Result<std::string> netplan_text = std::string();
        Result<std::string> ifupdown_text = std::string();
        if (network) {
            netplan_text = render::render_netplan(*network);
            ifupdown_text = render::render_ifupdown(*network);
        }
        if (network.is_error() || netplan_text.is_error() || ifupdown_text.is_error()) {
            const Error& e = network.is_error() ? network.error() : netplan_text.is_error() ? netplan_text.error() : ifupdown_text.error();
            log_error("rendering: " + e.message());
            exit_code = ExitWriteFailed;
        } else {
            fs::WriteRequest request;
            request.root = config.root;
            if (config.output_explicit)
                request.outputs = fs::OutputSet { config.output_netplan, config.output_ifupdown };
            request.runtime = config.runtime;
            request.netplan_text = *netplan_text;
            request.ifupdown_text = *ifupdown_text;
            std::lock_guard lock(SignalWatcher::critical());
            auto report = fs::write_outputs(request);
            if (report.is_error()) {
                log_error("writing: " + report.error().message());
                exit_code = ExitWriteFailed;
            } else {
                if (report->opted_out_by)
                    log_notice("network config disabled by " + *report->opted_out_by);
                for (auto& file : report->files)
                    written.push_back(file.path);
            }
        }
    } else {
        log_info(output_none ? "--output none: no network config written" : "rd.metaboot.network=0: no network config written");
    }
    phases.mark("write");

    // 6. State for the real root (survives switch_root in /run).
    std::string lease_json = lease_to_json(*acquired);
    {
        std::string timings_json = phases.json();
        std::lock_guard lock(SignalWatcher::critical());
        auto state = fs::write_state(config.state_dir, render::metadata_to_json(instance), lease_json, timings_json, instance.user_data);
        if (state.is_error()) {
            log_error("writing state: " + state.error().message());
            exit_code = ExitWriteFailed;
        }
    }
    phases.mark("state");

    // 7. Teardown.
    if (config.release) {
        auto released = send_release(*acquired);
        if (released.is_error())
            log_warning("release: " + released.error().message());
    }
    exit_code = teardown(exit_code);
    closer.reap();
    phases.mark("teardown");

    // 8. Summary.
    std::string summary = acquired->link.name + " " + acquired->lease.address.to_string() + ", " + provider_name(provider) + " "
        + instance.api_version + ", " + std::to_string(instance.nics.size()) + " NICs, " + std::to_string(stats.requests) + " requests, "
        + std::to_string(written.size()) + " files" + (config.keep_lease && exit_code == ExitOk ? ", lease kept" : "") + ": " + phases.text();
    log_notice(summary);
    if (config.json) {
        std::string out = "{\"exit\":" + std::to_string(exit_code);
        out += ",\"platform\":\"" + json_escape(platform_text) + "\"";
        out += ",\"lease\":" + lease_json;
        out += ",\"metadata\":" + render::metadata_to_json(instance);
        out += ",\"requests\":" + std::to_string(stats.requests);
        out += ",\"connections\":" + std::to_string(stats.connections);
        out += ",\"files\":" + json_string_list(written);
        out += ",\"warnings\":" + json_string_list(stats.warnings);
        out += ",\"request_timings\":[";
        for (size_t i = 0; i < stats.timings.size(); ++i) {
            auto& t = stats.timings[i];
            out += std::string(i ? "," : "") + "{\"method\":\"" + t.method + "\",\"path\":\"" + json_escape(t.path)
                + "\",\"status\":" + std::to_string(t.status) + ",\"ms\":" + std::to_string(t.milliseconds) + "}";
        }
        out += "],\"timings_ms\":" + phases.json() + "}";
        std::printf("%s\n", out.c_str());
    } else {
        std::printf("metaboot: %s\n", summary.c_str());
    }
    std::fflush(stdout);
    return exit_code;
}

}
