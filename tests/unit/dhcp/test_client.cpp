// The client state machine, driven by a fake clock and fixed randomness.
#include "dhcp/client.h"
#include "helpers.h"

#include <doctest/doctest.h>

#include <deque>

using namespace mb;
using namespace mb::dhcp;
using namespace mb::dhcp::test;
using namespace std::chrono_literals;

namespace {

const MacAddress test_mac = *MacAddress::parse("02:00:00:00:00:01");
const Ipv4Address server_address(198, 18, 0, 1);
const Ipv4Address other_server(198, 18, 0, 2);
const Ipv4Address offered_address(198, 18, 0, 50);

// Returns 200 + 401 k for k = 0, 1, 2...: every value is a different xid,
// and each is 200 mod 401, which is zero jitter (see Client::randomized).
struct CountingRandom {
    uint32_t next { 0 };
    uint32_t operator()() { return 200 + 401 * next++; }
};

ClientConfig config(Millis deadline = 60000ms)
{
    ClientConfig c;
    c.mac = test_mac;
    c.deadline = deadline;
    return c;
}

template<typename T>
const T* first(const std::vector<Action>& actions)
{
    for (auto const& action : actions)
        if (auto const* found = std::get_if<T>(&action))
            return found;
    return nullptr;
}

template<typename T>
size_t count(const std::vector<Action>& actions)
{
    size_t n = 0;
    for (auto const& action : actions)
        n += std::holds_alternative<T>(action);
    return n;
}

bool has_note(const std::vector<Action>& actions, std::string_view fragment)
{
    for (auto const& action : actions)
        if (auto const* note = std::get_if<Note>(&action); note && note->text.find(fragment) != std::string::npos)
            return true;
    return false;
}

// The DHCP message inside the single SendPacket of `actions`.
Message sent(const std::vector<Action>& actions)
{
    REQUIRE(count<SendPacket>(actions) == 1);
    auto datagram = decode_ipv4_udp(first<SendPacket>(actions)->ipv4_udp_packet, UdpChecksum::Verify, server_port);
    REQUIRE(datagram.ok());
    CHECK(datagram->source == Ipv4Address());
    CHECK(datagram->destination == Ipv4Address(255, 255, 255, 255));
    CHECK(datagram->source_port == client_port);
    return decode_ok(datagram->payload);
}

Millis timer(const std::vector<Action>& actions)
{
    auto const* arm = first<ArmTimer>(actions);
    REQUIRE(arm);
    return arm->at;
}

struct Reply {
    MessageType type { MessageType::Offer };
    uint32_t xid { 0 };
    MacAddress mac { test_mac };
    Ipv4Address server { server_address };
    OpCode op { OpCode::BootReply };
    bool lease_time { true };
    bool rapid_commit { false };
};

Bytes reply_frame(const Reply& r)
{
    Message m;
    m.op = r.op;
    m.xid = r.xid;
    m.set_client_mac(r.mac);
    if (r.type != MessageType::Nak)
        m.yiaddr = offered_address;
    m.options.message_type = r.type;
    m.options.server_id = r.server;
    m.options.rapid_commit = r.rapid_commit;
    if (r.type != MessageType::Nak) {
        m.options.subnet_mask = Ipv4Address(255, 255, 255, 0);
        m.options.routers = { server_address };
        if (r.lease_time)
            m.options.lease_time = 3600s;
    }
    return encode_ipv4_udp(r.server, Ipv4Address(255, 255, 255, 255), server_port, client_port, encode_message(m));
}

std::vector<Action> deliver(Client& client, const Reply& r, Millis now)
{
    return client.on_packet(reply_frame(r), UdpChecksum::Verify, now);
}

}

