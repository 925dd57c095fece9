// `metaboot lease`: acquire a lease, print it, tear it down (a debugging aid,
// and the "lease only" contender in the benchmarks).
#include "cli/commands.h"
#include "cli/config.h"
#include "cli/exit_code.h"
#include "cli/lease_flow.h"
#include "cli/lease_scope.h"
#include "cli/log.h"
#include "cli/signals.h"

#include <cstdio>

namespace mb::cli {

using std::chrono::duration_cast;
using std::chrono::milliseconds;

namespace {

long long ms_since(Clock::time_point t)
{
    return duration_cast<milliseconds>(Clock::now() - t).count();
}

}

int lease_command(const Args& args)
{
    auto started = Clock::now();
    Config config = default_config(Command::Lease);
    if (auto parsed = parse_flags(Command::Lease, config, args); parsed.is_error()) {
        std::fprintf(stderr, "metaboot lease: %s\n", parsed.error().message().c_str());
        return help_command(stderr, ExitUsage);
    }
    if (config.help)
        return help_command(stdout, ExitOk);
    bool json = config.json, keep = config.keep_lease, release = config.release, verbose = config.verbose;
    double timeout = config.timeout_seconds;
    AcquireOptions options;
    options.interfaces = config.interfaces;
    options.deadline = started + duration_cast<Clock::duration>(std::chrono::duration<double>(timeout));
    log_open(verbose);

    auto scope = LeaseScope::open();
    if (scope.is_error()) {
        log_error(scope.error().message());
        return ExitNoLease;
    }
    auto& netlink = (*scope)->netlink();
    options.scope = scope->get();
    auto& closer = (*scope)->closer();
    auto keep_lease = keep ? KeepLease::Yes : KeepLease::No;

    auto acquired = acquire_lease(netlink, options, closer);
    if (acquired.is_error()) {
        log_errorf("no lease: %s", acquired.error().message().c_str());
        return (*scope)->finish(ExitNoLease, KeepLease::No);
    }
    auto dhcp_ms = ms_since(started);
    Status applied;
    {
        std::lock_guard lock(SignalWatcher::critical());
        applied = apply_lease(netlink, *acquired);
    }
    auto configured_ms = ms_since(started);
    if (applied.is_error())
        log_errorf("configuring %s: %s", acquired->link.name.c_str(), applied.error().message().c_str());

    int exit_code = applied.ok() ? ExitOk : ExitNoLease;
    if (release && applied.ok()) {
        auto released = send_release(*acquired);
        if (released.is_error())
            log_warning(released.error().message());
    }
    exit_code = (*scope)->finish(exit_code, keep_lease);
    auto total_ms = ms_since(started);
    if (json) {
        JsonWriter out;
        out.open_object();
        write_lease_fields(out, *acquired);
        out.key("timings_ms");
        out.open_object();
        out.field("dhcp", uint64_t(dhcp_ms));
        out.field("configure", uint64_t(configured_ms - dhcp_ms));
        out.field("total", uint64_t(total_ms));
        out.close_object();
        out.field("kept", keep);
        out.close_object();
        std::printf("%s\n", out.release().c_str());
    } else {
        std::printf("%s: %s via %s, lease %llds; dhcp %lld ms, total %lld ms%s\n", acquired->link.name.c_str(),
            acquired->lease.address.to_string().c_str(),
            acquired->lease.server_id.to_string().c_str(), (long long)acquired->lease.lease_time.count(), dhcp_ms, total_ms,
            keep ? " (kept)" : "");
    }
    std::fflush(stdout);
    return exit_code;
}

}
