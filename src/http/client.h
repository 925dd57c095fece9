// A minimal HTTP/1.1 client for one host over one Transport: one keep-alive
// connection reused across requests, a per-request timeout clipped to the
// run's deadline, no redirects (a 3xx is returned like any other status).
#pragma once

#include "http/request.h"
#include "http/response_parser.h"
#include "http/transport.h"

#include <chrono>
#include <span>
#include <string>
#include <vector>

namespace mb::http {

// One exchange as it happened, for the --json timings and request counts.
struct RequestRecord {
    Method method { Method::Get };
    std::string target;
    int status { 0 }; // 0: no response (an error)
    std::chrono::microseconds elapsed { 0 };
    bool reused_connection { false };
};

class Client {
public:
    Client(Transport& transport, TimeSource& time, Endpoint endpoint, TimePoint run_deadline, ParserLimits limits = {});
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    // Sends one request and reads its response. The exchange ends by
    // min(now + timeout, run deadline). Connection failures are Error::io
    // (retryable), a passed deadline Error::timeout, oversize
    // Error::too_large. Any error closes the connection.
    Result<Response> send(const Request& request, Milliseconds timeout);

    // HTTP/1.1 pipelining (RFC 9112 §9.3.2): every request written at once
    // on the keep-alive connection, the responses read back in order, each
    // within `timeout` of the one before. One result per request; a request
    // the connection did not answer (the server closed it early, answered
    // out of shape, or asked to close after some of them) is Error::io
    // "not answered" and the caller sends it again on its own. A timeout on
    // the first response is the batch's timeout; on a later one the rest
    // count as not answered (a server that drops pipelined requests).
    std::vector<Result<Response>> send_pipelined(std::span<const Request> requests, Milliseconds timeout);

    void close();
    TimePoint run_deadline() const { return m_run_deadline; }
    TimeSource& time() { return m_time; }
    const std::vector<RequestRecord>& records() const { return m_records; }

private:
    Result<Response> exchange(const std::string& wire, TimePoint deadline, bool& retry_on_fresh_connection);
    Status ensure_connected(TimePoint deadline);

    Transport& m_transport;
    TimeSource& m_time;
    Endpoint m_endpoint;
    TimePoint m_run_deadline;
    ParserLimits m_limits;
    bool m_connected { false };
    std::vector<RequestRecord> m_records;
};

}
