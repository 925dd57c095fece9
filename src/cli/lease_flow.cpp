#include "cli/lease_flow.h"
#include "common/format.h"

#include "cli/lease_scope.h"

#include "cli/log.h"
#include "cli/nic_selection.h"
#include "cli/reach.h"
#include "common/json_writer.h"
#include "common/text.h"
#include "fs/small_file.h"
#include "dhcp/link_plan.h"
#include "net/dhcp_release.h"
#include "net/packet_socket.h"

#include <linux/if.h>

#include <arpa/inet.h>
#include <cerrno>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <cstring>
#include <memory>

namespace mb::cli {

using std::chrono::duration_cast;
using std::chrono::milliseconds;

namespace {

milliseconds since_epoch(Clock::time_point t)
{
    return duration_cast<milliseconds>(t.time_since_epoch());
}

uint32_t random_u32()
{
    uint32_t value = 0;
    if (getrandom(&value, sizeof value, GRND_NONBLOCK) != sizeof value) {
        // Early boot before the pool is ready: xid only has to differ between
        // clients on one segment, so time and pid mixing is enough.
        // xorshift32 (Marsaglia, 2003), seeded once; a non-zero state never
        // becomes zero. Zero-initialized, so no guard as std::minstd_rand's
        // seeded construction needed.
        static uint32_t state;
        if (state == 0)
            state = (uint32_t(Clock::now().time_since_epoch().count()) ^ uint32_t(getpid())) | 1;
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        value = state;
    }
    return value;
}

}

struct LeaseRace::Attempt {
    net::LinkInfo link;
    net::PacketSocket socket;
    std::unique_ptr<dhcp::Client> client; // made when the carrier is up
    milliseconds timer { milliseconds::max() };
    bool failed { false };
    std::optional<AcquiredLease> bound; // bound, not handed out yet
    bool handed_out { false };
};

LeaseRace::LeaseRace(net::Netlink& netlink, const AcquireOptions& options)
    : m_netlink(netlink)
    , m_options(options)
    , m_started(Clock::now())
    , m_last_error(Error::timeout("no DHCP offer before the deadline"))
{
}

LeaseRace::~LeaseRace() = default;

Result<NicSelection> select_system_nics(net::Netlink& netlink, const std::string& sysfs_root)
{
    auto links = TRY(netlink.links());
    for (auto& link : links)
        link.driver = fs::read_net_driver(sysfs_root, link.name);
    return select_nics(links);
}

Result<std::vector<net::LinkInfo>> choose_candidates(net::Netlink& netlink, const AcquireOptions& options)
{
    std::vector<net::LinkInfo> candidates;
    if (options.interfaces.empty()) {
        auto selection = TRY(select_system_nics(netlink, options.sysfs_root));
        // Early in the initrd the NIC's driver may still be probing, and
        // udev may not have named it yet: look again every 10 ms, as long as
        // nic_wait allows, for a NIC udev has processed.
        auto give_up = std::min(options.deadline, Clock::now() + options.nic_wait);
        // systemd-udevd (v252 in Debian 12) writes a NIC's record with
        // ID_RENAMING=1 before it renames it, and again without once the
        // rename's move event is done; networkd waits for that too
        // ("Interface is being renamed, pending initialization."). A record
        // still renaming is a NIC about to change its name.
        auto named = [&](const net::LinkInfo& link) {
            auto record = options.udev_data + "/n" + std::to_string(link.ifindex);
            return fs::path_exists(record) && ("\n" + fs::read_small_file(record, 16384) + "\n").find("\nE:ID_RENAMING=1\n") == std::string::npos;
        };
        for (;;) {
            if (!options.nic_wait.count())
                break;
            std::erase_if(selection.candidates, [&](const net::LinkInfo& link) { return !named(link); });
            if (!selection.candidates.empty()) {
                // A snapshot taken before the record was done may hold the
                // kernel's name (eth0 for ens2: 4 of 4 overlapped boots of a
                // Debian 12 dracut-systemd initrd). The names of a fresh
                // snapshot of the NICs found named are udev's.
                auto fresh = TRY(select_system_nics(netlink, options.sysfs_root));
                std::erase_if(fresh.candidates, [&](const net::LinkInfo& link) {
                    return std::none_of(selection.candidates.begin(), selection.candidates.end(),
                        [&](const net::LinkInfo& seen) { return seen.ifindex == link.ifindex; });
                });
                selection = std::move(fresh);
                break;
            }
            if (Clock::now() >= give_up)
                break;
            timespec pause { 0, 10 * 1000 * 1000 };
            nanosleep(&pause, nullptr);
            selection = TRY(select_system_nics(netlink, options.sysfs_root));
        }
        for (auto& skipped : selection.skipped)
            log_debugf("%s: no DHCP: %s", skipped.name.c_str(), skipped.reason.c_str());
        for (auto& link : selection.candidates) {
            if (std::find(options.excluded.begin(), options.excluded.end(), link.ifindex) == options.excluded.end())
                candidates.push_back(link);
            else
                log_debugf("%s: no DHCP: configured before the run", link.name.c_str());
        }
        if (candidates.empty())
            return Error::not_found("no Ethernet interface to run DHCP on");
        if (options.scope)
            options.scope->track(candidates);
        return candidates;
    }
    auto links = TRY(netlink.links());
    for (auto& name : options.interfaces) {
        auto it = std::find_if(links.begin(), links.end(), [&](auto& l) { return l.name == name; });
        if (it == links.end())
            return Error::not_found(strf("no interface named %s", name.c_str()));
        if (!it->ethernet)
            return Error::invalid(strf("%s is not an Ethernet interface", name.c_str()));
        if (std::find(options.excluded.begin(), options.excluded.end(), it->ifindex) != options.excluded.end())
            continue;
        candidates.push_back(*it);
    }
    return candidates;
}

Result<std::unique_ptr<LeaseRace>> LeaseRace::start(net::Netlink& netlink, const AcquireOptions& options)
{
    std::unique_ptr<LeaseRace> race(new LeaseRace(netlink, options));
    race->m_candidates = TRY(choose_candidates(netlink, options));
    // Subscribe to carrier events before the links come up, so no carrier
    // is missed between bringing a link up and looking at it.
    race->m_carrier = TRY(net::CarrierWatch::open());
    for (auto& link : race->m_candidates) {
        auto up = netlink.link_up(link.ifindex);
        if (up.is_error()) {
            log_warningf("%s: %s", link.name.c_str(), up.error().message().c_str());
            race->m_last_error = up.release_error();
            continue;
        }
        auto socket = net::PacketSocket::open(link.ifindex);
        if (socket.is_error()) {
            log_warningf("%s: %s", link.name.c_str(), socket.error().message().c_str());
            race->m_last_error = socket.release_error();
            (void)netlink.undo_link(link.ifindex);
            continue;
        }
        race->m_attempts.push_back(std::unique_ptr<Attempt>(new Attempt { link, socket.release_value() }));
    }
    if (race->m_attempts.empty())
        return race->m_last_error;
    TRY(race->check_carrier());
    return race;
}

Status LeaseRace::check_carrier()
{
    for (auto& link : TRY(m_netlink.links())) {
        if (link.flags & IFF_LOWER_UP)
            start_client(link.ifindex);
    }
    return {};
}

void LeaseRace::start_client(int ifindex)
{
    for (auto& attempt : m_attempts) {
        if (attempt->link.ifindex != ifindex || attempt->client || attempt->failed)
            continue;
        dhcp::ClientConfig config;
        config.first_retransmit = m_options.first_retransmit;
        config.deadline = since_epoch(m_options.deadline);
        config.mac = attempt->link.mac;
        attempt->client = std::make_unique<dhcp::Client>(config, random_u32);
        log_debugf("%s: carrier up, DHCP starts", attempt->link.name.c_str());
        dispatch(*attempt, attempt->client->start(since_epoch(Clock::now())));
    }
}

void LeaseRace::dispatch(Attempt& attempt, std::vector<dhcp::Action> actions)
{
    for (auto& action : actions) {
        if (auto* send = std::get_if<dhcp::SendPacket>(&action)) {
            auto sent = attempt.socket.send_broadcast(send->ipv4_udp_packet);
            if (sent.is_error())
                log_debugf("%s: %s", attempt.link.name.c_str(), sent.error().message().c_str());
        } else if (auto* timer = std::get_if<dhcp::ArmTimer>(&action)) {
            attempt.timer = timer->at;
        } else if (auto* note = std::get_if<dhcp::Note>(&action)) {
            log_debugf("%s: %s", attempt.link.name.c_str(), note->text.c_str());
        } else if (auto* failed = std::get_if<dhcp::Failed>(&action)) {
            log_debugf("%s: %s", attempt.link.name.c_str(), failed->error.message().c_str());
            attempt.failed = true;
            m_last_error = failed->error;
        } else if (auto* bound = std::get_if<dhcp::Bound>(&action)) {
            AcquiredLease acquired;
            acquired.link = attempt.link;
            acquired.lease = bound->lease;
            acquired.xid = attempt.client->xid();
            acquired.elapsed = duration_cast<milliseconds>(Clock::now() - m_started);
            acquired.candidates = m_candidates;
            attempt.bound = std::move(acquired);
            attempt.timer = milliseconds::max();
        }
    }
}

LeaseChoice LeaseRace::choice() const
{
    std::vector<BoundLease> bound;
    LeaseChoicePolicy policy;
    policy.grace = m_options.primary_grace;
    policy.deadline = since_epoch(m_options.deadline);
    if (!m_candidates.empty() && m_options.primary_grace.count() > 0)
        policy.primary = m_candidates.front().ifindex;
    for (auto& attempt : m_attempts) {
        if (attempt->handed_out)
            continue;
        if (attempt->bound)
            bound.push_back({ attempt->link.ifindex, since_epoch(m_started + attempt->bound->elapsed) });
        else if (policy.primary && attempt->link.ifindex == *policy.primary && !attempt->failed)
            policy.primary_pending = true;
    }
    return choose_lease(bound, policy, since_epoch(Clock::now()));
}

LeaseRace::Attempt* LeaseRace::ready_lease()
{
    auto chosen = choice().take;
    for (auto& attempt : m_attempts) {
        if (chosen && attempt->link.ifindex == *chosen && attempt->bound && !attempt->handed_out)
            return attempt.get();
    }
    return nullptr;
}

bool LeaseRace::has_more() const
{
    for (auto& attempt : m_attempts) {
        if (!attempt->failed && !attempt->handed_out)
            return true;
    }
    return false;
}

Result<AcquiredLease> LeaseRace::next()
{
    std::vector<uint8_t> buffer(4096);
    // Without carrier on any NIC there is nothing to wait for: give up after
    // carrier_timeout rather than at the deadline.
    auto carrier_deadline = since_epoch(std::min(m_options.deadline, m_started + m_options.carrier_timeout));
    while (!ready_lease()) {
        std::vector<pollfd> fds { pollfd { m_carrier->fd(), POLLIN, 0 } };
        std::vector<Attempt*> polled { nullptr };
        milliseconds next = since_epoch(m_options.deadline);
        bool any_client = false, any_waiting = false;
        for (auto& attempt : m_attempts) {
            if (attempt->failed || attempt->bound)
                continue;
            if (!attempt->client) {
                any_waiting = true;
                continue;
            }
            any_client = true;
            fds.push_back(pollfd { attempt->socket.fd(), POLLIN, 0 });
            polled.push_back(attempt.get());
            next = std::min(next, attempt->timer);
        }
        if (!any_client && !any_waiting)
            return m_last_error;
        auto now = since_epoch(Clock::now());
        // A lease held back for the primary's: wake when its grace ends.
        if (auto wake = choice().wake_at)
            next = std::min(next, *wake);
        if (!any_client) {
            if (now >= carrier_deadline)
                return Error::timeout(strf("no carrier on any interface within %lld ms", (long long)m_options.carrier_timeout.count()));
            next = std::min(next, carrier_deadline);
        }
        auto wait = std::max<long long>(0, (next - now).count());
        int ready = poll(fds.data(), fds.size(), int(std::min<long long>(wait, 60000)));
        if (ready < 0 && errno != EINTR)
            return Error::io("poll", errno);
        now = since_epoch(Clock::now());
        if (fds[0].revents & POLLIN) {
            auto events = TRY(m_carrier->drain());
            for (int ifindex : events.with_carrier)
                start_client(ifindex);
            if (events.overflowed)
                TRY(check_carrier());
        }
        for (size_t i = 1; i < fds.size(); ++i) {
            Attempt& attempt = *polled[i];
            if (fds[i].revents & POLLIN) {
                // Drain everything queued: a burst of replies (two servers,
                // duplicates) must not cost one poll round each.
                while (!attempt.bound && !attempt.failed) {
                    auto received = attempt.socket.receive(buffer);
                    if (received.is_error()) {
                        log_debugf("%s: %s", attempt.link.name.c_str(), received.error().message().c_str());
                        break;
                    }
                    if (!received->has_value())
                        break;
                    auto packet = **received;
                    if (packet.length == 0)
                        continue;
                    dispatch(attempt, attempt.client->on_packet(ByteSpan(buffer.data(), packet.length), packet.checksum_offloaded ? dhcp::UdpChecksum::Offloaded : dhcp::UdpChecksum::Verify, now));
                }
            }
            if (!attempt.bound && !attempt.failed && now >= attempt.timer) {
                attempt.timer = milliseconds::max();
                dispatch(attempt, attempt.client->on_timeout(now));
            }
        }
        if (!ready_lease() && Clock::now() >= m_options.deadline)
            return m_last_error;
    }
    Attempt* attempt = ready_lease();
    attempt->handed_out = true;
    return *attempt->bound;
}

void LeaseRace::finish(std::optional<int> kept_ifindex, DeferredCloser& closer)
{
    for (auto& attempt : m_attempts) {
        if (!kept_ifindex || attempt->link.ifindex != *kept_ifindex) {
            auto undone = m_netlink.undo_link(attempt->link.ifindex);
            if (undone.is_error())
                log_warningf("%s: reverting: %s", attempt->link.name.c_str(), undone.error().message().c_str());
        }
        closer.close_later(attempt->socket.release_fd());
    }
    m_attempts.clear();
    closer.release();
}

Result<AcquiredLease> acquire_lease(net::Netlink& netlink, const AcquireOptions& options, DeferredCloser& closer)
{
    auto race = TRY(LeaseRace::start(netlink, options));
    auto acquired = race->next();
    race->finish(acquired.ok() ? std::optional<int>(acquired->link.ifindex) : std::nullopt, closer);
    return acquired;
}

Status apply_lease(net::Netlink& netlink, const AcquiredLease& acquired)
{
    return netlink.apply(acquired.link.ifindex, dhcp::plan_link(acquired.lease));
}

Status send_release(const AcquiredLease& acquired)
{
    const auto& lease = acquired.lease;
    if (acquired.preconfigured)
        return Error::invalid(strf("%s was configured before the run: no lease of ours to release", acquired.link.name.c_str()));
    if (acquired.reach != clouds::Reach::Dhcp4Lease && acquired.reach != clouds::Reach::Dhcp4Routed)
        return Error::invalid(strf("%s: reached without DHCP: no lease to release", acquired.link.name.c_str()));
    if (lease.server_id.is_unspecified())
        return Error::invalid("lease has no server identifier");
    auto payload = dhcp::build_release(lease, acquired.link.mac, acquired.xid);
    return net::send_dhcp_release(acquired.link.name, lease.address.address(), lease.server_id, payload);
}

void write_lease(JsonWriter& json, const AcquiredLease& acquired)
{
    json.open_object();
    write_lease_fields(json, acquired);
    json.close_object();
}

void write_lease_fields(JsonWriter& json, const AcquiredLease& acquired)
{
    const auto& lease = acquired.lease;
    json.field("interface", acquired.link.name);
    json.field("mac", acquired.link.mac.to_string());
    json.field("address", lease.address.address().to_string());
    json.field("prefix", uint64_t(lease.address.length()));
    json.text_list_field("routers", lease.routers);
    json.key("routes");
    json.open_array();
    for (auto& r : lease.classless_routes) {
        json.open_object();
        json.field("destination", Ipv4Prefix(r.destination.network(), r.destination.length()).to_string());
        json.field("router", r.router.to_string());
        json.close_object();
    }
    json.close_array();
    json.optional_number_field("mtu", lease.mtu);
    json.text_list_field("dns", lease.dns_servers);
    json.key("domain");
    if (lease.domain_name)
        json.string(*lease.domain_name);
    else
        json.null();
    json.string_list_field("search", lease.search_domains);
    json.field("lease_time", uint64_t(lease.lease_time.count()));
    json.field("server", lease.server_id.to_string());
    if (lease.azure_wireserver)
        json.field("azure_wireserver", lease.azure_wireserver->to_string());
    json.field("elapsed_ms", uint64_t(acquired.elapsed.count()));
    json.field("preconfigured", acquired.preconfigured);
    json.field("reach", reach_name(acquired.reach));
}

std::string lease_to_json(const AcquiredLease& acquired)
{
    JsonWriter json;
    write_lease(json, acquired);
    return json.release();
}

}
