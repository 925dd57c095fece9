// libFuzzer target for the client state machine: the input is the DHCP
// payload of a reply (wrapped here in a valid IPv4/UDP frame from port 67),
// fed to a client in SELECTING and to one in REQUESTING. The random source is
// constant, so the xid is 0x6d620001 and the fuzzer can match it. Whatever
// arrives, the client must not abort, and its actions must agree with its
// state.
#include "dhcp/client.h"

#include <cstddef>
#include <cstdint>

namespace {

using namespace mb;
using namespace mb::dhcp;
using namespace std::chrono_literals;

constexpr uint32_t fixed_xid = 0x6d620001;
const MacAddress test_mac({ 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 });
const Ipv4Address server_address(198, 18, 0, 1);

Bytes frame(ByteSpan payload)
{
    return encode_ipv4_udp(server_address, Ipv4Address(255, 255, 255, 255), server_port, client_port, payload);
}

void check(const Client& client, const std::vector<Action>& actions)
{
    for (auto const& action : actions) {
        if (std::holds_alternative<Bound>(action) && client.state() != State::Bound)
            __builtin_trap();
        if (std::holds_alternative<Failed>(action) && client.state() != State::Failed)
            __builtin_trap();
        if (auto const* send = std::get_if<SendPacket>(&action)) {
            if (!decode_ipv4_udp(send->ipv4_udp_packet, UdpChecksum::Verify, server_port))
                __builtin_trap();
        }
    }
}

Client new_client()
{
    ClientConfig config;
    config.mac = test_mac;
    config.deadline = 60000ms;
    return Client(config, [] { return fixed_xid; });
}

}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    auto packet = frame(ByteSpan(data, size));

    auto selecting = new_client();
    (void)selecting.start(0ms);
    check(selecting, selecting.on_packet(packet, UdpChecksum::Verify, 10ms));
    check(selecting, selecting.on_packet(packet, UdpChecksum::Verify, 20ms));

    auto requesting = new_client();
    (void)requesting.start(0ms);
    Message offer;
    offer.op = OpCode::BootReply;
    offer.xid = fixed_xid;
    offer.yiaddr = Ipv4Address(198, 18, 0, 50);
    offer.set_client_mac(test_mac);
    offer.options.message_type = MessageType::Offer;
    offer.options.server_id = server_address;
    offer.options.lease_time = std::chrono::seconds(3600);
    (void)requesting.on_packet(frame(encode_message(offer)), UdpChecksum::Verify, 10ms);
    if (requesting.state() != State::Requesting)
        __builtin_trap();
    check(requesting, requesting.on_packet(packet, UdpChecksum::Verify, 20ms));
    check(requesting, requesting.on_timeout(1200ms));
    return 0;
}