TEST_CASE("start sends a broadcast DISCOVER and arms the first retransmit")
{
    Client client(config(), CountingRandom {});
    auto actions = client.start(1000ms);
    CHECK(client.state() == State::Selecting);
    CHECK(client.xid() == 200);
    auto discover = sent(actions);
    CHECK(discover.op == OpCode::BootRequest);
    CHECK(discover.xid == client.xid());
    CHECK(discover.secs == 0);
    CHECK(discover.flags == broadcast_flag);
    CHECK(discover.ciaddr == Ipv4Address());
    CHECK(discover.client_mac() == test_mac);
    auto const& o = discover.options;
    CHECK(o.message_type == MessageType::Discover);
    CHECK(o.client_id == Bytes { 1, 2, 0, 0, 0, 0, 1 });
    CHECK(o.max_message_size == 1500);
    CHECK_FALSE(o.requested_address);
    CHECK_FALSE(o.server_id);
    CHECK(o.rapid_commit);
    for (uint8_t wanted : { 1, 3, 6, 12, 15, 26, 28, 51, 54, 58, 59, 119, 121 })
        CHECK(std::find(o.parameter_request_list.begin(), o.parameter_request_list.end(), wanted) != o.parameter_request_list.end());
    CHECK(timer(actions) == 2000ms);
    CHECK(client.transitions() == std::vector<Transition> { { State::Init, State::Selecting, 1000ms } });

    SUBCASE("a requested address goes into option 50; a tiny max size is raised to 576") {
        auto c = config();
        c.requested_address = offered_address;
        c.max_message_size = 300;
        Client suggesting(c, CountingRandom {});
        auto d = sent(suggesting.start(0ms));
        CHECK(d.options.requested_address == offered_address);
        CHECK(d.options.max_message_size == 576);
    }
}

TEST_CASE("DISCOVER backoff: 1, 2, 4, 8, 16, 16 s; same xid; secs grows; capped by the deadline")
{
    Client client(config(40000ms), CountingRandom {});
    auto actions = client.start(0ms);
    uint32_t xid = client.xid();
    const struct {
        Millis fire;
        Millis next;
        uint16_t secs;
    } schedule[] = {
        { 1000ms, 3000ms, 1 },
        { 3000ms, 7000ms, 3 },
        { 7000ms, 15000ms, 7 },
        { 15000ms, 31000ms, 15 },
        { 31000ms, 40000ms, 31 }, // 16 s would be 47 s: the deadline caps it
    };
    Millis at = timer(actions);
    for (auto const& step : schedule) {
        CAPTURE(step.fire.count());
        CHECK(at == step.fire);
        actions = client.on_timeout(at);
        auto discover = sent(actions);
        CHECK(discover.xid == xid);
        CHECK(discover.secs == step.secs);
        at = timer(actions);
        CHECK(at == step.next);
    }
    actions = client.on_timeout(40000ms);
    CHECK(client.state() == State::Failed);
    auto const* failed = first<Failed>(actions);
    REQUIRE(failed);
    CHECK(failed->error.kind() == ErrorKind::Timeout);
    CHECK(count<SendPacket>(actions) == 0);
    // Terminal: nothing more happens.
    CHECK(client.on_timeout(50000ms).empty());
    CHECK(has_note(client.on_packet(reply_frame({ .xid = xid }), UdpChecksum::Verify, 50000ms), "ignored packet in state FAILED"));
}

TEST_CASE("the delay doubles to max_retransmit and stays there")
{
    auto c = config(1000000ms);
    c.first_retransmit = 500ms;
    c.max_retransmit = 3000ms;
    Client client(c, CountingRandom {});
    Millis at = timer(client.start(0ms));
    std::vector<Millis> delays;
    Millis previous = 0ms;
    for (int k = 0; k < 6; ++k) {
        delays.push_back(at - previous);
        previous = at;
        at = timer(client.on_timeout(at));
    }
    CHECK(delays == std::vector<Millis> { 500ms, 1000ms, 2000ms, 3000ms, 3000ms, 3000ms });
}

TEST_CASE("retransmit jitter stays within +/-20%")
{
    for (uint32_t r : { 0u, 400u, 100u, 401u * 7 + 399u }) {
        CAPTURE(r);
        Client client(config(), [r] { return r; });
        auto at = timer(client.start(0ms));
        int offset = int(r % 401) - 200;
        CHECK(at == Millis(1000 + 1000 * offset / 1000));
        CHECK(at >= 800ms);
        CHECK(at <= 1200ms);
    }
}

TEST_CASE("a start at or after the deadline fails at once")
{
    Client client(config(5000ms), CountingRandom {});
    auto actions = client.start(5000ms);
    CHECK(client.state() == State::Failed);
    REQUIRE(first<Failed>(actions));
    CHECK(first<Failed>(actions)->error.kind() == ErrorKind::Timeout);
    CHECK(count<SendPacket>(actions) == 0);
}

