// Wiring of the DHCP state machine to the packet sockets and netlink: acquire a
// lease on one NIC or race several, apply it, and hand sockets to a closer
// thread so their RCU-delayed close stays off the critical path.
#pragma once

#include "common/json_writer.h"
#include "common/result.h"
#include "dhcp/client.h"
#include "cli/nic_selection.h"
#include "clouds/cloud.h"
#include "net/carrier_watch.h"
#include "net/deferred_closer.h"
#include "net/netlink.h"

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mb::cli {

using Clock = std::chrono::steady_clock;

class LeaseScope;

struct AcquireOptions {
    std::vector<std::string> interfaces; // empty: every candidate NIC (select_nics)
    std::string sysfs_root { "/sys" };   // where the NICs' drivers are read
    std::vector<int> excluded;           // links never to touch (configured before the run)
    // When the first lease comes from another link, how long to wait for the
    // first candidate's (the primary NIC, where the cloud says so); zero: take
    // leases in the order they bind.
    std::chrono::milliseconds primary_grace { 0 };
    Clock::time_point deadline;
    std::chrono::milliseconds first_retransmit { 1000 };
    // With no carrier on any candidate this long after the links came up,
    // the race ends (exit 2) without waiting for the deadline. Cloud NICs
    // have carrier within milliseconds; copper autonegotiation takes 2-3 s.
    std::chrono::milliseconds carrier_timeout { 5000 };
    // How long to wait for a first candidate NIC to exist (--wait-root: the
    // systemd initrd starts the run before udev has seen every device); zero:
    // the NICs present at the start are all there is.
    std::chrono::milliseconds nic_wait { 0 };
    // With nic_wait: a NIC is a candidate only once udev has processed it
    // (its record <dir>/n<ifindex> exists), so that it has the name udev
    // gives it and no rename is attempted while metaboot has it up.
    std::string udev_data;
    // The scope the run's changes are proved in: a NIC found after it opened
    // is snapshotted there before anything touches it (LeaseScope::track).
    LeaseScope* scope { nullptr };
};

struct AcquiredLease {
    net::LinkInfo link;
    dhcp::Lease lease;
    uint32_t xid { 0 };
    std::chrono::milliseconds elapsed { 0 };
    std::vector<net::LinkInfo> candidates; // every NIC that took part
    // No lease was taken: the link was configured before the run (dracut's
    // ip=, an NFS or iSCSI root) and reaches the service as it is; `lease`
    // holds only its address. Nothing of it is changed or released.
    bool preconfigured { false };
    // How it was reached (cli/reach.h); the kinds without DHCP leave `lease`
    // empty but for an IPv4 link-local address.
    clouds::Reach reach { clouds::Reach::Dhcp4Lease };
};

using net::DeferredCloser;

// The system's links, each with its driver read from sysfs, through
// select_nics(): the one view of "which NICs" that DHCP, the mapping and the
// reuse of a configured NIC share.
Result<NicSelection> select_system_nics(net::Netlink& netlink, const std::string& sysfs_root);

// The links to run DHCP (or another reach kind) on, in ifindex order:
// options.interfaces, or every candidate NIC; never an excluded one.
Result<std::vector<net::LinkInfo>> choose_candidates(net::Netlink& netlink, const AcquireOptions& options);

// DHCP on every candidate link at once. Each link is brought up
// (journalled) and its client starts as soon as its own carrier is up, so a
// NIC without carrier holds back none of the others. Leases are handed out
// in the order they bind; the others keep going meanwhile, so a caller whose
// lease cannot reach what it needs takes the next one.
class LeaseRace {
public:
    static Result<std::unique_ptr<LeaseRace>> start(net::Netlink& netlink, const AcquireOptions& options);
    ~LeaseRace();
    LeaseRace(const LeaseRace&) = delete;
    LeaseRace& operator=(const LeaseRace&) = delete;

    // The next lease to bind; an error when none binds before the deadline
    // (or no link gets carrier within carrier_timeout).
    Result<AcquiredLease> next();
    // Is any link still racing, or bound and not handed out?
    bool has_more() const;
    // Reverts every link but `kept_ifindex` and hands the sockets to the
    // closer. The race is over.
    void finish(std::optional<int> kept_ifindex, DeferredCloser& closer);

private:
    struct Attempt;
    LeaseRace(net::Netlink& netlink, const AcquireOptions& options);
    Status check_carrier();
    void start_client(int ifindex);
    void dispatch(Attempt& attempt, std::vector<dhcp::Action> actions);
    LeaseChoice choice() const;
    Attempt* ready_lease();

    net::Netlink& m_netlink;
    AcquireOptions m_options;
    Clock::time_point m_started;
    Error m_last_error;
    std::vector<net::LinkInfo> m_candidates;
    std::unique_ptr<net::CarrierWatch> m_carrier;
    std::vector<std::unique_ptr<Attempt>> m_attempts;
};

// The race's first lease, the other links reverted (metaboot lease).
Result<AcquiredLease> acquire_lease(net::Netlink& netlink, const AcquireOptions& options, DeferredCloser& closer);

// The lease's link plan (dhcp::plan_link), applied to the leased link.
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
