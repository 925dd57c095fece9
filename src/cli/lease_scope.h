// Everything a command holds around a lease so that the machine ends as it
// began: the netlink journal, the snapshot of every link before the first
// change, the signal watcher that undoes the journal on SIGTERM/INT/HUP, and
// the closer of the packet sockets. run_command and lease_command share it,
// so the teardown is proved the same way on every path out of both.
#pragma once

#include "common/result.h"
#include "net/deferred_closer.h"
#include "net/netlink.h"

#include <memory>
#include <string>
#include <vector>

namespace mb::cli {

// --keep-lease: whether a successful command leaves its configuration in place.
enum class KeepLease {
    No,
    Yes,
};

class LeaseScope {
public:
    // Blocks the watched signals (so call it before any thread starts), opens
    // netlink, snapshots every link, and starts the signal watcher. One per
    // process: the watcher is.
    static Result<std::unique_ptr<LeaseScope>> open();
    // A path that did not call finish() is torn down here.
    ~LeaseScope();
    LeaseScope(const LeaseScope&) = delete;
    LeaseScope& operator=(const LeaseScope&) = delete;

    net::Netlink& netlink() { return *m_netlink; }
    net::DeferredCloser& closer() { return m_closer; }

    // The verified teardown, then the closer's child is reaped. The journal
    // is kept only when asked and exit_code is ExitOk; otherwise it is undone
    // and the links are snapshotted again and compared with the first
    // snapshot. A teardown that fails or leaves a difference turns ExitOk into
    // ExitTeardownFailed; any other exit code is the first failure and stays.
    // Later calls only return exit_code.
    int finish(int exit_code, KeepLease keep);

    // Links found after open() (the systemd initrd's NICs appear while an
    // overlapped run waits for them): snapshotted now, before anything
    // touches them, and compared at the teardown like the others. Links
    // already known are left as they are.
    void track(const std::vector<net::LinkInfo>& links);

private:
    LeaseScope() = default;
    int tear_down(int exit_code, KeepLease keep);

    // Shared with the signal watcher, which outlives this scope (it is never
    // stopped), so a late signal finds a netlink with an empty journal rather
    // than a freed one.
    std::shared_ptr<net::Netlink> m_netlink;
    std::vector<int> m_ifindexes;
    Result<net::InterfaceSnapshot> m_before { Error::io("no snapshot taken") };
    // Each track() that found links: those links, and their snapshot then.
    struct LateLinks {
        std::vector<int> ifindexes;
        Result<net::InterfaceSnapshot> before { Error::io("no snapshot taken") };
    };
    std::vector<LateLinks> m_late;
    net::DeferredCloser m_closer;
    bool m_finished { false };
};

}