TEST_CASE("a packet at the deadline fails instead of being processed")
{
    Client client(config(5000ms), CountingRandom {});
    (void)client.start(0ms);
    auto actions = deliver(client, { .xid = client.xid() }, 5000ms);
    CHECK(client.state() == State::Failed);
    CHECK(first<Failed>(actions));
}

TEST_CASE("an early wake re-arms the same timer")
{
    Client client(config(), CountingRandom {});
    (void)client.start(0ms);
    auto actions = client.on_timeout(400ms);
    CHECK(count<SendPacket>(actions) == 0);
    CHECK(timer(actions) == 1000ms);
}

TEST_CASE("replies that are not ours are ignored with a note")
{
    Client client(config(), CountingRandom {});
    (void)client.start(0ms);
    uint32_t xid = client.xid();

    struct Case {
        const char* what;
        Bytes frame;
        const char* note;
    };
    Bytes garbage = { 0x45, 0x00, 0x00 };
    auto wrong_port = encode_ipv4_udp(server_address, Ipv4Address(255, 255, 255, 255), 1067, 68, Bytes(300, 0));
    auto not_dhcp = encode_ipv4_udp(server_address, Ipv4Address(255, 255, 255, 255), 67, 68, Bytes(100, 0));
    Message bootp;
    bootp.op = OpCode::BootReply;
    bootp.xid = xid;
    bootp.set_client_mac(test_mac);
    auto bootp_frame = encode_ipv4_udp(server_address, Ipv4Address(255, 255, 255, 255), 67, 68, encode_message(bootp));
    const Case cases[] = {
        { "garbage", garbage, "ignored packet: shorter than an IPv4 header" },
        { "wrong source port", wrong_port, "UDP source port 1067" },
        { "not a DHCP message", not_dhcp, "ignored packet: DHCP message shorter" },
        { "wrong xid", reply_frame({ .xid = xid + 1 }), "ignored OFFER: wrong xid" },
        { "wrong chaddr", reply_frame({ .xid = xid, .mac = *MacAddress::parse("02:00:00:00:00:02") }), "ignored OFFER: wrong chaddr" },
        { "a BOOTREQUEST", reply_frame({ .xid = xid, .op = OpCode::BootRequest }), "not a BOOTREPLY" },
        { "a BOOTP reply without option 53", bootp_frame, "no DHCP message type" },
        { "an ACK without an OFFER", reply_frame({ .type = MessageType::Ack, .xid = xid }), "ignored ACK: no OFFER accepted yet" },
        { "a NAK without an OFFER", reply_frame({ .type = MessageType::Nak, .xid = xid }), "ignored NAK: no OFFER accepted yet" },
        { "an OFFER without a lease time", reply_frame({ .xid = xid, .lease_time = false }), "no lease time" },
    };
    for (auto const& c : cases) {
        std::string what = c.what;
        CAPTURE(what);
        auto actions = client.on_packet(c.frame, UdpChecksum::Verify, 100ms);
        CHECK(actions.size() == 1);
        CHECK_MESSAGE(has_note(actions, c.note), (first<Note>(actions) ? first<Note>(actions)->text : "(no note)"));
        CHECK(client.state() == State::Selecting);
        CHECK(client.xid() == xid);
    }
}

