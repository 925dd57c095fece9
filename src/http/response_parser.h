// An incremental HTTP/1.1 response parser (RFC 9112). Pure: bytes in, a
// Response or an error out, in any chunking. It never allocates beyond its
// caps, so a hostile or broken server yields Error::too_large or
// Error::invalid, never a crash or an unbounded buffer.
#pragma once

#include "common/bytes.h"
#include "common/result.h"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mb::http {

struct Header {
    std::string name;
    std::string value;

    bool operator==(const Header&) const = default;
};

struct Response {
    int status { 0 };
    std::string reason;
    std::vector<Header> headers;
    std::string body;
    // The server lets us send another request on this connection.
    bool keep_alive { false };

    // The first header with this name (case-insensitive).
    std::optional<std::string_view> header(std::string_view name) const;
};

struct ParserLimits {
    // Status line plus header section (each 1xx response counts too), and
    // separately the chunked trailer section.
    size_t max_header_bytes { 16 * 1024 };
    size_t max_body_bytes { 1024 * 1024 };
};


class ResponseParser {
public:
    explicit ResponseParser(ParserLimits limits = {});

    // Consumes bytes up to the end of one final response and returns how many
    // it used; bytes after the end are left to the caller. An error is sticky.
    Result<size_t> feed(ByteSpan data);
    // The peer closed the connection: completes a read-until-close body, or
    // reports a truncated response.
    Status finish();

    bool is_complete() const { return m_state == State::Complete; }
    // True once any byte has arrived (a silent close on a reused keep-alive
    // connection is safe to retry; a half response is not).
    bool has_started() const { return m_started; }
    Response take_response() { return std::move(m_response); }

private:
    enum class State {
        StatusLine,
        Headers,
        BodyWithLength,
        BodyUntilClose,
        ChunkSize,
        ChunkData,
        ChunkDataEnd,
        Trailers,
        Complete,
        Failed,
    };

    Status fail(Error error);
    Status on_line(std::string_view line);
    Status on_status_line(std::string_view line);
    Status on_header_line(std::string_view line);
    Status on_headers_done();
    Status on_chunk_size_line(std::string_view line);
    Status on_trailer_line(std::string_view line);
    Status append_body(ByteSpan data);

    ParserLimits m_limits;
    State m_state { State::StatusLine };
    Response m_response;
    std::string m_line;
    size_t m_head_bytes { 0 };
    size_t m_trailer_bytes { 0 };
    uint64_t m_remaining { 0 }; // of the body or the current chunk
    bool m_http10 { false };
    bool m_started { false };
    std::optional<Error> m_error;
};

}
