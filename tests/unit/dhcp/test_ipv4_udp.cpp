// IPv4/UDP framing for the SOCK_DGRAM packet socket, and RFC 1071 checksums.
#include "dhcp/ipv4_udp.h"
#include "helpers.h"

#include <doctest/doctest.h>

using namespace mb;
using namespace mb::dhcp;
using namespace mb::dhcp::test;

TEST_CASE("RFC 1071 checksum")
{
    // RFC 1071 §3's example: the sum of 0001 f203 f4f5 f6f7 is ddf2.
    const Bytes example = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
    CHECK(internet_checksum(example) == uint16_t(~0xddf2));
    // An odd length pads with a zero on the right.
    CHECK(internet_checksum(Bytes { 0x01 }) == uint16_t(~0x0100));
    // Summing in parts equals summing at once when the parts are even.
    CHECK(checksum_finish(checksum_add(checksum_add(0, ByteSpan(example).first(4)), ByteSpan(example).subspan(4))) == internet_checksum(example));
    CHECK(internet_checksum(Bytes {}) == 0xffff);
}

TEST_CASE("encode_ipv4_udp writes a broadcast frame with both checksums")
{
    const Bytes payload = { 'h', 'i', '!' };
    auto frame = encode_ipv4_udp(Ipv4Address(), Ipv4Address(255, 255, 255, 255), 68, 67, payload);
    REQUIRE(frame.size() == 20 + 8 + 3);
    const Bytes header = {
        0x45, 0x00,             // version 4, IHL 5; DSCP 0
        0x00, 31,               // total length
        0x00, 0x00, 0x00, 0x00, // id 0; no flags, offset 0
        64, 17,                 // TTL 64, UDP
    };
    CHECK(Bytes(frame.begin(), frame.begin() + 10) == header);
    CHECK(Bytes(frame.begin() + 12, frame.begin() + 20) == Bytes { 0, 0, 0, 0, 255, 255, 255, 255 });
    CHECK(internet_checksum(ByteSpan(frame).first(20)) == 0); // header checksum valid
    CHECK(Bytes(frame.begin() + 20, frame.begin() + 26) == Bytes { 0, 68, 0, 67, 0, 11 });

    auto decoded = decode_ipv4_udp(frame, UdpChecksum::Verify, 67);
    REQUIRE(decoded.ok());
    CHECK(decoded->source == Ipv4Address());
    CHECK(decoded->destination == Ipv4Address(255, 255, 255, 255));
    CHECK(decoded->source_port == 68);
    CHECK(decoded->destination_port == 67);
    CHECK(decoded->payload == payload);
}

namespace {

Bytes server_reply(size_t payload_size = 10)
{
    return encode_ipv4_udp(Ipv4Address(198, 18, 0, 1), Ipv4Address(255, 255, 255, 255), 67, 68, Bytes(payload_size, 0x5a));
}

}

TEST_CASE("decode_ipv4_udp: cheap header checks")
{
    auto good = server_reply();
    REQUIRE(decode_ipv4_udp(good, UdpChecksum::Verify).ok());

    auto expect_error = [](Bytes frame, const char* fragment) {
        auto result = decode_ipv4_udp(frame, UdpChecksum::Verify);
        REQUIRE(result.is_error());
        CHECK_MESSAGE(result.error().message().find(fragment) != std::string::npos, result.error().message());
    };
    for (size_t length = 0; length < 20; ++length)
        expect_error(Bytes(good.begin(), good.begin() + length), "shorter than an IPv4 header");

    auto frame = good;
    frame[0] = 0x65;
    expect_error(frame, "not IPv4");
    frame = good;
    frame[0] = 0x44;
    expect_error(frame, "IHL below 5");
    frame = good;
    frame[3] += 1; // total length one beyond what was received
    expect_error(frame, "beyond");
    frame = good;
    frame[2] = 0;
    frame[3] = 27;
    expect_error(frame, "too short for UDP");
    frame = good;
    frame[9] = 6;
    expect_error(frame, "not UDP");
    frame = good;
    frame[6] = 0x20; // more fragments
    expect_error(frame, "fragment");
    frame = good;
    frame[7] = 0x01; // fragment offset 1
    expect_error(frame, "fragment");
    frame = good;
    frame[23] = 69;
    expect_error(frame, "destination port 69");
    frame = good;
    frame[25] = 7; // UDP length below 8
    expect_error(frame, "bad UDP length");
    frame = good;
    frame[25] = 200; // UDP length beyond the IP payload
    expect_error(frame, "bad UDP length");
    frame = good;
    frame[8] = 63; // TTL changed, header checksum not
    expect_error(frame, "IPv4 header checksum");
    frame = good;
    frame.back() ^= 1;
    expect_error(frame, "UDP checksum");
}

TEST_CASE("decode_ipv4_udp: offloaded and absent UDP checksums, Ethernet padding")
{
    auto frame = server_reply();
    frame.back() ^= 1; // payload no longer matches the checksum
    CHECK(decode_ipv4_udp(frame, UdpChecksum::Verify).is_error());
    // TP_STATUS_CSUMNOTREADY: the field holds only the pseudo-header sum.
    CHECK(decode_ipv4_udp(frame, UdpChecksum::Offloaded).ok());
    // RFC 768: zero means the sender computed none.
    frame[26] = 0;
    frame[27] = 0;
    CHECK(decode_ipv4_udp(frame, UdpChecksum::Verify).ok());

    // Bytes after the IPv4 total length are link padding and ignored.
    auto padded = server_reply(2);
    padded.resize(padded.size() + 16, 0xee);
    auto decoded = decode_ipv4_udp(padded, UdpChecksum::Verify);
    REQUIRE(decoded.ok());
    CHECK(decoded->payload == Bytes { 0x5a, 0x5a });

    // A UDP length shorter than the IP payload bounds the payload.
    auto short_udp = server_reply(4);
    short_udp[25] = 8 + 2;
    short_udp[26] = 0;
    short_udp[27] = 0;
    auto cut = decode_ipv4_udp(short_udp, UdpChecksum::Verify);
    REQUIRE(cut.ok());
    CHECK(cut->payload.size() == 2);
}

TEST_CASE("decode_ipv4_udp: IP options (IHL > 5) are skipped")
{
    auto frame = server_reply(3);
    // Insert 4 bytes of IP options (NOP x3, EOL) and fix the header.
    frame.insert(frame.begin() + 20, { 1, 1, 1, 0 });
    frame[0] = 0x46;
    frame[3] += 4;
    frame[10] = 0;
    frame[11] = 0;
    auto sum = internet_checksum(ByteSpan(frame).first(24));
    frame[10] = uint8_t(sum >> 8);
    frame[11] = uint8_t(sum);
    auto decoded = decode_ipv4_udp(frame, UdpChecksum::Verify);
    REQUIRE_MESSAGE(decoded.ok(), (decoded.ok() ? "" : decoded.error().message()));
    CHECK(decoded->payload == Bytes { 0x5a, 0x5a, 0x5a });
}