TEST_CASE("OFFER -> REQUEST -> ACK binds")
{
    Client client(config(), CountingRandom {});
    (void)client.start(0ms);
    uint32_t xid = client.xid();
    // A retransmitted DISCOVER at 1 s carries secs 1; the REQUEST repeats it
    // (RFC 2131 §3.1 step 3) even when sent later.
    (void)client.on_timeout(1000ms);

    auto actions = deliver(client, { .xid = xid }, 2500ms);
    CHECK(client.state() == State::Requesting);
    auto request = sent(actions);
    CHECK(request.xid == xid);
    CHECK(request.secs == 1);
    CHECK(request.flags == broadcast_flag);
    CHECK(request.ciaddr == Ipv4Address());
    CHECK(request.options.message_type == MessageType::Request);
    CHECK(request.options.server_id == server_address);
    CHECK(request.options.requested_address == offered_address);
    CHECK(request.options.client_id == Bytes { 1, 2, 0, 0, 0, 0, 1 });
    CHECK(timer(actions) == 3500ms); // the backoff starts over for REQUEST

    SUBCASE("a second OFFER, from anyone, is ignored") {
        auto late = deliver(client, { .xid = xid, .server = other_server }, 2600ms);
        CHECK(has_note(late, "ignored OFFER: already requesting 198.18.0.50 from 198.18.0.1"));
        CHECK(count<SendPacket>(late) == 0);
        CHECK(client.state() == State::Requesting);
    }
    SUBCASE("an ACK from another server is ignored") {
        auto other = deliver(client, { .type = MessageType::Ack, .xid = xid, .server = other_server }, 2600ms);
        CHECK(has_note(other, "not from the selected server"));
        CHECK(client.state() == State::Requesting);
    }

    actions = deliver(client, { .type = MessageType::Ack, .xid = xid }, 2700ms);
    CHECK(client.state() == State::Bound);
    auto const* bound = first<Bound>(actions);
    REQUIRE(bound);
    CHECK(bound->elapsed == 2700ms);
    CHECK(bound->lease.address == Ipv4Prefix(offered_address, 24));
    CHECK(bound->lease.server_id == server_address);
    CHECK(bound->lease.routers == std::vector { server_address });
    CHECK(bound->lease.lease_time == 3600s);
    CHECK(client.transitions() == std::vector<Transition> {
        { State::Init, State::Selecting, 0ms },
        { State::Selecting, State::Requesting, 2500ms },
        { State::Requesting, State::Bound, 2700ms },
    });
    // Terminal.
    CHECK(client.on_timeout(3500ms).empty());
    CHECK(has_note(deliver(client, { .type = MessageType::Ack, .xid = xid }, 2800ms), "ignored packet in state BOUND"));
}

TEST_CASE("Rapid Commit (RFC 4039): an ACK with option 80 to the DISCOVER binds in two messages")
{
    Client client(config(), CountingRandom {});
    (void)client.start(0ms);
    uint32_t xid = client.xid();

    SUBCASE("an ACK without option 80 is not taken for one") {
        auto plain = deliver(client, { .type = MessageType::Ack, .xid = xid }, 100ms);
        CHECK(has_note(plain, "ignored ACK: no OFFER accepted yet, in SELECTING"));
        CHECK(client.state() == State::Selecting);
    }
    SUBCASE("a Rapid Commit ACK that is no lease is ignored as any ACK would be") {
        auto bad = deliver(client, { .type = MessageType::Ack, .xid = xid, .lease_time = false, .rapid_commit = true }, 100ms);
        CHECK(client.state() == State::Selecting);
        CHECK(count<Bound>(bad) == 0);
    }
    SUBCASE("a NAK with option 80 is no lease") {
        auto nak = deliver(client, { .type = MessageType::Nak, .xid = xid, .rapid_commit = true }, 100ms);
        CHECK(client.state() == State::Selecting);
        CHECK(count<Bound>(nak) == 0);
    }

    auto actions = deliver(client, { .type = MessageType::Ack, .xid = xid, .rapid_commit = true }, 300ms);
    CHECK(client.state() == State::Bound);
    CHECK(count<SendPacket>(actions) == 0); // no REQUEST: two messages in all
    CHECK(has_note(actions, "Rapid Commit ACK"));
    auto const* bound = first<Bound>(actions);
    REQUIRE(bound);
    CHECK(bound->lease.address == Ipv4Prefix(offered_address, 24));
    CHECK(bound->lease.server_id == server_address);
    CHECK(client.transitions() == std::vector<Transition> {
        { State::Init, State::Selecting, 0ms },
        { State::Selecting, State::Bound, 300ms },
    });
}

TEST_CASE("Rapid Commit off: no option 80, and an ACK with it is still ignored in SELECTING")
{
    auto c = config();
    c.rapid_commit = false;
    Client client(c, CountingRandom {});
    CHECK_FALSE(sent(client.start(0ms)).options.rapid_commit);
    auto actions = deliver(client, { .type = MessageType::Ack, .xid = client.xid(), .rapid_commit = true }, 100ms);
    CHECK(client.state() == State::Selecting);
    CHECK(count<Bound>(actions) == 0);
}

