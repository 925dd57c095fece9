#include "cli/reach.h"

#include "cli/log.h"
#include "cli/signals.h"
#include "common/text.h"
#include "ipv4ll/ipv4ll.h"
#include "net/netlink_ops.h"
#include "net/packet_socket.h"

#include <linux/if.h>

#include <cerrno>
#include <ctime>
#include <poll.h>
#include <sys/random.h>

namespace mb::cli {

using clouds::Reach;
using std::chrono::duration_cast;
using std::chrono::milliseconds;

namespace {

constexpr std::string_view reach_names[] = { "dhcp4", "ipv4ll", "ipv6ll", "slaac", "routed" };

int wait_ms(Clock::time_point until)
{
    auto left = duration_cast<milliseconds>(until - Clock::now()).count();
    return left <= 0 ? 0 : int(std::min<long long>(left, 60000));
}

// The first candidate NIC, up (journalled) and with carrier: the frames and
// the connections of these kinds go nowhere before it.
Result<net::LinkInfo> first_link_with_carrier(net::Netlink& netlink, const AcquireOptions& options)
{
    auto candidates = TRY(choose_candidates(netlink, options));
    if (candidates.empty())
        return Error::not_found("no candidate interface");
    auto link = candidates.front();
    TRY(netlink.link_up(link.ifindex));
    auto until = std::min(options.deadline, Clock::now() + options.carrier_timeout);
    for (;;) {
        auto now = TRY(netlink.link_by_name(link.name));
        if (now.flags & IFF_LOWER_UP)
            return link;
        if (Clock::now() >= until)
            return Error::timeout(link.name + ": no carrier");
        ::poll(nullptr, 0, 10);
    }
}

// Reverts the link when the reach fails, under the signal watcher's lock.
template<typename Body>
Result<AcquiredLease> reverting_on_failure(net::Netlink& netlink, const AcquireOptions& options, Reach kind, Body body)
{
    auto started = Clock::now();
    std::optional<int> touched;
    auto reached = [&]() -> Result<AcquiredLease> {
        auto link = TRY(first_link_with_carrier(netlink, options));
        touched = link.ifindex;
        AcquiredLease acquired;
        acquired.link = link;
        acquired.candidates = { link };
        acquired.reach = kind;
        TRY(body(acquired));
        acquired.elapsed = duration_cast<milliseconds>(Clock::now() - started);
        return acquired;
    }();
    if (reached.is_error()) {
        std::lock_guard lock(SignalWatcher::critical());
        if (touched)
            (void)netlink.undo_link(*touched);
        else if (auto candidates = choose_candidates(netlink, options); candidates.ok() && !candidates->empty())
            (void)netlink.undo_link(candidates->front().ifindex);
    }
    return reached;
}

// Probes one candidate (RFC 3927 §2.2.1, on the timing in ipv4ll.h): is
// any other host using or probing it?
Result<bool> in_use(net::PacketSocket& socket, const net::LinkInfo& link, Ipv4Address candidate, Clock::time_point deadline)
{
    auto probe = ipv4ll::encode_arp(ipv4ll::probe(link.mac, candidate));
    auto next_probe = Clock::now();
    auto end = next_probe + (ipv4ll::probe_count - 1) * ipv4ll::probe_interval + ipv4ll::listen_after_last;
    unsigned sent = 0;
    uint8_t buffer[128];
    for (;;) {
        auto now = Clock::now();
        if (now >= deadline)
            return Error::timeout("deadline passed while probing " + candidate.to_string());
        if (sent < ipv4ll::probe_count && now >= next_probe) {
            if (auto result = socket.send_broadcast(probe); result.is_error())
                log_debug(link.name + ": " + result.error().message());
            ++sent;
            next_probe += ipv4ll::probe_interval;
        }
        if (now >= end)
            return false;
        pollfd fd { socket.fd(), POLLIN, 0 };
        if (::poll(&fd, 1, wait_ms(sent < ipv4ll::probe_count ? std::min(next_probe, end) : end)) < 0 && errno != EINTR)
            return Error::io("poll", errno);
        for (;;) {
            auto received = TRY(socket.receive(buffer));
            if (!received)
                break;
            auto packet = ipv4ll::decode_arp(ByteSpan(buffer, received->length));
            if (packet.is_error()) {
                log_debug(link.name + ": ARP ignored: " + packet.error().message());
                continue;
            }
            if (ipv4ll::conflicts(*packet, candidate, link.mac)) {
                log_debug(link.name + ": " + candidate.to_string() + " is claimed by " + packet->sender_mac.to_string());
                return true;
            }
        }
    }
}

// RFC 4862 §5.3 forms a link-local address from an interface identifier;
// a random 64-bit one (RFC 7217 §5's property of being unpredictable, from
// the kernel's generator) collides with another host's with a chance far
// below the link's bit error rate, which is why RFC 4429 §3.1 lets such an
// address be used before DAD. It also never equals the kernel's own EUI-64
// address on this link, which is still going through DAD beside it.
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
Status configure_ipv6(net::Netlink& netlink, const net::LinkInfo& link, Reach kind)
{
    std::lock_guard lock(SignalWatcher::critical());
    auto set = [&](std::string_view key, std::string_view value) { return net::set_ipv6_sysctl(netlink, link.ifindex, link.name, key, value); };
    TRY(set("disable_ipv6", "0"));
    if (kind == Reach::Ipv6Slaac) {
        // RFC 4862 on the link for the run: router advertisements taken
        // (2: even when forwarding, which an initramfs hardly sets) and
        // addresses formed from their prefixes, optimistic (RFC 4429
        // §3.1: safe for SLAAC's identifiers, usable before DAD ends).
        auto accept_ra = net::ipv6_sysctl(link.name, "accept_ra");
        if (accept_ra == "0" || (accept_ra == "1" && net::ipv6_sysctl(link.name, "forwarding") == "1"))
            TRY(set("accept_ra", "2"));
        TRY(set("autoconf", "1"));
        // A kernel without CONFIG_IPV6_OPTIMISTIC_DAD has no such file:
        // the address is then usable after DAD's second.
        if (auto optimistic = set("optimistic_dad", "1"); optimistic.is_error() && optimistic.error().kind() != ErrorKind::NotFound)
            return optimistic;
    }
    // Usable at once, and the first of the link's link-local addresses
    // to be ready, so the kernel's Router Solicitation goes out now
    // rather than after the DAD of its own one (addrconf_dad_completed).
    return net::add_ipv6_address_nodad(netlink, link.ifindex, random_link_local());
}

}

std::string_view reach_name(Reach kind)
{
    return reach_names[unsigned(kind)];
}

Result<clouds::ReachList> parse_reach_list(std::string_view text)
{
    clouds::ReachList list;
    for (auto name : split(text, ',')) {
        unsigned kind = 0;
        while (kind < std::size(reach_names) && reach_names[kind] != name)
            ++kind;
        if (kind == std::size(reach_names) || list.size() == 4)
            return Error::invalid("--reach takes up to four of dhcp4, ipv4ll, ipv6ll, slaac, routed, got '" + printable(text) + "'");
        list.push(Reach(kind));
    }
    if (!list.size())
        return Error::invalid("--reach needs a kind");
    return list;
}

Result<AcquiredLease> reach_ipv4_link_local(net::Netlink& netlink, const AcquireOptions& options, Ipv4Address avoid, DeferredCloser& closer)
{
    return reverting_on_failure(netlink, options, Reach::Ipv4LinkLocal, [&](AcquiredLease& acquired) -> Status {
        auto& link = acquired.link;
        auto socket = TRY(net::PacketSocket::open(link.ifindex, net::PacketSocket::Protocol::Arp));
        // Closed off the critical path, as the DHCP sockets (packet_socket.h).
        struct Closing {
            net::PacketSocket& socket;
            DeferredCloser& closer;
            ~Closing()
            {
                closer.close_later(socket.release_fd());
                closer.release();
            }
        } closing { socket, closer };
        for (unsigned attempt = 0; attempt < ipv4ll::max_conflicts; ++attempt) {
            auto candidate = ipv4ll::candidate(link.mac, attempt, avoid);
            if (TRY(in_use(socket, link, candidate, options.deadline))) {
                log_info(link.name + ": " + candidate.to_string() + " is in use on the link (RFC 3927 §2.2.1); trying another");
                continue;
            }
            {
                std::lock_guard lock(SignalWatcher::critical());
                TRY(netlink.add_address(link.ifindex, Ipv4Prefix(candidate, ipv4ll::prefix_length), ipv4ll::broadcast));
            }
            // §2.4: announce the address taken, so a stale cache entry of
            // another host's for it is replaced.
            (void)socket.send_broadcast(ipv4ll::encode_arp(ipv4ll::announcement(link.mac, candidate)));
            acquired.lease.address = Ipv4Prefix(candidate, ipv4ll::prefix_length);
            return {};
        }
        return Error::refused(link.name + ": " + std::to_string(ipv4ll::max_conflicts) + " link-local addresses in use");
    });
}

Result<AcquiredLease> reach_ipv6(net::Netlink& netlink, const AcquireOptions& options, Reach kind)
{
    return reverting_on_failure(netlink, options, kind, [&](AcquiredLease& acquired) -> Status {
        auto& link = acquired.link;
        TRY(configure_ipv6(netlink, link, kind));
        if (kind != Reach::Ipv6Slaac)
            return {};
        // RFC 4861 §6.3.7: the solicitation is answered within 0.5 s; then
        // the address is there (optimistic) at once.
        while (!TRY(net::has_usable_global_ipv6(netlink, link.ifindex))) {
            if (Clock::now() >= options.deadline)
                return Error::timeout(link.name + ": no address from a router advertisement before the deadline");
            ::poll(nullptr, 0, 20);
        }
        return {};
    });
}


Status add_service_route(net::Netlink& netlink, const AcquiredLease& acquired, Ipv4Address service)
{
    auto const& lease = acquired.lease;
    if (lease.routers.empty() || lease.address.contains(service))
        return {};
    std::lock_guard lock(SignalWatcher::critical());
    return netlink.add_route(acquired.link.ifindex, Ipv4Prefix(service, 32), lease.routers.front(), lease.address.address());
}

}
