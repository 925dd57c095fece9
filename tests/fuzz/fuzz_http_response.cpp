// The HTTP response parser, fed in pieces whose sizes come from the input's
// first bytes. A response it accepts is re-encoded with Content-Length and
// must parse back to the same status, headers and body.
#include "http/response_parser.h"

#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <string>

using namespace mb;
using namespace mb::http;

static Result<Response> parse_in_pieces(ByteSpan data, uint8_t step_seed, ParserLimits limits)
{
    ResponseParser parser(limits);
    size_t at = 0;
    unsigned step = step_seed % 17;
    while (at < data.size()) {
        size_t piece = step == 0 ? data.size() - at : std::min<size_t>(data.size() - at, 1 + (at * 7 + step) % (step + 1));
        auto used = parser.feed(data.subspan(at, piece));
        if (used.is_error())
            return used.release_error();
        if (*used > piece)
            std::abort();
        at += *used;
        if (parser.is_complete())
            return parser.take_response();
    }
    auto finished = parser.finish();
    if (finished.is_error())
        return finished.release_error();
    if (!parser.is_complete())
        std::abort();
    return parser.take_response();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size < 2)
        return 0;
    ParserLimits limits { 2048, size_t(data[1]) * 64 };
    auto result = parse_in_pieces(ByteSpan(data + 2, size - 2), data[0], limits);
    if (result.is_error())
        return 0;
    auto const& response = *result;
    if (response.status < 200 || response.status > 599 || response.body.size() > limits.max_body_bytes)
        std::abort();

    // The same bytes all at once must give the same answer.
    auto whole = parse_in_pieces(ByteSpan(data + 2, size - 2), 0, limits);
    if (whole.is_error() || whole->status != response.status || whole->body != response.body || whole->headers != response.headers)
        std::abort();

    std::string wire = "HTTP/1.1 " + std::to_string(response.status) + " " + response.reason + "\r\n";
    size_t kept = 0;
    for (auto const& h : response.headers) {
        auto lower = h.name;
        for (auto& c : lower)
            c = char(std::tolower(static_cast<unsigned char>(c)));
        if (lower == "content-length" || lower == "transfer-encoding" || lower == "connection")
            continue;
        wire += h.name + ": " + h.value + "\r\n";
        ++kept;
    }
    wire += "Content-Length: " + std::to_string(response.body.size()) + "\r\n\r\n" + response.body;
    ParserLimits roomy { 1 << 20, 1 << 20 };
    auto again = parse_in_pieces(as_bytes(wire), 3, roomy);
    if (again.is_error() || again->status != response.status || again->body != response.body || again->reason != response.reason)
        std::abort();
    if (again->headers.size() != kept + 1)
        std::abort();
    return 0;
}
