#include "dhcp/lease.h"
#include "helpers.h"

#include <doctest/doctest.h>

using namespace mb;
using namespace mb::dhcp;
using namespace std::chrono_literals;

namespace {

Message ack()
{
    Message m;
    m.op = OpCode::BootReply;
    m.yiaddr = Ipv4Address(198, 18, 0, 50);
    m.options.message_type = MessageType::Ack;
    m.options.server_id = Ipv4Address(198, 18, 0, 1);
    m.options.lease_time = 3600s;
    return m;
}

}

TEST_CASE("a lease without option 1 is a /32")
{
    auto lease = lease_from_message(ack());
    REQUIRE(lease.ok());
    CHECK(lease->address == Ipv4Prefix(Ipv4Address(198, 18, 0, 50), 32));
    CHECK_FALSE(lease->mtu);
    CHECK(lease->routers.empty());
}

TEST_CASE("T1 and T2 default to 0.5 and 0.875 of the lease; disordered values are replaced")
{
    auto m = ack();
    auto lease = lease_from_message(m);
    CHECK(lease->renewal_time == 1800s);
    CHECK(lease->rebinding_time == 3150s);

    m.options.renewal_time = 100s;
    m.options.rebinding_time = 200s;
    lease = lease_from_message(m);
    CHECK(lease->renewal_time == 100s);
    CHECK(lease->rebinding_time == 200s);

    m.options.rebinding_time = 7200s; // beyond the lease
    lease = lease_from_message(m);
    CHECK(lease->rebinding_time == 3150s);
    CHECK(lease->renewal_time == 100s);

    m.options.renewal_time = 3000s; // T1 > T2
    m.options.rebinding_time = 2000s;
    lease = lease_from_message(m);
    CHECK(lease->rebinding_time == 2000s);
    CHECK(lease->renewal_time == 1800s);

    m.options.renewal_time.reset();
    m.options.rebinding_time.reset();
    m.options.lease_time = std::chrono::seconds(0xffffffffu); // infinite
    lease = lease_from_message(m);
    CHECK(lease->lease_time.count() == 0xffffffffLL);
    CHECK(lease->renewal_time.count() == 0xffffffffLL / 2);
}

TEST_CASE("messages that cannot be a lease")
{
    for (auto yiaddr : { Ipv4Address(), Ipv4Address(127, 0, 0, 1), Ipv4Address(224, 0, 0, 1), Ipv4Address(255, 255, 255, 255), Ipv4Address(240, 0, 0, 1), Ipv4Address(0, 1, 2, 3) }) {
        CAPTURE(yiaddr.to_string());
        auto m = ack();
        m.yiaddr = yiaddr;
        CHECK(lease_from_message(m).is_error());
    }
    auto no_server = ack();
    no_server.options.server_id.reset();
    CHECK(lease_from_message(no_server).is_error());
    auto no_time = ack();
    no_time.options.lease_time.reset();
    CHECK(lease_from_message(no_time).is_error());
}

TEST_CASE("option 245 (Azure's wireserver) is kept when it is one address, ignored otherwise")
{
    // Frame bytes as Azure's DHCP server sends them: code 245, length 4,
    // 168.63.129.16.
    Bytes frame_option { 245, 4, 168, 63, 129, 16 };
    auto message = ack();
    message.options.other[245] = Bytes(frame_option.begin() + 2, frame_option.end());
    auto lease = lease_from_message(message);
    REQUIRE(lease.ok());
    CHECK(lease->azure_wireserver == Ipv4Address(168, 63, 129, 16));

    for (auto const& bad : { Bytes {}, Bytes { 168, 63, 129 }, Bytes { 168, 63, 129, 16, 0 } }) {
        CAPTURE(bad.size());
        message.options.other[245] = bad;
        auto odd = lease_from_message(message);
        REQUIRE(odd.ok()); // a strange option never costs the lease
        CHECK_FALSE(odd->azure_wireserver);
    }
    CHECK_FALSE(lease_from_message(ack())->azure_wireserver);
}