TEST_CASE("a NAK in REQUESTING restarts discovery with a new xid, then backs off")
{
    Client client(config(), CountingRandom {});
    (void)client.start(0ms);
    uint32_t first_xid = client.xid();
    (void)deliver(client, { .xid = first_xid }, 100ms);
    REQUIRE(client.state() == State::Requesting);

    SUBCASE("a NAK from another server is ignored") {
        auto actions = deliver(client, { .type = MessageType::Nak, .xid = first_xid, .server = other_server }, 200ms);
        CHECK(has_note(actions, "not from the selected server"));
        CHECK(client.state() == State::Requesting);
    }

    auto actions = deliver(client, { .type = MessageType::Nak, .xid = first_xid }, 200ms);
    CHECK(has_note(actions, "NAK from 198.18.0.1"));
    CHECK(client.state() == State::Selecting);
    CHECK(client.xid() != first_xid);
    auto discover = sent(actions);
    CHECK(discover.xid == client.xid());
    CHECK(timer(actions) == 1200ms);
    // A late reply to the abandoned exchange no longer matches.
    CHECK(has_note(deliver(client, { .type = MessageType::Ack, .xid = first_xid }, 300ms), "wrong xid"));

    // A second NAK waits before discovering again, so a server that NAKs
    // everything cannot make us flood the link.
    (void)deliver(client, { .xid = client.xid() }, 400ms);
    REQUIRE(client.state() == State::Requesting);
    uint32_t second_xid = client.xid();
    actions = deliver(client, { .type = MessageType::Nak, .xid = second_xid }, 500ms);
    CHECK(client.state() == State::Init);
    CHECK(count<SendPacket>(actions) == 0);
    CHECK(timer(actions) == 1500ms);
    actions = client.on_timeout(1500ms);
    CHECK(client.state() == State::Selecting);
    CHECK(sent(actions).xid == client.xid());
    CHECK(client.xid() != second_xid);
}

TEST_CASE("unanswered REQUESTs fall back to INIT after three tries")
{
    Client client(config(), CountingRandom {});
    (void)client.start(0ms);
    uint32_t xid = client.xid();
    auto actions = deliver(client, { .xid = xid }, 100ms);
    REQUIRE(client.state() == State::Requesting);
    Millis at = timer(actions); // 1.1 s
    CHECK(at == 1100ms);
    actions = client.on_timeout(at);
    CHECK(sent(actions).options.message_type == MessageType::Request);
    at = timer(actions);
    CHECK(at == 3100ms);
    actions = client.on_timeout(at);
    CHECK(sent(actions).options.message_type == MessageType::Request);
    at = timer(actions);
    CHECK(at == 7100ms);
    actions = client.on_timeout(at);
    CHECK(has_note(actions, "no answer to REQUEST"));
    auto discover = sent(actions);
    CHECK(discover.options.message_type == MessageType::Discover);
    CHECK(discover.xid != xid);
    CHECK(discover.secs == 7);
    CHECK(client.state() == State::Selecting);
    CHECK(timer(actions) == 8100ms);
}

TEST_CASE("secs saturates at 65535")
{
    Client client(config(Millis(100'000'000)), CountingRandom {});
    (void)client.start(0ms);
    auto discover = sent(client.on_timeout(Millis(70'000'000)));
    CHECK(discover.secs == 65535);
}

TEST_CASE("build_release: unicast RELEASE with ciaddr, server id and client id")
{
    Lease lease;
    lease.address = Ipv4Prefix(offered_address, 24);
    lease.server_id = server_address;
    auto release = decode_ok(build_release(lease, test_mac, 0x1234));
    CHECK(release.op == OpCode::BootRequest);
    CHECK(release.xid == 0x1234u);
    CHECK(release.ciaddr == offered_address);
    CHECK(release.flags == 0);
    CHECK(release.secs == 0);
    CHECK(release.client_mac() == test_mac);
    CHECK(release.options.message_type == MessageType::Release);
    CHECK(release.options.server_id == server_address);
    CHECK(release.options.client_id == Bytes { 1, 2, 0, 0, 0, 0, 1 });
    CHECK_FALSE(release.options.requested_address);
}

TEST_CASE("state names")
{
    CHECK(std::string(state_name(State::Init)) == "INIT");
    CHECK(std::string(state_name(State::Requesting)) == "REQUESTING");
    CHECK(std::string(message_type_name(MessageType::Nak)) == "NAK");
}
