// Real frames from dnsmasq 2.90 and busybox 1.35 udhcpd/udhcpc, captured in
// test namespaces by tests/fixtures/dhcp/capture.py (see its README).
#include "dhcp/ipv4_udp.h"
#include "dhcp/lease.h"
#include "dhcp/message.h"
#include "helpers.h"

#include <doctest/doctest.h>

using namespace mb;
using namespace mb::dhcp;
using namespace mb::dhcp::test;
using namespace std::chrono_literals;

namespace {

#include "../../fixtures/dhcp/captures.inc"

const MacAddress expected_client_mac = *MacAddress::parse("02:00:00:00:00:01");
const Ipv4Address server_address(198, 18, 0, 1);

struct Decoded {
    UdpDatagram datagram;
    Message message;
};

Decoded decode_capture(ByteSpan frame, bool offloaded, uint16_t port)
{
    auto datagram = decode_ipv4_udp(frame, offloaded ? UdpChecksum::Offloaded : UdpChecksum::Verify, port);
    REQUIRE_MESSAGE(datagram.ok(), (datagram.ok() ? "" : datagram.error().message()));
    auto message = decode_message(datagram->payload);
    REQUIRE_MESSAGE(message.ok(), (message.ok() ? "" : message.error().message()));
    CHECK(message->warnings.empty());
    // Whatever we decode re-encodes to something that decodes the same.
    CHECK(decode_ok(encode_message(*message)) == *message);
    return { datagram.release_value(), message.release_value() };
}

void check_client_frame(const Decoded& d, MessageType type)
{
    CHECK(d.datagram.source == Ipv4Address());
    CHECK(d.datagram.destination == Ipv4Address(255, 255, 255, 255));
    CHECK(d.datagram.source_port == 68);
    CHECK(d.message.op == OpCode::BootRequest);
    CHECK(d.message.client_mac() == expected_client_mac);
    auto const& o = d.message.options;
    CHECK(o.message_type == type);
    CHECK(o.client_id == Bytes { 1, 2, 0, 0, 0, 0, 1 });
    CHECK(o.max_message_size == 576);
    CHECK(o.parameter_request_list == std::vector<uint8_t> { 1, 3, 6, 12, 15, 26, 28, 42, 119, 121 });
    CHECK(o.other.count(60) == 1); // vendor class "udhcp 1.35.0"
    if (type == MessageType::Request) {
        CHECK(o.server_id == server_address);
        CHECK(o.requested_address == Ipv4Address(198, 18, 0, 50));
    }
}

// What both servers were configured to hand out.
void check_lease(const Lease& lease)
{
    CHECK(lease.address == Ipv4Prefix(Ipv4Address(198, 18, 0, 50), 24));
    CHECK(lease.server_id == server_address);
    CHECK(lease.lease_time == 3600s);
    CHECK(lease.renewal_time == 1800s);
    CHECK(lease.rebinding_time == 3150s);
    CHECK(lease.routers == std::vector { server_address });
    CHECK(lease.dns_servers == std::vector { server_address });
    CHECK(lease.mtu == 9001);
    CHECK(lease.hostname == "guest1");
    CHECK(lease.domain_name == "metaboot.test");
    CHECK(lease.search_domains == std::vector<std::string> { "metaboot.test", "example.test" });
    CHECK(lease.classless_routes == std::vector<ClasslessRoute> {
        { Ipv4Prefix(Ipv4Address(198, 19, 0, 0), 16), server_address },
        { Ipv4Prefix(Ipv4Address(), 0), server_address },
    });
}

}

