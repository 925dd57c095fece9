// The real http::Transport: one non-blocking TCP connection driven by poll()
// against absolute deadlines. The only metadata-side file that touches
// sockets.
#pragma once

#include "http/transport.h"

namespace mb::net {

class TcpTransport final : public http::Transport {
public:
    // `scope_id`: the ifindex a link-local IPv6 endpoint is on.
    explicit TcpTransport(uint32_t scope_id = 0)
        : m_scope_id(scope_id)
    {
    }
    ~TcpTransport() override;
    TcpTransport(const TcpTransport&) = delete;
    TcpTransport& operator=(const TcpTransport&) = delete;

    Status connect(const http::Endpoint& endpoint, http::TimePoint deadline) override;
    Status write_all(ByteSpan data, http::TimePoint deadline) override;
    Result<size_t> read(std::span<uint8_t> buffer, http::TimePoint deadline) override;
    void close() override;

private:
    // Waits for `events` on the socket until the deadline.
    Status wait(short events, http::TimePoint deadline, const char* what);

    void acknowledge_now();

    int m_fd { -1 };
    uint32_t m_scope_id { 0 };
    // The next source port to try for Endpoint::privileged_source_port:
    // downwards from 1023 as BSD's rresvport() takes them, a fresh one per
    // connection (the last one's may be in TIME_WAIT).
    uint16_t m_next_port { 1023 };
};

// Can a TCP connection to `endpoint` be opened through the routes in place
// now? Connects and closes at once, sending nothing. Error::io with
// ECONNREFUSED, ENETUNREACH or EHOSTUNREACH when the network says no,
// Error::timeout when nothing answered by `deadline`.
Status probe_connect(const http::Endpoint& endpoint, http::TimePoint deadline, uint32_t scope_id = 0);

// steady_clock (CLOCK_MONOTONIC) and clock_nanosleep. An initramfs does not
// suspend, so MONOTONIC and BOOTTIME agree for our purposes.
class SystemTime final : public http::TimeSource {
public:
    http::TimePoint now() override;
    void sleep_until(http::TimePoint when) override;
};

}
