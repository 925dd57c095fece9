#include "http/response_parser.h"

#include "common/format.h"
#include "common/text.h"
#include "http/grammar.h"

#include <algorithm>

namespace mb::http {

std::optional<std::string_view> Response::header(std::string_view name) const
{
    for (auto const& h : headers)
        if (iequals(h.name, name))
            return std::string_view(h.value);
    return std::nullopt;
}

namespace {

// RFC 9110 §5.5 field-value: VCHAR, obs-text, SP and HTAB; no other controls.
bool is_field_value(std::string_view text)
{
    return std::all_of(text.begin(), text.end(), [](char c) {
        auto u = static_cast<unsigned char>(c);
        return u == '\t' || (u >= 0x20 && u != 0x7f);
    });
}

std::string_view trim_ows(std::string_view text)
{
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
        text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
        text.remove_suffix(1);
    return text;
}

// True when a comma-separated header list holds `token` (Connection,
// Transfer-Encoding).
bool list_contains(std::string_view list, std::string_view token)
{
    for (auto item : split(list, ','))
        if (iequals(trim_ows(item), token))
            return true;
    return false;
}

std::optional<uint64_t> parse_hex(std::string_view text)
{
    // 15 hex digits is far past any cap and cannot overflow.
    if (text.empty() || text.size() > 15)
        return std::nullopt;
    uint64_t value = 0;
    for (char c : text) {
        int digit;
        if (c >= '0' && c <= '9')
            digit = c - '0';
        else if (c >= 'a' && c <= 'f')
            digit = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            digit = c - 'A' + 10;
        else
            return std::nullopt;
        value = value * 16 + uint64_t(digit);
    }
    return value;
}

}

ResponseParser::ResponseParser(ParserLimits limits)
    : m_limits(limits)
{
}

Status ResponseParser::fail(Error error)
{
    m_state = State::Failed;
    m_error = error;
    return error;
}

Result<size_t> ResponseParser::feed(ByteSpan data)
{
    if (m_state == State::Failed)
        return *m_error;
    if (!data.empty())
        m_started = true;
    size_t used = 0;
    while (used < data.size() && m_state != State::Complete) {
        if (m_state == State::BodyWithLength || m_state == State::ChunkData) {
            size_t take = size_t(std::min<uint64_t>(m_remaining, data.size() - used));
            TRY(append_body(data.subspan(used, take)));
            used += take;
            m_remaining -= take;
            if (m_remaining == 0)
                m_state = m_state == State::BodyWithLength ? State::Complete : State::ChunkDataEnd;
            continue;
        }
        if (m_state == State::BodyUntilClose) {
            TRY(append_body(data.subspan(used)));
            used = data.size();
            continue;
        }

        // Line-oriented states. RFC 9112 §2.2: a recipient may accept a bare
        // LF as a line terminator, and we do; a trailing CR is dropped.
        char c = char(data[used++]);
        bool in_head = m_state == State::StatusLine || m_state == State::Headers;
        if (in_head && ++m_head_bytes > m_limits.max_header_bytes)
            return fail(Error::too_large(strf("response header section exceeds %zu bytes", m_limits.max_header_bytes))).release_error();
        if (m_state == State::Trailers && ++m_trailer_bytes > m_limits.max_header_bytes)
            return fail(Error::too_large("chunked trailer section too large")).release_error();
        if (m_state == State::ChunkSize && m_line.size() >= m_limits.max_header_bytes)
            return fail(Error::too_large("chunk size line too long")).release_error();
        if (m_state == State::ChunkDataEnd && c != '\n' && (c != '\r' || !m_line.empty()))
            return fail(Error::invalid("chunk data not followed by CRLF")).release_error();
        if (c != '\n') {
            m_line.push_back(c);
            continue;
        }
        std::string line = std::move(m_line);
        m_line.clear();
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        TRY(on_line(line));
    }
    return used;
}

Status ResponseParser::finish()
{
    switch (m_state) {
    case State::Complete:
        return {};
    case State::BodyUntilClose:
        m_state = State::Complete;
        m_response.keep_alive = false;
        return {};
    case State::Failed:
        return *m_error;
    case State::StatusLine:
        if (!m_started)
            return fail(Error::io("connection closed before a response"));
        [[fallthrough]];
    default:
        return fail(Error::invalid("connection closed in the middle of the response (truncated)"));
    }
}

Status ResponseParser::on_line(std::string_view line)
{
    switch (m_state) {
    case State::StatusLine:
        // RFC 9112 §2.2: empty lines before the start line may be ignored.
        if (line.empty())
            return {};
        return on_status_line(line);
    case State::Headers:
        if (line.empty())
            return on_headers_done();
        return on_header_line(line);
    case State::ChunkSize:
        return on_chunk_size_line(line);
    case State::ChunkDataEnd:
        if (!line.empty())
            return fail(Error::invalid("chunk data not followed by CRLF"));
        m_state = State::ChunkSize;
        return {};
    case State::Trailers:
        return on_trailer_line(line);
    default:
        return fail(Error::invalid("internal parser state"));
    }
}

// status-line = HTTP-version SP status-code SP [ reason-phrase ] (RFC 9112 §4).
Status ResponseParser::on_status_line(std::string_view line)
{
    if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || (line[7] != '0' && line[7] != '1') || line[8] != ' ')
        return fail(Error::invalid("bad status line"));
    auto code = line.substr(9, 3);
    auto status = parse_decimal(code, 999);
    if (!status || *status < 100 || *status > 599)
        return fail(Error::invalid("bad status code"));
    auto reason = line.substr(12);
    if (!reason.empty()) {
        if (reason.front() != ' ')
            return fail(Error::invalid("bad status line"));
        reason.remove_prefix(1);
    }
    if (!is_field_value(reason))
        return fail(Error::invalid("control character in reason phrase"));
    m_http10 = line[7] == '0';
    m_response = Response {};
    m_response.status = int(*status);
    m_response.reason = std::string(reason);
    m_state = State::Headers;
    return {};
}

