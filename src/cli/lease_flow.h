// Wiring of the DHCP state machine to the packet sockets and netlink: acquire a
// lease on one NIC or race several, apply it, and hand sockets to a closer
// thread so their RCU-delayed close stays off the critical path.
#pragma once

#include "common/json_writer.h"
#include "common/result.h"
#include "dhcp/client.h"
#include "net/netlink.h"

#include <chrono>
#include <string>
#include <vector>

namespace mb::cli {

using Clock = std::chrono::steady_clock;

struct AcquireOptions {
    std::vector<std::string> interfaces; // empty: every candidate NIC (select_nics)
    std::string sysfs_root { "/sys" };   // where the NICs' drivers are read
    Clock::time_point deadline;
    std::chrono::milliseconds first_retransmit { 1000 };
};

struct AcquiredLease {
    net::LinkInfo link;
    dhcp::Lease lease;
    uint32_t xid { 0 };
    std::chrono::milliseconds elapsed { 0 };
    std::vector<net::LinkInfo> candidates; // every NIC that took part
};

// Closing a packet socket waits for an RCU grace period (packet_release()
// calls synchronize_net(); 16-28 ms measured), and so would this process's
// exit while it holds the last reference. A short-lived child takes the last
// references and pays that; the run goes on at once, and nothing that waits
// for this process waits for the grace period.
class DeferredCloser {
public:
    void close_later(int fd);
    // Hands every collected descriptor to a child that closes them.
    void release();
    // Reaps the child if it is done (else init will, after we exit).
    void reap();
    ~DeferredCloser() { reap(); }

private:
    std::vector<int> m_fds;
    std::vector<int> m_children;
};

// Brings candidate links up (journalled), waits for carrier, races DHCP on all
// of them; the first to bind wins and the others are reverted.
Result<AcquiredLease> acquire_lease(net::Netlink& netlink, const AcquireOptions& options, DeferredCloser& closer);

// Address, MTU and routes from the lease (option 121 wins over option 3; an
// on-link host route to a router outside the leased subnet first).
Status apply_lease(net::Netlink& netlink, const AcquiredLease& acquired);

// Sends DHCPRELEASE (RFC 2131 §4.4.6) for --release. Best effort.
Status send_release(const AcquiredLease& acquired);

// The lease as JSON: lease.json in the state dir, and the `lease` member of
// the --json outputs.
void write_lease(JsonWriter& json, const AcquiredLease& acquired);
// Its members alone, for a document that adds its own beside them.
void write_lease_fields(JsonWriter& json, const AcquiredLease& acquired);
std::string lease_to_json(const AcquiredLease& acquired);

}
