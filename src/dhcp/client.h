// The DHCPv4 client as a state machine without I/O (STYLE.md habit 6). The
// caller owns the socket and the clock: it feeds received frames and timer
// expiries in, and carries out the actions that come back. Clock and
// randomness are injected so tests drive it with a fake clock.
#pragma once

#include "common/address.h"
#include "common/bytes.h"
#include "common/result.h"
#include "dhcp/ipv4_udp.h"
#include "dhcp/lease.h"
#include "dhcp/message.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace mb::dhcp {

// Monotonic milliseconds (std::chrono::steady_clock, CLOCK_MONOTONIC, in
// cli/), supplied by the caller.
using Millis = std::chrono::milliseconds;

// RFC 2131 §4.4 figure 5, cut down to what an initramfs needs: no INIT-REBOOT,
// no renewal; and RFC 4039's Rapid Commit, SELECTING straight to BOUND on an
// ACK to the DISCOVER. Bound and Failed are terminal.
enum class State {
    Init,
    Selecting,
    Requesting,
    Bound,
    Failed,
};

const char* state_name(State state); // "INIT", "SELECTING", ...

struct ClientConfig {
    MacAddress mac;
    Millis first_retransmit { 1000 };
    Millis max_retransmit { 16000 };
    Millis deadline { 0 }; // absolute, on the caller's clock
    std::optional<Ipv4Address> requested_address;
    uint16_t max_message_size { 1500 };
    // RFC 4039: ask for the two-message exchange (option 80 in DISCOVER).
    bool rapid_commit { true };
};

// A frame for the AF_PACKET SOCK_DGRAM socket, from 0.0.0.0:68 to
// 255.255.255.255:67; send it to the Ethernet broadcast address.
struct SendPacket {
    Bytes ipv4_udp_packet;
};
// Replaces any timer armed before; call on_timeout() at `at`. Actions without
// an ArmTimer leave the current timer as it was.
struct ArmTimer {
    Millis at;
};
struct Bound {
    Lease lease;
    Millis elapsed; // since start()
};
struct Failed {
    Error error;
};
// A debug line for the log: why a packet was ignored, a state change.
struct Note {
    std::string text;
};
using Action = std::variant<SendPacket, ArmTimer, Bound, Failed, Note>;

struct Transition {
    State from;
    State to;
    Millis at;

    bool operator==(const Transition&) const = default;
};

// Options metaboot asks for in option 55. dnsmasq sends 121 (classless
// routes) and 26 (MTU) only when asked.
inline constexpr uint8_t requested_options[] = { 1, 3, 6, 12, 15, 26, 28, 51, 54, 58, 59, 119, 121 };
// In REQUESTING, how many REQUESTs go out before discovery starts over.
inline constexpr unsigned max_request_transmissions = 3;

class Client {
public:
    Client(ClientConfig config, std::function<uint32_t()> random);

    std::vector<Action> start(Millis now);
    std::vector<Action> on_packet(ByteSpan ipv4_packet, UdpChecksum checksum, Millis now);
    std::vector<Action> on_timeout(Millis now);

    State state() const { return m_state; }
    uint32_t xid() const { return m_xid; }
    const std::vector<Transition>& transitions() const { return m_transitions; }

private:
    using Actions = std::vector<Action>;

    void set_state(State state, Millis now, Actions& actions);
    void fail(Error error, Millis now, Actions& actions);
    bool check_deadline(Millis now, Actions& actions);
    void restart_discovery(Millis now, Actions& actions);
    void send_discover(Millis now, Actions& actions);
    void send_request(Millis now, Actions& actions);
    // Arms the timer for the attempt-th wait (1-based) of the backoff.
    void arm_retransmit(unsigned attempt, Millis now, Actions& actions);
    Millis randomized(Millis base);
    Message new_request(MessageType type, uint16_t secs) const;
    void handle_reply(const Message& reply, Millis now, Actions& actions);
    // An ACK's lease, checked: BOUND, or the ACK ignored with a note.
    void bind(const Message& ack, Millis now, Actions& actions);

    ClientConfig m_config;
    std::function<uint32_t()> m_random;
    State m_state { State::Init };
    bool m_started { false };
    Millis m_start { 0 };
    uint32_t m_xid { 0 };
    unsigned m_transmissions { 0 }; // of the current DISCOVER or REQUEST
    unsigned m_naks { 0 };
    Millis m_timer_at { 0 };
    uint16_t m_discover_secs { 0 };
    Ipv4Address m_offered_address;
    Ipv4Address m_server_id;
    std::vector<Transition> m_transitions;
};

// Option 61 as metaboot sends it: type 1 (Ethernet, RFC 2132 §9.14) + MAC.
Bytes client_id_for(MacAddress mac);

// The DHCPRELEASE payload (RFC 2131 §4.4.6) for --release, to be sent as
// plain UDP unicast to lease.server_id:67 while the address is still
// configured.
Bytes build_release(const Lease& lease, MacAddress mac, uint32_t xid);

}
