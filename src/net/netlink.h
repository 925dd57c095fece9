// Interface configuration through libnl, with an undo journal.
//
// Every change metaboot makes to the kernel's network state goes through this
// class and is recorded; undo_all() reverts the journal in reverse order, so a
// teardown leaves links, addresses and routes exactly as they were. Nothing
// that already exists is added (NLM_F_EXCL), and so nothing pre-existing is
// ever removed by the teardown.
//
// Thread safety: every public method takes an internal lock, so the signal
// thread can run undo_all() while the main thread is between operations.
// After undo_all_and_close() every further change is refused.
#pragma once

#include "common/address.h"
#include "common/result.h"
#include "net/lock.h"

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

struct nl_sock;

namespace mb::dhcp {
struct LinkPlan;
}

namespace mb::net {

struct LinkInfo {
    int ifindex { 0 };
    std::string name;
    MacAddress mac;
    unsigned flags { 0 };
    uint32_t mtu { 0 };
    bool ethernet { false };  // ARPHRD_ETHER with a 6-byte address
    std::string kind;         // IFLA_INFO_KIND ("veth", "bridge", ...); empty for hardware
    int master { 0 };         // IFLA_MASTER: the bond, team, bridge or failover device it is enslaved to
    std::string driver;       // the device's driver (sysfs), filled by the caller; empty for virtual links
};

// What the teardown check compares: the links a run may touch, with their
// per-interface sysctls, their addresses, the routes through them (every
// table) and all policy rules, decoded from netlink. Counters and timers are
// not kept. State the kernel changes on its own (carrier, DAD) is kept, so a
// test can show it is ignored; teardown_differences() decides what counts.
using IpPrefix = std::variant<std::monostate, Ipv4Prefix, Ipv6Prefix>;
std::string to_string(const IpPrefix& prefix); // "-" when absent

struct InterfaceSnapshot {
    struct Link {
        int ifindex { 0 };
        std::string name;
        unsigned flags { 0 };     // IFF_*, as RTM_NEWLINK's ifi_flags
        uint32_t mtu { 0 };
        MacAddress mac;
        uint8_t operstate { 0 };  // IF_OPER_* (RFC 2863 ifOperStatus)
        // net.ipv4.conf.<name>.* by IPV4_DEVCONF_* id (linux/ip.h) and
        // net.ipv6.conf.<name>.* by DEVCONF_* id (linux/ipv6.h), from
        // IFLA_AF_SPEC.
        std::vector<std::pair<int, int32_t>> ipv4_conf;
        std::vector<std::pair<int, int32_t>> ipv6_conf;
    };
    struct Address {
        int ifindex { 0 };
        IpPrefix local;
        IpPrefix broadcast;
        uint8_t scope { 0 };
        uint32_t flags { 0 };     // IFA_F_*
    };
    struct Hop {
        int ifindex { 0 };
        IpPrefix gateway;
        unsigned flags { 0 };     // RTNH_F_*
    };
    struct Route {
        int family { 0 };
        uint32_t table { 0 };
        IpPrefix destination;     // 0.0.0.0/0 or ::/0 for a default route
        IpPrefix source;          // the preferred source, if any
        uint8_t protocol { 0 };   // RTPROT_*
        uint8_t scope { 0 };
        uint8_t type { 0 };       // RTN_*
        uint32_t metric { 0 };
        std::vector<Hop> hops;
    };

    std::vector<Link> links;
    std::vector<Address> addresses;
    std::vector<Route> routes;
    std::vector<std::string> rules; // canonical text, compared whole
};

// What differs between the snapshot taken before a run and the one after its
// teardown, leaving out what the kernel changes on its own; one sorted line
// per difference ("before: ..." or "after: ..."), none when the run left
// nothing behind. Pure: no netlink, no clock.
std::vector<std::string> teardown_differences(const InterfaceSnapshot& before, const InterfaceSnapshot& after);
// The same when either snapshot may have failed: a failed one is a difference.
std::vector<std::string> teardown_differences(const Result<InterfaceSnapshot>& before, const Result<InterfaceSnapshot>& after);

// A change made by the operations built on libnl core outside this file
// (net/netlink_ops.h: an IPv6 address, a sysctl), journalled here with the
// rest, so it is undone in order on every path out, the signal path too.
struct ForeignChange {
    int ifindex { 0 };
    Status (*revert)(nl_sock* socket, const ForeignChange& change) { nullptr };
    Ipv6Prefix address; // an address to remove
    std::string path;   // a sysctl's file under /proc/sys
    std::string value;  // its value before the run
};

class Netlink {
public:
    static Result<std::unique_ptr<Netlink>> open();
    ~Netlink();
    Netlink(const Netlink&) = delete;
    Netlink& operator=(const Netlink&) = delete;

    Result<std::vector<LinkInfo>> links();
    Result<LinkInfo> link_by_name(const std::string& name);
    // The IPv4 addresses of global scope on each link, as (ifindex, prefix):
    // what the initramfs or an earlier tool configured before the run.
    Result<std::vector<std::pair<int, Ipv4Prefix>>> ipv4_addresses();

    // The links with these indexes and what hangs off them (see
    // InterfaceSnapshot), for teardown_differences().
    Result<InterfaceSnapshot> snapshot(const std::vector<int>& ifindexes);

    Status link_up(int ifindex);
    Status set_mtu(int ifindex, uint32_t mtu);
    Status add_address(int ifindex, Ipv4Prefix address, Ipv4Address broadcast);
    // gateway unset: an on-link route (scope link).
    Status add_route(int ifindex, Ipv4Prefix destination, std::optional<Ipv4Address> gateway, Ipv4Address source);
    // A lease's plan: its MTU, its address, then its routes in the plan's
    // order, each change journalled as above. Stops at the first failure;
    // what was done stays in the journal for the teardown to revert.
    Status apply(int ifindex, const dhcp::LinkPlan& plan);

    // Reverts every journalled change, newest first. Keeps going past a
    // failure and returns the first error.
    Status undo_all();
    // Reverts only the changes made to one link (a losing candidate NIC).
    Status undo_link(int ifindex);
    // --keep-lease: leave the configuration in place and forget it.
    void forget_journal();
    // Undo everything and refuse further changes (the signal path).
    Status undo_all_and_close();

    // For net/netlink_ops.cpp: its requests go through this socket with
    // this lock held, after check_open(); record() journals what it changed.
    std::unique_lock<RecursiveLock> lock() { return std::unique_lock(m_mutex); }
    nl_sock* socket() const { return m_socket; }
    Status check_open() const;
    void record(ForeignChange change);

private:
    struct Change;
    Netlink() = default;
    Status undo(const Change&);

    mutable RecursiveLock m_mutex;
    bool m_closed { false };
    nl_sock* m_socket { nullptr };
    std::vector<std::unique_ptr<Change>> m_journal;
};

}
