// `metaboot lease`: acquire a lease, print it, tear it down (a debugging aid,
// and the "lease only" contender in the benchmarks).
#include "cli/commands.h"
#include "cli/config.h"
#include "cli/lease_flow.h"
#include "cli/log.h"
#include "cli/signals.h"

#include <cstdio>

namespace mb::cli {

using std::chrono::duration_cast;
using std::chrono::milliseconds;

static long long ms_since(Clock::time_point t)
{
    return duration_cast<milliseconds>(Clock::now() - t).count();
}

int lease_command(const Args& args)
{
    auto started = Clock::now();
    AcquireOptions options;
    double timeout = 30;
    bool json = false, keep = false, release = false, verbose = false;
    for (size_t i = 0; i < args.size(); ++i) {
        auto arg = args[i];
        auto next = [&]() -> std::string_view { return i + 1 < args.size() ? args[++i] : std::string_view(); };
        if (arg == "--interface" || arg == "-i") {
            auto name = next();
            if (!is_valid_interface_name(name)) {
                std::fprintf(stderr, "metaboot lease: bad interface name\n");
                return ExitUsage;
            }
            options.interfaces.emplace_back(name);
        } else if (arg == "--timeout") {
            auto parsed = parse_timeout(next());
            if (!parsed) {
                std::fprintf(stderr, "metaboot lease: %s\n", parsed.error().message().c_str());
                return ExitUsage;
            }
            timeout = *parsed;
        } else if (arg == "--json") {
            json = true;
        } else if (arg == "--keep-lease") {
            keep = true;
        } else if (arg == "--release") {
            release = true;
        } else if (arg == "--verbose" || arg == "-v") {
            verbose = true;
        } else {
            std::fprintf(stderr, "metaboot lease: unknown argument %.*s\n", int(arg.size()), arg.data());
            return help_command(stderr, ExitUsage);
        }
    }
    options.deadline = started + duration_cast<Clock::duration>(std::chrono::duration<double>(timeout));
    log_open(verbose);

    SignalWatcher::block_signals();
    auto netlink_result = net::Netlink::open();
    if (netlink_result.is_error()) {
        log_error(netlink_result.error().message());
        return ExitNoLease;
    }
    auto& netlink = *netlink_result.value();
    auto links = netlink.links();
    std::vector<int> indexes;
    if (links)
        for (auto& l : *links)
            indexes.push_back(l.ifindex);
    auto before = netlink.snapshot(indexes);
    SignalWatcher::start([&netlink] { (void)netlink.undo_all_and_close(); });

    DeferredCloser closer;
    auto acquired = acquire_lease(netlink, options, closer);
    if (acquired.is_error()) {
        log_error("no lease: " + acquired.error().message());
        std::lock_guard lock(SignalWatcher::critical());
        (void)netlink.undo_all_and_close();
        closer.reap();
        return ExitNoLease;
    }
    auto dhcp_ms = ms_since(started);
    Status applied;
    {
        std::lock_guard lock(SignalWatcher::critical());
        applied = apply_lease(netlink, *acquired);
    }
    auto configured_ms = ms_since(started);
    if (applied.is_error())
        log_error("configuring " + acquired->link.name + ": " + applied.error().message());

    int exit_code = applied.ok() ? ExitOk : ExitNoLease;
    if (release && applied.ok()) {
        auto released = send_release(*acquired);
        if (released.is_error())
            log_warning(released.error().message());
    }
    {
        std::lock_guard lock(SignalWatcher::critical());
        if (keep && applied.ok()) {
            netlink.forget_journal();
        } else {
            auto undone = netlink.undo_all_and_close();
            auto after = netlink.snapshot(indexes);
            auto differences = net::teardown_differences(before, after);
            if (undone.is_error() || !differences.empty()) {
                log_error("teardown left the interfaces changed");
                for (auto& difference : differences)
                    log_warning("teardown: " + difference);
                exit_code = ExitTeardownFailed;
            }
        }
    }
    auto total_ms = ms_since(started);
    if (json) {
        std::string out = lease_to_json(*acquired);
        out.pop_back();
        out += ",\"timings_ms\":{\"dhcp\":" + std::to_string(dhcp_ms) + ",\"configure\":" + std::to_string(configured_ms - dhcp_ms)
            + ",\"total\":" + std::to_string(total_ms) + "},\"kept\":" + (keep ? "true" : "false") + "}";
        std::printf("%s\n", out.c_str());
    } else {
        std::printf("%s: %s via %s, lease %llds; dhcp %lld ms, total %lld ms%s\n", acquired->link.name.c_str(),
            acquired->lease.address.to_string().c_str(),
            acquired->lease.server_id.to_string().c_str(), (long long)acquired->lease.lease_time.count(), dhcp_ms, total_ms,
            keep ? " (kept)" : "");
    }
    std::fflush(stdout);
    closer.reap();
    return exit_code;
}

}
