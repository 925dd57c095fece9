// libFuzzer target: decode a DHCP message; whatever decodes must survive
// encode -> decode unchanged (apart from the decoder's warnings), and the
// IPv4/UDP framing decoder must reject or accept the same bytes without
// aborting.
#include "dhcp/ipv4_udp.h"
#include "dhcp/message.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    mb::ByteSpan input(data, size);
    (void)mb::dhcp::decode_ipv4_udp(input, mb::dhcp::UdpChecksum::Verify);

    auto decoded = mb::dhcp::decode_message(input);
    if (!decoded)
        return 0;
    auto message = decoded.release_value();
    message.warnings.clear();
    auto again = mb::dhcp::decode_message(mb::dhcp::encode_message(message));
    if (!again)
        __builtin_trap();
    // A re-encoded message is canonical: nothing left to drop or tolerate.
    if (!again->warnings.empty())
        __builtin_trap();
    if (!(again.value() == message))
        __builtin_trap();
    return 0;
}
