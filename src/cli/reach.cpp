#include "cli/reach.h"

#include "cli/log.h"
#include "cli/signals.h"
#include "ipv4ll/ipv4ll.h"
#include "net/netlink_ops.h"
#include "net/packet_socket.h"

#include <linux/if.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <poll.h>
#include <sys/random.h>

namespace mb::cli {

using clouds::Reach;
using std::chrono::duration_cast;
using std::chrono::milliseconds;

namespace {

constexpr std::string_view reach_names[] = { "dhcp4", "ipv4ll", "ipv6ll", "slaac", "routed" };
static_assert(std::size(reach_names) == unsigned(Reach::Dhcp4Routed) + 1, "a name for every kind, in the enum's order");

// The first candidate NIC up (journalled) with carrier: the frames and the
// connections of these kinds go nowhere before it.
[[gnu::noinline]] Status wait_for_carrier(net::Netlink& netlink, const AcquireOptions& options, int ifindex)
{
    TRY(netlink.link_up(ifindex));
    auto until = std::min(options.deadline, Clock::now() + options.carrier_timeout);
    do {
        for (auto& link : TRY(netlink.links()))
            if (link.ifindex == ifindex && (link.flags & IFF_LOWER_UP))
                return {};
        ::poll(nullptr, 0, 10);
    } while (Clock::now() < until);
    return Error::timeout("no carrier");
}

// Probes a candidate (RFC 3927 §2.2.1, on the timing in ipv4ll.h): is
// another host using or probing it? ARP the decoder refuses (the socket's
// filter passed it, so a bad operation or a short packet) is no answer; a
// socket that cannot be read counts as a yes, so nothing unheard is claimed.
bool in_use(net::PacketSocket& socket, MacAddress own, Ipv4Address candidate)
{
    auto probe = ipv4ll::encode_arp(ipv4ll::probe(own, candidate));
    uint8_t buffer[128];
    for (unsigned sent = 1; sent <= ipv4ll::probe_count; ++sent) {
        (void)socket.send_broadcast(probe);
        auto until = Clock::now() + (sent < ipv4ll::probe_count ? ipv4ll::probe_interval : ipv4ll::listen_after_last);
        for (auto now = Clock::now(); now < until; now = Clock::now()) {
            pollfd fd { socket.fd(), POLLIN, 0 };
            ::poll(&fd, 1, int(duration_cast<milliseconds>(until - now).count()) + 1);
            for (;;) {
                auto received = socket.receive(buffer);
                if (received.is_error())
                    return true;
                if (!*received)
                    break;
                auto packet = ipv4ll::decode_arp(ByteSpan(buffer, (*received)->length));
                if (packet.ok() && ipv4ll::conflicts(*packet, candidate, own))
                    return true;
            }
        }
    }
    return false;
}

// The first free candidate, configured (journalled) and announced. (Out of
// line on purpose here and at wait_for_carrier(), configure_ipv6(),
// reach_on() and add_service_route(): inlined into run_command, their
// strings' and Results' cleanups cost 900 bytes more.)
[[gnu::noinline]] Result<Ipv4Prefix> claim_ipv4_link_local(net::Netlink& netlink, const AcquireOptions& options, net::PacketSocket& socket, const net::LinkInfo& link,
    Ipv4Address avoid)
{
    for (unsigned attempt = 0; attempt < ipv4ll::max_conflicts && Clock::now() < options.deadline; ++attempt) {
        auto candidate = ipv4ll::candidate(link.mac, attempt, avoid);
        if (in_use(socket, link.mac, candidate)) {
            log_infof("%s: %s is in use on the link", link.name.c_str(), candidate.to_string().c_str());
            continue;
        }
        Ipv4Prefix address(candidate, ipv4ll::prefix_length);
        {
            std::lock_guard lock(SignalWatcher::critical());
            TRY(netlink.add_address(link.ifindex, address, ipv4ll::broadcast));
        }
        // §2.4: announce it, so a stale cache entry of another host's for
        // the address is replaced.
        (void)socket.send_broadcast(ipv4ll::encode_arp(ipv4ll::announcement(link.mac, candidate)));
        return address;
    }
    return Error::refused("no free link-local address");
}

// A link-local address (RFC 4862 §5.3) with a random 64-bit interface
// identifier: it collides with another host's with a chance of about
// 2^-64 per host, the ground on which RFC 4429 §3.1 lets such addresses be
// used before DAD ends. Added with IFA_F_NODAD rather than optimistic: it is
// never tentative, so it is a source for the Router Solicitation and for
// Neighbor Solicitations with the link-layer option, which RFC 4429 §3.3
// denies an optimistic one, and no sysctl changes for it. It never equals
// the kernel's own EUI-64 address, which goes through DAD beside it.
Ipv6Address random_link_local()
{
    std::array<uint8_t, 16> bytes { 0xfe, 0x80 };
    if (getrandom(bytes.data() + 8, 8, GRND_NONBLOCK) != 8) {
        // Early boot before the pool is ready: the clock's nanoseconds.
        timespec now {};
        clock_gettime(CLOCK_MONOTONIC, &now);
        uint64_t value = uint64_t(now.tv_nsec) * 0x9e3779b97f4a7c15ull ^ uint64_t(now.tv_sec);
        std::memcpy(bytes.data() + 8, &value, 8);
    }
    return Ipv6Address(bytes);
}

// The link's IPv6 settings for the kind, then its link-local address.
[[gnu::noinline]] Status configure_ipv6(net::Netlink& netlink, const net::LinkInfo& link, Reach kind)
{
    // SLAAC (RFC 4862) for the run: router advertisements taken (2: also
    // when forwarding is on, where 1 would ignore them), addresses formed
    // from their prefixes, and optimistic (RFC 4429 §3.1: safe for SLAAC's
    // identifiers; usable before DAD ends). A kernel built without
    // CONFIG_IPV6_OPTIMISTIC_DAD has no such file: DAD's second then.
    static constexpr const char* settings[][2] = { { "disable_ipv6", "0" }, { "accept_ra", "2" }, { "autoconf", "1" }, { "optimistic_dad", "1" } };
    // What SLAAC forms goes when the teardown takes the link down again. On
    // a link that was up before the run it would outlive accept_ra's and
    // autoconf's restore, so there SLAAC is only used where the kernel
    // already does it.
    if (kind == Reach::Ipv6Slaac && (link.flags & IFF_UP) && (net::ipv6_sysctl(link.name, "accept_ra") == "0" || net::ipv6_sysctl(link.name, "autoconf") == "0"))
        return Error::refused("up before the run with SLAAC off: left so");
    std::lock_guard lock(SignalWatcher::critical());
    for (unsigned i = 0; i < (kind == Reach::Ipv6Slaac ? 4u : 1u); ++i) {
        auto set = net::set_ipv6_sysctl(netlink, link.ifindex, link.name, settings[i][0], settings[i][1]);
        if (set.is_error() && (i < 3 || set.error().errno_value() != ENOENT))
            return set;
    }
    // Usable at once, and the first of the link's link-local addresses to
    // be ready, so the kernel's Router Solicitation goes out now rather
    // than after the DAD of its own one (addrconf_dad_completed()).
    return net::add_ipv6_address_nodad(netlink, link.ifindex, random_link_local());
}

// The kind on the link, up with carrier: the claimed IPv4 address, or the
// IPv6 settings and (for SLAAC) the address a router advertisement gave.
[[gnu::noinline]] Status reach_on(net::Netlink& netlink, const AcquireOptions& options, Reach kind, Ipv4Address avoid, DeferredCloser& closer, AcquiredLease& acquired)
{
    auto const& link = acquired.link;
    TRY(wait_for_carrier(netlink, options, link.ifindex));
    if (kind == Reach::Ipv4LinkLocal) {
        auto socket = TRY(net::PacketSocket::open(link.ifindex, net::PacketSocket::Protocol::Arp));
        auto claimed = claim_ipv4_link_local(netlink, options, socket, link, avoid);
        // Closed off the critical path, as the DHCP sockets (packet_socket.h).
        closer.close_later(socket.release_fd());
        closer.release();
        acquired.lease.address = TRY(claimed);
        return {};
    }
    TRY(configure_ipv6(netlink, link, kind));
    // RFC 4861 §6.3.7: the solicitation is answered within 0.5 s, and the
    // address formed from the advertisement is usable (optimistic) at once.
    // The kernel installs an on-link prefix's route before the address
    // (addrconf_prefix_rcv()), so the address is the one thing to wait for.
    while (kind == Reach::Ipv6Slaac && !TRY(net::has_usable_global_ipv6(netlink, link.ifindex))) {
        if (Clock::now() >= options.deadline)
            return Error::timeout("no address from a router advertisement");
        ::poll(nullptr, 0, 20);
    }
    return {};
}

}

std::string_view reach_name(Reach kind)
{
    return reach_names[unsigned(kind)];
}

Result<clouds::ReachList> parse_reach_list(std::string_view text)
{
    clouds::ReachList list;
    for (size_t end = 0; end != std::string_view::npos; text.remove_prefix(end + 1)) {
        end = text.find(',');
        unsigned kind = 0;
        while (kind < std::size(reach_names) && reach_names[kind] != text.substr(0, end))
            ++kind;
        if (kind == std::size(reach_names) || list.size() == 4)
            return Error::invalid("--reach takes up to four of dhcp4, ipv4ll, ipv6ll, slaac, routed");
        list.push(Reach(kind));
    }
    return list;
}

Result<AcquiredLease> reach_on_link(net::Netlink& netlink, const AcquireOptions& options, Reach kind, const http::Endpoint& service, DeferredCloser& closer)
{
    if (bool(service.address6) != (kind != Reach::Ipv4LinkLocal))
        return Error::invalid("the metadata URL is not of the kind's IP version");
    auto started = Clock::now();
    auto candidates = TRY(choose_candidates(netlink, options));
    if (candidates.empty())
        return Error::not_found("no interface");
    AcquiredLease acquired;
    acquired.link = candidates.front();
    acquired.reach = kind;
    auto reached = reach_on(netlink, options, kind, service.address, closer, acquired);
    if (reached.is_error()) {
        std::lock_guard lock(SignalWatcher::critical());
        (void)netlink.undo_link(acquired.link.ifindex);
        return reached.release_error().context(acquired.link.name);
    }
    acquired.elapsed = duration_cast<milliseconds>(Clock::now() - started);
    return acquired;
}

[[gnu::noinline]] Status add_service_route(net::Netlink& netlink, const AcquiredLease& acquired, Ipv4Address service)
{
    auto const& lease = acquired.lease;
    if (lease.routers.empty() || lease.address.contains(service))
        return {};
    std::lock_guard lock(SignalWatcher::critical());
    return netlink.add_route(acquired.link.ifindex, Ipv4Prefix(service, 32), lease.routers.front(), lease.address.address());
}

}
