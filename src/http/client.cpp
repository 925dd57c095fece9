#include "http/client.h"

#include "common/format.h"

#include <array>

namespace mb::http {

Client::Client(Transport& transport, TimeSource& time, Endpoint endpoint, TimePoint run_deadline, ParserLimits limits)
    : m_transport(transport)
    , m_time(time)
    , m_endpoint(endpoint)
    , m_run_deadline(run_deadline)
    , m_limits(limits)
{
}

Client::~Client()
{
    close();
}

void Client::close()
{
    if (m_connected)
        m_transport.close();
    m_connected = false;
}

Result<Response> Client::send(const Request& request, Milliseconds timeout)
{
    auto started = m_time.now();
    RequestRecord record { request.method, request.target, 0, {}, m_connected };
    auto finish = [&](Result<Response> result) {
        if (result.ok())
            record.status = result->status;
        record.elapsed = std::chrono::duration_cast<std::chrono::microseconds>(m_time.now() - started);
        m_records.push_back(std::move(record));
        return result;
    };

    auto wire = write_request(request, m_endpoint);
    if (wire.is_error())
        return finish(wire.release_error());
    if (started >= m_run_deadline)
        return finish(Error::timeout("run deadline passed before " + request.target));
    auto deadline = std::min(started + timeout, m_run_deadline);

    bool retry_on_fresh_connection = false;
    auto result = exchange(*wire, deadline, retry_on_fresh_connection);
    // A keep-alive connection the server already closed fails before any
    // response byte; that request never reached the application, so it is
    // sent once more on a new connection (RFC 9112 §9.3.1 allows this for
    // idempotent requests; the token PUT is idempotent in effect).
    if (result.is_error() && retry_on_fresh_connection) {
        record.reused_connection = false;
        result = exchange(*wire, deadline, retry_on_fresh_connection);
    }
    return finish(std::move(result));
}

Status Client::ensure_connected(TimePoint deadline)
{
    if (m_connected)
        return {};
    auto connected = m_transport.connect(m_endpoint, deadline);
    if (connected.is_error()) {
        m_transport.close();
        auto const& error = connected.error();
        // Every connect failure is Error::io, timeouts included: the retry
        // helper treats them alike.
        return Error(ErrorKind::Io, strf("%s: %s", m_endpoint.to_string().c_str(), error.message().c_str()), error.errno_value());
    }
    m_connected = true;
    return {};
}

Result<Response> Client::exchange(const std::string& wire, TimePoint deadline, bool& retry_on_fresh_connection)
{
    bool reused = m_connected;
    retry_on_fresh_connection = false;
    TRY(ensure_connected(deadline));

    auto written = m_transport.write_all(as_bytes(wire), deadline);
    if (written.is_error()) {
        close();
        retry_on_fresh_connection = reused;
        return written.release_error();
    }

    ResponseParser parser(m_limits);
    std::array<uint8_t, 16 * 1024> buffer;
    while (true) {
        auto got = m_transport.read(buffer, deadline);
        if (got.is_error()) {
            close();
            retry_on_fresh_connection = reused && !parser.has_started() && got.error().kind() == ErrorKind::Io;
            return got.release_error();
        }
        if (*got == 0) {
            close();
            auto finished = parser.finish();
            if (finished.is_error()) {
                retry_on_fresh_connection = reused && !parser.has_started();
                return finished.release_error();
            }
            return parser.take_response();
        }
        auto used = parser.feed(ByteSpan(buffer.data(), *got));
        if (used.is_error()) {
            // The rest of an oversize or broken body is still in flight.
            close();
            return used.release_error();
        }
        if (parser.is_complete()) {
            auto response = parser.take_response();
            // Bytes after the response were never asked for: the stream is
            // out of step, so it is not reused.
            if (!response.keep_alive || *used != *got)
                close();
            return response;
        }
    }
}

std::vector<Result<Response>> Client::send_pipelined(std::span<const Request> requests, Milliseconds timeout)
{
    auto started = m_time.now();
    bool reused = m_connected;
    std::vector<Result<Response>> results;
    results.reserve(requests.size());
    auto not_answered = [] { return Result<Response>(Error::io("not answered on the pipelined connection")); };

    std::string wire;
    for (auto const& request : requests) {
        auto one = write_request(request, m_endpoint);
        if (one.is_error())
            return std::vector<Result<Response>>(requests.size(), one.release_error());
        wire += *one;
    }
    auto deadline = std::min(started + timeout, m_run_deadline);
    Status sent = started >= m_run_deadline ? Status(Error::timeout("run deadline passed before a pipelined batch")) : ensure_connected(deadline);
    if (sent.ok()) {
        sent = m_transport.write_all(as_bytes(wire), deadline);
        if (sent.is_error())
            close();
    }
    // Nothing reached the server: a connect failure or a deadline is the
    // batch's outcome; a write on a connection the server had already closed
    // leaves every request not answered, to be sent again one by one.
    Result<Response> unanswered = sent.ok() || (reused && sent.error().kind() == ErrorKind::Io) ? not_answered() : Result<Response>(sent.release_error());

    std::array<uint8_t, 16 * 1024> buffer;
    size_t have = 0, offset = 0;
    while (m_connected && results.size() < requests.size()) {
        ResponseParser parser(m_limits);
        Result<Response> outcome = not_answered();
        bool stop = false;
        while (true) {
            if (offset == have) {
                auto got = m_transport.read(buffer, deadline);
                if (got.is_error()) {
                    // The first response's timeout is the batch's; a later
                    // one's is a server that stopped answering the pipeline.
                    if (results.empty() || got.error().kind() != ErrorKind::Timeout)
                        outcome = got.release_error();
                    stop = true;
                    break;
                }
                if (*got == 0) {
                    // Closed: a body delimited by the close is complete, a
                    // response cut short or never begun is not answered.
                    if (parser.has_started() && parser.finish().ok())
                        outcome = parser.take_response();
                    stop = true;
                    break;
                }
                have = *got;
                offset = 0;
            }
            auto used = parser.feed(ByteSpan(buffer.data() + offset, have - offset));
            if (used.is_error()) {
                stop = true; // out of shape: this and the rest go one by one
                break;
            }
            offset += *used;
            if (parser.is_complete()) {
                outcome = parser.take_response();
                stop = !outcome->keep_alive;
                break;
            }
        }
        auto const& request = requests[results.size()];
        m_records.push_back({ request.method, request.target, outcome.ok() ? outcome->status : 0,
            std::chrono::duration_cast<std::chrono::microseconds>(m_time.now() - started), results.empty() ? reused : true });
        results.push_back(std::move(outcome));
        deadline = std::min(m_time.now() + timeout, m_run_deadline);
        if (stop)
            close();
    }
    // Bytes beyond the last response were never asked for: the stream is
    // out of step, so it is not reused.
    if (offset != have)
        close();
    while (results.size() < requests.size()) {
        auto const& request = requests[results.size()];
        m_records.push_back({ request.method, request.target, 0, {}, reused });
        results.push_back(unanswered);
    }
    return results;
}

}
