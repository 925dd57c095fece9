// The client state machine's rarer paths, each with the exact note it
// leaves (issue 19 item 4): a second start(), decoding warnings on the OFFER
// and the ACK, and message types that have no place in REQUESTING.
#include "dhcp/client.h"
#include "helpers.h"

#include <doctest/doctest.h>

using namespace mb;
using namespace mb::dhcp;
using namespace mb::dhcp::test;
using namespace std::chrono_literals;

namespace {

const MacAddress test_mac = *MacAddress::parse("02:00:00:00:00:01");
const Ipv4Address server_address(198, 18, 0, 1);

// As in test_client.cpp: distinct xids, zero jitter.
struct CountingRandom {
    uint32_t next { 0 };
    uint32_t operator()() { return 200 + 401 * next++; }
};

Client make_client()
{
    ClientConfig c;
    c.mac = test_mac;
    c.deadline = 60000ms;
    return Client(c, CountingRandom {});
}

// A reply of `type` for `xid`; with `drop_end` its End option is turned into
// a Pad, which the decoder tolerates with the warning "options: no End
// option".
Bytes reply_frame(MessageType type, uint32_t xid, bool drop_end = false)
{
    Message m;
    m.op = OpCode::BootReply;
    m.xid = xid;
    m.set_client_mac(test_mac);
    m.yiaddr = Ipv4Address(198, 18, 0, 50);
    m.options.message_type = type;
    m.options.server_id = server_address;
    m.options.subnet_mask = Ipv4Address(255, 255, 255, 0);
    m.options.lease_time = 3600s;
    auto payload = encode_message(m);
    if (drop_end) {
        auto end = std::find_if(payload.rbegin(), payload.rend(), [](uint8_t b) { return b != 0; });
        REQUIRE(*end == 255);
        *end = 0;
    }
    return encode_ipv4_udp(server_address, Ipv4Address(255, 255, 255, 255), server_port, client_port, payload);
}

std::vector<std::string> notes(const std::vector<Action>& actions)
{
    std::vector<std::string> out;
    for (auto const& action : actions)
        if (auto const* note = std::get_if<Note>(&action))
            out.push_back(note->text);
    return out;
}

size_t sends(const std::vector<Action>& actions)
{
    return size_t(std::count_if(actions.begin(), actions.end(), [](auto const& a) { return std::holds_alternative<SendPacket>(a); }));
}

}

TEST_CASE("client edges: a second start() is a note and nothing else")
{
    auto client = make_client();
    (void)client.start(0ms);
    uint32_t xid = client.xid();
    auto again = client.start(500ms);
    CHECK(notes(again) == std::vector<std::string> { "start() called twice; ignored" });
    CHECK(again.size() == 1);
    CHECK(client.xid() == xid);
    CHECK(client.state() == State::Selecting);
}

TEST_CASE("client edges: an OFFER's and an ACK's decoding warnings are passed on as notes, and the lease still binds")
{
    auto client = make_client();
    (void)client.start(0ms);
    uint32_t xid = client.xid();
    auto offered = client.on_packet(reply_frame(MessageType::Offer, xid, true), UdpChecksum::Verify, 100ms);
    auto offer_notes = notes(offered);
    REQUIRE_FALSE(offer_notes.empty());
    CHECK(offer_notes[0] == "OFFER: options: no End option");
    CHECK(client.state() == State::Requesting);
    CHECK(sends(offered) == 1);

    auto acked = client.on_packet(reply_frame(MessageType::Ack, xid, true), UdpChecksum::Verify, 200ms);
    auto ack_notes = notes(acked);
    REQUIRE_FALSE(ack_notes.empty());
    CHECK(ack_notes[0] == "ACK: options: no End option");
    CHECK(client.state() == State::Bound);
}

TEST_CASE("client edges: in REQUESTING, a reply that is neither OFFER, ACK nor NAK is ignored with a note")
{
    const std::pair<MessageType, const char*> cases[] = {
        { MessageType::Discover, "ignored DISCOVER: unexpected in REQUESTING" },
        { MessageType::Request, "ignored REQUEST: unexpected in REQUESTING" },
        { MessageType::Decline, "ignored DECLINE: unexpected in REQUESTING" },
        { MessageType::Release, "ignored RELEASE: unexpected in REQUESTING" },
        { MessageType::Inform, "ignored INFORM: unexpected in REQUESTING" },
    };
    for (auto const& [type, note] : cases) {
        INFO(std::string(note));
        auto client = make_client();
        (void)client.start(0ms);
        uint32_t xid = client.xid();
        (void)client.on_packet(reply_frame(MessageType::Offer, xid), UdpChecksum::Verify, 100ms);
        REQUIRE(client.state() == State::Requesting);
        auto actions = client.on_packet(reply_frame(type, xid), UdpChecksum::Verify, 200ms);
        CHECK(notes(actions) == std::vector<std::string> { note });
        CHECK(actions.size() == 1);
        CHECK(client.state() == State::Requesting);
    }
}
