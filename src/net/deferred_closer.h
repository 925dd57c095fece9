// Closing descriptors off the critical path.
#pragma once

#include <vector>

namespace mb::net {

// Closing a packet socket waits for an RCU grace period (packet_release()
// calls synchronize_net(); 16-28 ms measured), and so would this process's
// exit while it holds the last reference. A short-lived child takes the last
// references and pays that; the run goes on at once, and nothing that waits
// for this process waits for the grace period.
class DeferredCloser {
public:
    DeferredCloser() = default;
    DeferredCloser(const DeferredCloser&) = delete;
    DeferredCloser& operator=(const DeferredCloser&) = delete;
    ~DeferredCloser() { reap(); }

    void close_later(int fd);
    // Hands every collected descriptor to a child that closes them.
    void release();
    // Reaps the child if it is done (else init will, after we exit).
    void reap();

private:
    std::vector<int> m_fds;
    std::vector<int> m_children;
};

}
