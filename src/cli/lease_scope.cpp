#include "cli/lease_scope.h"

#include "cli/exit_code.h"
#include "cli/log.h"
#include "cli/sandbox.h"
#include "cli/signals.h"

#include <algorithm>
#include <mutex>

namespace mb::cli {

Result<std::unique_ptr<LeaseScope>> LeaseScope::open()
{
    // Before the first socket: from here on network input is read.
    if (auto why_not = enter_sandbox(); !why_not.empty())
        log_warning(why_not);
    SignalWatcher::block_signals();
    std::unique_ptr<LeaseScope> scope(new LeaseScope());
    scope->m_netlink = TRY(net::Netlink::open());
    // Every link, not only the candidates: the proof is that nothing changed
    // anywhere, including links metaboot never meant to touch.
    if (auto links = scope->m_netlink->links())
        for (auto& link : *links)
            scope->m_ifindexes.push_back(link.ifindex);
    scope->m_before = scope->m_netlink->snapshot(scope->m_ifindexes);
    SignalWatcher::start([netlink = scope->m_netlink] { (void)netlink->undo_all_and_close(); });
    return scope;
}

LeaseScope::~LeaseScope()
{
    if (!m_finished)
        (void)finish(ExitOk, KeepLease::No);
}

int LeaseScope::finish(int exit_code, KeepLease keep)
{
    if (m_finished)
        return exit_code;
    m_finished = true;
    int result = tear_down(exit_code, keep);
    m_closer.reap();
    return result;
}

void LeaseScope::track(const std::vector<net::LinkInfo>& links)
{
    LateLinks late;
    for (auto& link : links) {
        bool known = std::find(m_ifindexes.begin(), m_ifindexes.end(), link.ifindex) != m_ifindexes.end();
        for (auto& group : m_late)
            known = known || std::find(group.ifindexes.begin(), group.ifindexes.end(), link.ifindex) != group.ifindexes.end();
        if (!known)
            late.ifindexes.push_back(link.ifindex);
    }
    if (late.ifindexes.empty())
        return;
    late.before = m_netlink->snapshot(late.ifindexes);
    m_late.push_back(std::move(late));
}

int LeaseScope::tear_down(int exit_code, KeepLease keep)
{
    // Under the signal watcher's lock: a signal now waits for this teardown
    // instead of racing it.
    std::lock_guard lock(SignalWatcher::critical());
    // --keep-lease holds also when no stack was found: the lease is then the
    // real root's only network.
    if (keep == KeepLease::Yes && (exit_code == ExitOk || exit_code == ExitNoNetworkStack)) {
        m_netlink->forget_journal();
        return exit_code;
    }
    auto undone = m_netlink->undo_all_and_close();
    auto after = m_netlink->snapshot(m_ifindexes);
    if (undone.is_error()) {
        log_errorf("teardown: %s", undone.error().message().c_str());
        return exit_code == ExitOk ? int(ExitTeardownFailed) : exit_code;
    }
    auto differences = net::teardown_differences(m_before, after);
    for (auto& group : m_late) {
        for (auto& difference : net::teardown_differences(group.before, m_netlink->snapshot(group.ifindexes)))
            differences.push_back(std::move(difference));
    }
    if (!differences.empty()) {
        log_error("teardown: the interfaces differ from before the run");
        for (auto& difference : differences)
            log_warningf("teardown: %s", difference.c_str());
        return exit_code == ExitOk ? int(ExitTeardownFailed) : exit_code;
    }
    return exit_code;
}

}
