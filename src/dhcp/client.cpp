#include "dhcp/client.h"

#include "common/backoff.h"
#include "common/format.h"

#include <algorithm>
#include <iterator>
#include <utility>

namespace mb::dhcp {

namespace {

constexpr Ipv4Address unspecified_address {};
constexpr Ipv4Address limited_broadcast { 0xffffffff };
// RFC 2132 §9.10: the smallest maximum message size a client may announce.
constexpr uint16_t min_max_message_size = 576;
// Spread of each retransmission delay, in per mille either way (see
// randomized()).
constexpr int jitter_per_mille = 200;

std::string ignored(const Message& reply, std::string_view why)
{
    std::string type = reply.options.message_type ? message_type_name(*reply.options.message_type) : "reply";
    return strf("ignored %s: %.*s", type.c_str(), int(why.size()), why.data());
}

}

const char* state_name(State state)
{
    switch (state) {
    case State::Init: return "INIT";
    case State::Selecting: return "SELECTING";
    case State::Requesting: return "REQUESTING";
    case State::Bound: return "BOUND";
    case State::Failed: return "FAILED";
    }
    return "?";
}

Bytes client_id_for(MacAddress mac)
{
    Bytes id { hardware_ethernet };
    id.insert(id.end(), mac.bytes().begin(), mac.bytes().end());
    return id;
}

Client::Client(ClientConfig config, std::function<uint32_t()> random)
    : m_config(std::move(config))
    , m_random(std::move(random))
{
}

void Client::set_state(State state, Millis now, Actions& actions)
{
    if (state == m_state)
        return;
    m_transitions.push_back({ m_state, state, now });
    actions.push_back(Note { strf("state %s -> %s", state_name(m_state), state_name(state)) });
    m_state = state;
}

void Client::fail(Error error, Millis now, Actions& actions)
{
    set_state(State::Failed, now, actions);
    actions.push_back(Failed { std::move(error) });
}

bool Client::check_deadline(Millis now, Actions& actions)
{
    if (now < m_config.deadline)
        return false;
    fail(Error::timeout("no DHCP lease before the deadline"), now, actions);
    return true;
}

std::vector<Action> Client::start(Millis now)
{
    Actions actions;
    if (m_started) {
        actions.push_back(Note { "start() called twice; ignored" });
        return actions;
    }
    m_started = true;
    m_start = now;
    if (check_deadline(now, actions))
        return actions;
    restart_discovery(now, actions);
    return actions;
}

void Client::restart_discovery(Millis now, Actions& actions)
{
    set_state(State::Init, now, actions);
    // A fresh xid, so that a late reply to the abandoned exchange cannot be
    // taken for a reply to the new one. RFC 2131 §4.1: "The 'xid' field is
    // used by the client to match incoming DHCP messages with pending
    // requests."
    m_xid = m_random();
    m_transmissions = 0;
    m_offered_address = {};
    m_server_id = {};
    send_discover(now, actions);
}

Millis Client::randomized(Millis base)
{
    // RFC 2131 §4.1 randomizes each delay by +/-1 s around 4, 8, 16... s so
    // that clients booted together by a power cut do not retransmit in
    // lockstep. Scaled down for boot, the spread is proportional instead:
    // +/-20% of the current delay.
    int offset = int(m_random() % uint32_t(2 * jitter_per_mille + 1)) - jitter_per_mille;
    return base + base * offset / 1000;
}

void Client::arm_retransmit(unsigned attempt, Millis now, Actions& actions)
{
    // RFC 2131 §4.1 gives 4 s for the first retransmission on a 10 Mb/s
    // Ethernet, then "The retransmission delay SHOULD be doubled with
    // subsequent retransmissions up to a maximum of 64 seconds." The same
    // paragraph asks for delays suited to the internetwork; a cloud NIC's
    // server answers in milliseconds and the machine is waiting to boot, so
    // metaboot starts at first_retransmit (1 s) and stops doubling at
    // max_retransmit (16 s).
    Millis base = backoff_step(m_config.first_retransmit, attempt, m_config.max_retransmit);
    // The deadline caps every wait, so the caller always wakes to fail in time.
    m_timer_at = std::min(now + randomized(base), m_config.deadline);
    actions.push_back(ArmTimer { m_timer_at });
}

Message Client::new_request(MessageType type, uint16_t secs) const
{
    Message message;
    message.op = OpCode::BootRequest;
    message.xid = m_xid;
    message.secs = secs;
    // RFC 2131 §4.1: a client that cannot receive unicast IP datagrams
    // before it has an address SHOULD set BROADCAST. The packet socket could
    // take unicast frames, but some virtual switches only deliver the reply to
    // an unconfigured guest when it is broadcast.
    message.flags = broadcast_flag;
    message.set_client_mac(m_config.mac);
    auto& options = message.options;
    options.message_type = type;
    // RFC 2132 §9.14: type 1 (Ethernet) + MAC, the identifier dnsmasq and
    // udhcpd key static leases on.
    options.client_id = client_id_for(m_config.mac);
    options.parameter_request_list.assign(std::begin(requested_options), std::end(requested_options));
    options.max_message_size = std::max(m_config.max_message_size, min_max_message_size);
    return message;
}

void Client::send_discover(Millis now, Actions& actions)
{
    set_state(State::Selecting, now, actions);
    ++m_transmissions;
    // RFC 2131 §2, table 1: 'secs' is the time since the client began
    // address acquisition, so it grows with every retransmitted DISCOVER.
    auto elapsed = std::chrono::duration_cast<std::chrono::seconds>(now - m_start).count();
    m_discover_secs = static_cast<uint16_t>(std::clamp<int64_t>(elapsed, 0, 0xffff));
    auto message = new_request(MessageType::Discover, m_discover_secs);
    // RFC 2131 §4.4.1: the client MAY suggest an address in option 50.
    message.options.requested_address = m_config.requested_address;
    // RFC 4039 §3.1: a client that can take a lease in two messages says so
    // in its DISCOVER; a server without Rapid Commit ignores the option and
    // the exchange stays at four messages.
    message.options.rapid_commit = m_config.rapid_commit;
    actions.push_back(SendPacket { encode_ipv4_udp(unspecified_address, limited_broadcast, client_port, server_port, encode_message(message)) });
    arm_retransmit(m_transmissions, now, actions);
}

void Client::send_request(Millis now, Actions& actions)
{
    ++m_transmissions;
    // RFC 2131 §3.1 step 3: the REQUEST "MUST use the same value in the DHCP
    // message header's 'secs' field and be sent to the same IP broadcast
    // address as the original DHCPDISCOVER message", so relays forward it to
    // the same servers.
    auto message = new_request(MessageType::Request, m_discover_secs);
    // RFC 2131 §4.3.2, table 4 (SELECTING): 'server identifier' MUST and
    // 'requested IP address' MUST be filled in; 'ciaddr' MUST be zero.
    message.options.server_id = m_server_id;
    message.options.requested_address = m_offered_address;
    actions.push_back(SendPacket { encode_ipv4_udp(unspecified_address, limited_broadcast, client_port, server_port, encode_message(message)) });
    arm_retransmit(m_transmissions, now, actions);
}

std::vector<Action> Client::on_timeout(Millis now)
{
    Actions actions;
    if (!m_started || m_state == State::Bound || m_state == State::Failed)
        return actions;
    if (check_deadline(now, actions))
        return actions;
    if (now < m_timer_at) {
        // Woken early: keep waiting for the timer we asked for.
        actions.push_back(ArmTimer { m_timer_at });
        return actions;
    }
    switch (m_state) {
    case State::Init:
        // Only reached after a NAK backoff.
        send_discover(now, actions);
        break;
    case State::Selecting:
        // The same xid on every retransmission, so an OFFER to an earlier
        // DISCOVER that was merely slow is still accepted.
        send_discover(now, actions);
        break;
    case State::Requesting:
        // RFC 2131 §3.1 step 5: with neither DHCPACK nor DHCPNAK "after
        // employing the retransmission algorithm, the client reverts to INIT
        // state and restarts the initialization process".
        if (m_transmissions >= max_request_transmissions) {
            actions.push_back(Note { "no answer to REQUEST; restarting discovery" });
            restart_discovery(now, actions);
        } else {
            send_request(now, actions);
        }
        break;
    case State::Bound:
    case State::Failed:
        break;
    }
    return actions;
}

std::vector<Action> Client::on_packet(ByteSpan ipv4_packet, UdpChecksum checksum, Millis now)
{
    Actions actions;
    if (!m_started || m_state == State::Bound || m_state == State::Failed) {
        actions.push_back(Note { strf("ignored packet in state %s", state_name(m_state)) });
        return actions;
    }
    if (check_deadline(now, actions))
        return actions;
    // Every malformed or foreign packet is ignored with a note, never fatal:
    // anyone on the link can send us anything.
    auto datagram = decode_ipv4_udp(ipv4_packet, checksum);
    if (!datagram) {
        actions.push_back(Note { strf("ignored packet: %s", datagram.error().message().c_str()) });
        return actions;
    }
    if (datagram->source_port != server_port) {
        actions.push_back(Note { strf("ignored packet: UDP source port %u, not 67", unsigned(datagram->source_port)) });
        return actions;
    }
    auto reply = decode_message(datagram->payload);
    if (!reply) {
        actions.push_back(Note { strf("ignored packet: %s", reply.error().message().c_str()) });
        return actions;
    }
    handle_reply(*reply, now, actions);
    return actions;
}

void Client::handle_reply(const Message& reply, Millis now, Actions& actions)
{
    if (reply.op != OpCode::BootReply) {
        actions.push_back(Note { ignored(reply, "not a BOOTREPLY") });
        return;
    }
    // RFC 2131 §4.1: the client matches replies to pending requests by xid.
    if (reply.xid != m_xid) {
        actions.push_back(Note { ignored(reply, strf("wrong xid 0x%08x, want 0x%08x", reply.xid, m_xid)) });
        return;
    }
    // Another client may have picked the same xid; the hardware address
    // tells them apart.
    if (reply.client_mac() != m_config.mac) {
        actions.push_back(Note { ignored(reply, "wrong chaddr") });
        return;
    }
    if (!reply.options.message_type) {
        actions.push_back(Note { ignored(reply, "no DHCP message type (BOOTP reply)") });
        return;
    }
    auto type = *reply.options.message_type;

    if (m_state == State::Selecting && type == MessageType::Ack && m_config.rapid_commit && reply.options.rapid_commit) {
        // RFC 4039 §3.1: the server committed the lease on our DISCOVER; the
        // ACK carries the Rapid Commit option and is checked as any ACK is.
        actions.push_back(Note { "Rapid Commit ACK" });
        bind(reply, now, actions);
        return;
    }
    if (m_state == State::Selecting || m_state == State::Init) {
        if (type != MessageType::Offer) {
            // An ACK or NAK here answers a REQUEST we never sent (or, without
            // option 80, a DISCOVER that asked for no Rapid Commit).
            actions.push_back(Note { ignored(reply, strf("no OFFER accepted yet, in %s", state_name(m_state))) });
            return;
        }
        auto lease = lease_from_message(reply);
        if (!lease) {
            actions.push_back(Note { ignored(reply, lease.error().message()) });
            return;
        }
        for (auto const& warning : reply.warnings)
            actions.push_back(Note { strf("OFFER: %s", warning.c_str()) });
        // RFC 2131 §4.4.1 lets the client pick any offer, "e.g., the first
        // DHCPOFFER message". The first usable one wins: waiting to compare
        // offers costs boot time.
        m_offered_address = lease->address.address();
        m_server_id = lease->server_id;
        m_transmissions = 0;
        actions.push_back(Note { strf("accepted OFFER of %s from %s", m_offered_address.to_string().c_str(), m_server_id.to_string().c_str()) });
        set_state(State::Requesting, now, actions);
        send_request(now, actions);
        return;
    }

    // REQUESTING.
    switch (type) {
    case MessageType::Offer:
        actions.push_back(Note { ignored(reply, strf("already requesting %s from %s", m_offered_address.to_string().c_str(), m_server_id.to_string().c_str())) });
        return;
    case MessageType::Ack:
    case MessageType::Nak:
        break;
    default:
        actions.push_back(Note { ignored(reply, "unexpected in REQUESTING") });
        return;
    }
    // RFC 2131 §3.1 step 3: servers not named in option 54 take the REQUEST
    // as a decline of their offers, so only the selected server answers; and
    // §4.3.1 table 3 makes option 54 a MUST in both DHCPACK and DHCPNAK.
    if (reply.options.server_id != m_server_id) {
        actions.push_back(Note { ignored(reply, strf("not from the selected server %s", m_server_id.to_string().c_str())) });
        return;
    }
    if (type == MessageType::Nak) {
        // RFC 2131 §3.1 step 5: "If the client receives a DHCPNAK message,
        // the client restarts the configuration process."
        ++m_naks;
        actions.push_back(Note { strf("NAK from %s; restarting discovery", m_server_id.to_string().c_str()) });
        if (m_naks == 1) {
            restart_discovery(now, actions);
            return;
        }
        // A server that NAKs every time would otherwise make us flood the
        // link at its round-trip rate; back off as for retransmissions.
        set_state(State::Init, now, actions);
        m_xid = m_random();
        m_transmissions = 0;
        m_offered_address = {};
        m_server_id = {};
        arm_retransmit(m_naks - 1, now, actions);
        return;
    }
    bind(reply, now, actions);
}

void Client::bind(const Message& ack, Millis now, Actions& actions)
{
    auto lease = lease_from_message(ack);
    if (!lease) {
        actions.push_back(Note { ignored(ack, lease.error().message()) });
        return;
    }
    for (auto const& warning : ack.warnings)
        actions.push_back(Note { strf("ACK: %s", warning.c_str()) });
    set_state(State::Bound, now, actions);
    actions.push_back(Bound { lease.release_value(), now - m_start });
}

Bytes build_release(const Lease& lease, MacAddress mac, uint32_t xid)
{
    // RFC 2131 §4.4.6 and table 5: ciaddr holds the released address, option
    // 54 names the server, 'secs' is 0, and 'requested IP address' MUST NOT
    // appear. The release is unicast, so no BROADCAST flag.
    Message message;
    message.op = OpCode::BootRequest;
    message.xid = xid;
    message.ciaddr = lease.address.address();
    message.set_client_mac(mac);
    message.options.message_type = MessageType::Release;
    message.options.server_id = lease.server_id;
    message.options.client_id = client_id_for(mac);
    return encode_message(message);
}

}