// field-line = field-name ":" OWS field-value OWS (RFC 9112 §5). No
// whitespace before the colon (§5.1) and no obs-fold (§5.2): both are rejected.
Status ResponseParser::on_header_line(std::string_view line)
{
    if (line.front() == ' ' || line.front() == '\t')
        return fail(Error::invalid("obsolete header line folding"));
    auto colon = line.find(':');
    if (colon == std::string_view::npos)
        return fail(Error::invalid("header line without a colon"));
    auto name = line.substr(0, colon);
    auto value = trim_ows(line.substr(colon + 1));
    if (!is_token(name))
        return fail(Error::invalid("bad header name"));
    if (!is_field_value(value))
        return fail(Error::invalid("control character in header value"));
    m_response.headers.push_back({ std::string(name), std::string(value) });
    return {};
}

// Message body length, RFC 9112 §6.3, in its order of precedence.
Status ResponseParser::on_headers_done()
{
    int status = m_response.status;
    if (status >= 100 && status < 200) {
        // Interim responses carry no body; the final one follows (RFC 9110
        // §15.2). We never ask to switch protocols, so 101 is an error.
        if (status == 101)
            return fail(Error::unsupported("unexpected 101 Switching Protocols"));
        m_state = State::StatusLine;
        return {};
    }

    bool close = false;
    bool keep_alive_token = false;
    for (auto const& h : m_response.headers) {
        if (iequals(h.name, "connection")) {
            close = close || list_contains(h.value, "close");
            keep_alive_token = keep_alive_token || list_contains(h.value, "keep-alive");
        }
    }
    m_response.keep_alive = m_http10 ? (keep_alive_token && !close) : !close;

    if (status == 204 || status == 304) {
        m_state = State::Complete;
        return {};
    }

    std::optional<std::string_view> transfer_encoding;
    std::optional<uint64_t> content_length;
    for (auto const& h : m_response.headers) {
        if (iequals(h.name, "transfer-encoding")) {
            if (transfer_encoding)
                return fail(Error::invalid("repeated Transfer-Encoding"));
            transfer_encoding = h.value;
        } else if (iequals(h.name, "content-length")) {
            auto length = parse_decimal(h.value);
            if (!length)
                return fail(Error::invalid("bad Content-Length"));
            if (content_length && *content_length != *length)
                return fail(Error::invalid("conflicting Content-Length headers"));
            content_length = length;
        }
    }

    if (transfer_encoding) {
        // §6.3 rule 3: Transfer-Encoding overrides Content-Length, and such a
        // message must not be followed by another on the connection. We ask
        // for no codings, so only a lone "chunked" is understood.
        if (!iequals(trim_ows(*transfer_encoding), "chunked"))
            return fail(Error::unsupported("unsupported Transfer-Encoding"));
        if (content_length)
            m_response.keep_alive = false;
        m_state = State::ChunkSize;
        return {};
    }
    if (content_length) {
        if (*content_length > m_limits.max_body_bytes)
            return fail(Error::too_large(strf("body of %llu bytes exceeds the cap of %zu", (unsigned long long)*content_length, m_limits.max_body_bytes)));
        m_remaining = *content_length;
        m_response.body.reserve(size_t(*content_length));
        m_state = m_remaining ? State::BodyWithLength : State::Complete;
        return {};
    }
    // §6.3 rule 8: no length; the body runs until the server closes.
    m_response.keep_alive = false;
    m_state = State::BodyUntilClose;
    return {};
}

// chunk-size [ chunk-ext ] CRLF (RFC 9112 §7.1); extensions are ignored.
Status ResponseParser::on_chunk_size_line(std::string_view line)
{
    auto semicolon = line.find(';');
    auto size_text = trim_ows(line.substr(0, semicolon));
    auto size = parse_hex(size_text);
    if (!size)
        return fail(Error::invalid("bad chunk size"));
    if (*size == 0) {
        m_state = State::Trailers;
        return {};
    }
    if (*size > m_limits.max_body_bytes - m_response.body.size())
        return fail(Error::too_large(strf("chunked body exceeds the cap of %zu", m_limits.max_body_bytes)));
    m_remaining = *size;
    m_state = State::ChunkData;
    return {};
}

// Trailer fields are parsed for validity and dropped (RFC 9110 §6.5.1: they
// must not be merged into the header section blindly).
Status ResponseParser::on_trailer_line(std::string_view line)
{
    if (line.empty()) {
        m_state = State::Complete;
        return {};
    }
    auto colon = line.find(':');
    if (colon == std::string_view::npos || !is_token(line.substr(0, colon)) || !is_field_value(line.substr(colon + 1)))
        return fail(Error::invalid("bad trailer line"));
    return {};
}

Status ResponseParser::append_body(ByteSpan data)
{
    if (data.size() > m_limits.max_body_bytes - m_response.body.size())
        return fail(Error::too_large(strf("body exceeds the cap of %zu", m_limits.max_body_bytes)));
    m_response.body.append(reinterpret_cast<const char*>(data.data()), data.size());
    return {};
}

}
