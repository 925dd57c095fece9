// Which links take part in DHCP, and which the real root's config may name,
// when no interface is given: policy, pure over what netlink and sysfs said.
#pragma once

#include "net/netlink.h"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace mb::cli {

struct SkippedLink {
    std::string name;
    std::string reason; // for the verbose log
};

struct NicSelection {
    std::vector<net::LinkInfo> candidates; // in ifindex order
    std::vector<SkippedLink> skipped;
};

// Ethernet links that are not loopback, not software devices (bridges,
// bonds, VLANs, tunnels; veth is kept, as harnesses hand NICs over as veth),
// not enslaved (IFF_SLAVE or a master: bond, team and bridge ports, Azure's
// accelerated-networking VFs under netvsc, virtio-net failover slaves), and
// one link per MAC: of links sharing a MAC the paravirtual one is kept (a
// virtual function's driver loses), then the lowest ifindex.
NicSelection select_nics(const std::vector<net::LinkInfo>& links);

// Which of the leases bound so far to take now. Times are milliseconds on
// one clock (the caller's), so the choice is testable with a fake one.
struct BoundLease {
    int ifindex { 0 };
    std::chrono::milliseconds bound_at { 0 };
};

struct LeaseChoicePolicy {
    std::optional<int> primary;          // the primary NIC's ifindex, where the cloud names one
    bool primary_pending { false };      // its DHCP is still running
    std::chrono::milliseconds grace { 0 }; // how long another lease waits for the primary's
    std::chrono::milliseconds deadline { std::chrono::milliseconds::max() };
};

struct LeaseChoice {
    std::optional<int> take;                          // the lease to hand out now
    std::optional<std::chrono::milliseconds> wake_at; // nothing to take yet: look again then
};

// The primary's lease when it is bound; else the earliest bound lease, once
// the primary can no longer come (failed, or `grace` after that lease bound,
// or the deadline).
LeaseChoice choose_lease(const std::vector<BoundLease>& bound, const LeaseChoicePolicy& policy, std::chrono::milliseconds now);

}