TEST_CASE("dnsmasq captures")
{
    auto discover = decode_capture(dnsmasq_discover, dnsmasq_discover_offloaded, 67);
    check_client_frame(discover, MessageType::Discover);
    auto request = decode_capture(dnsmasq_request, dnsmasq_request_offloaded, 67);
    check_client_frame(request, MessageType::Request);
    CHECK(request.message.xid == discover.message.xid);

    for (auto [frame, offloaded, type] : { std::tuple { ByteSpan(dnsmasq_offer), dnsmasq_offer_offloaded, MessageType::Offer },
             std::tuple { ByteSpan(dnsmasq_ack), dnsmasq_ack_offloaded, MessageType::Ack } }) {
        std::string type_name = message_type_name(type);
        CAPTURE(type_name);
        // dnsmasq answers from a UDP socket; over veth the checksum is left
        // to offload, which the kernel flags with TP_STATUS_CSUMNOTREADY.
        CHECK(offloaded);
        CHECK(decode_ipv4_udp(frame, UdpChecksum::Verify).is_error());
        auto reply = decode_capture(frame, offloaded, 68);
        CHECK(reply.datagram.source == server_address);
        CHECK(reply.datagram.destination == Ipv4Address(198, 18, 0, 50)); // unicast: udhcpc sets no broadcast flag
        CHECK(reply.message.op == OpCode::BootReply);
        CHECK(reply.message.xid == discover.message.xid);
        CHECK(reply.message.client_mac() == expected_client_mac);
        CHECK(reply.message.options.message_type == type);
        CHECK(reply.message.options.broadcast == Ipv4Address(198, 18, 0, 255));
        auto lease = lease_from_message(reply.message);
        REQUIRE(lease.ok());
        check_lease(*lease);
        CHECK(lease->broadcast == Ipv4Address(198, 18, 0, 255));
    }

    auto nak = decode_capture(dnsmasq_nak, dnsmasq_nak_offloaded, 68);
    CHECK(nak.message.options.message_type == MessageType::Nak);
    CHECK(nak.message.xid == 0x6d620001u); // the injected INIT-REBOOT REQUEST's
    CHECK(nak.message.options.server_id == server_address);
    CHECK(nak.message.yiaddr == Ipv4Address());
    CHECK(nak.message.options.other.count(56) == 1); // "message" text, kept raw
    CHECK(lease_from_message(nak.message).is_error());
}

TEST_CASE("busybox udhcpd captures")
{
    auto discover = decode_capture(udhcpd_discover, udhcpd_discover_offloaded, 67);
    check_client_frame(discover, MessageType::Discover);
    auto request = decode_capture(udhcpd_request, udhcpd_request_offloaded, 67);
    check_client_frame(request, MessageType::Request);

    for (auto [frame, offloaded, type] : { std::tuple { ByteSpan(udhcpd_offer), udhcpd_offer_offloaded, MessageType::Offer },
             std::tuple { ByteSpan(udhcpd_ack), udhcpd_ack_offloaded, MessageType::Ack } }) {
        std::string type_name = message_type_name(type);
        CAPTURE(type_name);
        // udhcpd writes its replies through a raw socket with the checksum
        // computed, so it is verified here.
        CHECK_FALSE(offloaded);
        auto reply = decode_capture(frame, offloaded, 68);
        CHECK(reply.datagram.source == server_address);
        CHECK(reply.datagram.destination == Ipv4Address(255, 255, 255, 255));
        CHECK(reply.message.xid == discover.message.xid);
        CHECK(reply.message.options.message_type == type);
        // udhcpd sends no T1/T2 (58, 59) and no broadcast (28): the lease
        // falls back to RFC 2131 §4.4.5's 0.5 and 0.875 of the lease time.
        CHECK_FALSE(reply.message.options.renewal_time);
        CHECK_FALSE(reply.message.options.broadcast);
        auto lease = lease_from_message(reply.message);
        REQUIRE(lease.ok());
        check_lease(*lease);
        CHECK_FALSE(lease->broadcast);
    }

    auto nak = decode_capture(udhcpd_nak, udhcpd_nak_offloaded, 68);
    CHECK(nak.message.options.message_type == MessageType::Nak);
    CHECK(nak.message.xid == 0x6d620001u);
    CHECK(nak.message.options.server_id == server_address);
}

TEST_CASE("every capture survives every truncation and single-bit flip without aborting")
{
    const std::initializer_list<ByteSpan> frames = { dnsmasq_discover, dnsmasq_offer, dnsmasq_request, dnsmasq_ack, dnsmasq_nak,
        udhcpd_discover, udhcpd_offer, udhcpd_request, udhcpd_ack, udhcpd_nak };
    size_t decoded = 0;
    for (auto frame : frames) {
        for (size_t length = 0; length <= frame.size(); ++length) {
            auto datagram = decode_ipv4_udp(frame.first(length), UdpChecksum::Offloaded, frame[23]);
            if (datagram)
                decoded += decode_message(datagram->payload).ok();
        }
        Bytes copy(frame.begin(), frame.end());
        for (size_t bit = 28 * 8; bit < copy.size() * 8; ++bit) {
            copy[bit / 8] ^= uint8_t(1u << (bit % 8));
            auto message = decode_message(ByteSpan(copy).subspan(28));
            if (message) {
                auto expected = message.release_value();
                expected.warnings.clear();
                CHECK(decode_ok(encode_message(expected)) == expected);
            }
            copy[bit / 8] ^= uint8_t(1u << (bit % 8));
        }
    }
    CHECK(decoded == frames.size()); // only the untruncated frames decode
}
