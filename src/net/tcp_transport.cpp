#include "net/tcp_transport.h"

#include "common/format.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <ctime>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace mb::net {

namespace {

int remaining_ms(http::TimePoint deadline)
{
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
        return 0;
    return left.count() > 0x7fffffff ? 0x7fffffff : int(left.count());
}

}

TcpTransport::~TcpTransport()
{
    close();
}

void TcpTransport::close()
{
    if (m_fd >= 0)
        ::close(m_fd);
    m_fd = -1;
}

// A server that leaves Nagle on (RFC 9293 §3.7.4) and writes the headers and
// the body of a response in two send()s, as Python's http.server does, holds
// the body back until the headers are acknowledged. Linux delays that ACK
// (RFC 1122 §4.2.3.2 allows up to 500 ms; Linux waits at least 40 ms) once it
// sees the connection as interactive, which a keep-alive request/response
// exchange is. Measured against such a server (tests/tools/imds_emulator.py's
// default), 24 requests on one connection took 1,050-1,110 ms, against 9 ms
// when the server sets TCP_NODELAY; the kernel's DelayedACKs counter rose by
// one a request. TCP_QUICKACK sends the pending ACK at once, but does not
// stay set: "subsequent operation of the TCP protocol will once again
// enter/leave quickack mode" (tcp(7)), and the next request we send puts the
// connection back into delayed-ACK mode. So it is set again after every read
// that returned data, when the ACK of what was read is still pending.
void TcpTransport::acknowledge_now()
{
    int one = 1;
    (void)::setsockopt(m_fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
}

Status TcpTransport::wait(short events, http::TimePoint deadline, const char* what)
{
    while (true) {
        int timeout = remaining_ms(deadline);
        if (timeout == 0)
            return Error::timeout(strf("%s timed out", what));
        pollfd pfd { m_fd, events, 0 };
        int ready = ::poll(&pfd, 1, timeout);
        if (ready < 0) {
            if (errno == EINTR)
                continue;
            return Error::io("poll", errno);
        }
        if (ready > 0)
            return {};
    }
}

Status TcpTransport::connect(const http::Endpoint& endpoint, http::TimePoint deadline)
{
    close();
    m_fd = ::socket(endpoint.address6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (m_fd < 0)
        return Error::io("socket", errno);
    // Requests are small and each waits for its answer: Nagle would only add
    // delay to a request whose header and body go out in one write anyway.
    int one = 1;
    (void)::setsockopt(m_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

    union {
        sockaddr_in v4;
        sockaddr_in6 v6;
    } address {};
    socklen_t length = sizeof address.v4;
    if (endpoint.address6) {
        address.v6.sin6_family = AF_INET6;
        address.v6.sin6_port = htons(endpoint.port);
        std::memcpy(&address.v6.sin6_addr, endpoint.address6->bytes().data(), 16);
        // Only a link-local address has a scope (RFC 4007 §6); the kernel
        // refuses one with none.
        if (endpoint.address6->bytes()[0] == 0xfe && (endpoint.address6->bytes()[1] & 0xc0) == 0x80)
            address.v6.sin6_scope_id = m_scope_id;
        length = sizeof address.v6;
    } else {
        address.v4.sin_family = AF_INET;
        address.v4.sin_port = htons(endpoint.port);
        address.v4.sin_addr.s_addr = htonl(endpoint.address.value());
    }
    static_assert(offsetof(sockaddr_in, sin_port) == offsetof(sockaddr_in6, sin6_port) && offsetof(sockaddr_in, sin_family) == offsetof(sockaddr_in6, sin6_family));
    // The unspecified address: the family's and the port only (sin6_port
    // is at sin_port's offset). A port in use, or in TIME_WAIT from an
    // earlier run's connection, is skipped.
    decltype(address) local {};
    local.v4.sin_family = address.v4.sin_family;
    for (unsigned tries = 0; endpoint.privileged_source_port; ++tries) {
        local.v4.sin_port = htons(m_next_port);
        m_next_port = m_next_port > 512 ? m_next_port - 1 : 1023;
        if (::bind(m_fd, reinterpret_cast<sockaddr*>(&local), length) == 0)
            break;
        if (errno != EADDRINUSE || tries == 512) {
            int saved = errno;
            close();
            return Error::io("binding a source port below 1024", saved);
        }
    }
    if (::connect(m_fd, reinterpret_cast<sockaddr*>(&address), length) < 0) {
        if (errno != EINPROGRESS) {
            int saved = errno;
            close();
            return Error::io("connect", saved);
        }
        auto waited = wait(POLLOUT, deadline, "connect");
        if (waited.is_error()) {
            close();
            return waited;
        }
        int error = 0;
        length = sizeof error;
        if (::getsockopt(m_fd, SOL_SOCKET, SO_ERROR, &error, &length) < 0)
            error = errno;
        if (error != 0) {
            close();
            return Error::io("connect", error);
        }
    }
    return {};
}

Status TcpTransport::write_all(ByteSpan data, http::TimePoint deadline)
{
    if (m_fd < 0)
        return Error::io("write on a closed connection");
    while (!data.empty()) {
        ssize_t sent = ::send(m_fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (sent < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                TRY(wait(POLLOUT, deadline, "write"));
                continue;
            }
            return Error::io("send", errno);
        }
        data = data.subspan(size_t(sent));
    }
    return {};
}

Result<size_t> TcpTransport::read(std::span<uint8_t> buffer, http::TimePoint deadline)
{
    if (m_fd < 0)
        return Error::io("read on a closed connection");
    while (true) {
        ssize_t got = ::recv(m_fd, buffer.data(), buffer.size(), 0);
        if (got > 0)
            acknowledge_now();
        if (got >= 0)
            return size_t(got);
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return Error::io("recv", errno);
        TRY(wait(POLLIN, deadline, "read"));
    }
}

http::TimePoint SystemTime::now()
{
    return std::chrono::steady_clock::now();
}

void SystemTime::sleep_until(http::TimePoint when)
{
    auto left = when - std::chrono::steady_clock::now();
    if (left <= left.zero())
        return;
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
    timespec duration { time_t(ns / 1000000000), long(ns % 1000000000) };
    while (::nanosleep(&duration, &duration) < 0 && errno == EINTR) { }
}

Status probe_connect(const http::Endpoint& endpoint, http::TimePoint deadline, uint32_t scope_id)
{
    TcpTransport probe(scope_id);
    auto connected = probe.connect(endpoint, deadline);
    probe.close();
    return connected;
}

}
