// SIGTERM, SIGINT and SIGHUP tear down and exit. They are blocked in every
// thread and taken by one watcher thread with sigwait(), which runs the
// registered teardown under the critical-section lock (so it never lands in
// the middle of a file replacement or a netlink change) and exits 128+N.
#pragma once

#include "net/lock.h"

#include <functional>
#include <mutex>

namespace mb::cli {

class SignalWatcher {
public:
    // Blocks the signals; call before any thread is started.
    static void block_signals();
    // Starts the watcher thread (detached; it lives until exit).
    static void start(std::function<void()> teardown);
    // Held while a write or another step that must not be cut in half runs.
    static net::Lock& critical();
};

}
