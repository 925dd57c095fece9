// libFuzzer target for RFC 3442 classless static routes. The decoder accepts
// only canonical encodings (significant octets, zero host bits), so a value
// that decodes must re-encode to exactly the input bytes.
#include "dhcp/options.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    mb::ByteSpan input(data, size);
    auto routes = mb::dhcp::decode_classless_routes(input);
    if (!routes)
        return 0;
    for (auto const& route : *routes)
        if (route.destination.length() > 32 || route.destination.network() != route.destination.address())
            __builtin_trap();
    auto encoded = mb::dhcp::encode_classless_routes(*routes);
    if (!std::equal(encoded.begin(), encoded.end(), input.begin(), input.end()))
        __builtin_trap();
    return 0;
}
