#include "http/client.h"

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

Result<Response> Client::exchange(const std::string& wire, TimePoint deadline, bool& retry_on_fresh_connection)
{
    bool reused = m_connected;
    retry_on_fresh_connection = false;
    if (!m_connected) {
        auto connected = m_transport.connect(m_endpoint, deadline);
        if (connected.is_error()) {
            m_transport.close();
            auto const& error = connected.error();
            // Every connect failure is Error::io, timeouts included: the retry
            // helper treats them alike.
            return Error(ErrorKind::Io, m_endpoint.to_string() + ": " + error.message(), error.errno_value());
        }
        m_connected = true;
    }

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

}
