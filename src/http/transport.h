// The seam between the HTTP client and the network. The client speaks HTTP
// over one Transport (one TCP connection at a time); the real one is
// net/tcp_transport.h, tests substitute a fake that serves canned bytes in
// virtual time. Every blocking call takes an absolute deadline, so no read or
// connect can outlive the run.
#pragma once

#include "common/address.h"
#include "common/bytes.h"
#include "common/result.h"

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace mb::http {

using TimePoint = std::chrono::steady_clock::time_point;
using Milliseconds = std::chrono::milliseconds;

// Where the client connects: an IPv4 or IPv6 literal and a port. Link-local
// metadata services never need name resolution, and an initramfs has no
// resolver. A link-local IPv6 literal (Hetzner's fe80::a9fe:a9fe) is on the
// NIC the reach phase chose, which the transport is told (its scope id): a
// URL names no NIC.
struct Endpoint {
    Ipv4Address address;
    uint16_t port { 80 };
    std::optional<Ipv6Address> address6; // instead of `address`
    // Connect from a source port below 1024, which only root may bind
    // (ip(7), CAP_NET_BIND_SERVICE): Scaleway answers user-data only then.
    bool privileged_source_port { false };

    // The Host header's form (RFC 9110 §7.2, RFC 3986 §3.2.2):
    // "169.254.169.254", "[fd00:ec2::254]".
    std::string host() const;
    std::string to_string() const; // host() + ":80"
    bool operator==(const Endpoint&) const = default;
};

class Transport {
public:
    virtual ~Transport() = default;

    // Opens a connection, closing any previous one.
    virtual Status connect(const Endpoint& endpoint, TimePoint deadline) = 0;
    // Writes every byte or fails.
    virtual Status write_all(ByteSpan data, TimePoint deadline) = 0;
    // Waits for some bytes, at most until the deadline. 0 means the peer
    // closed the connection. A reset is Error::io, a passed deadline
    // Error::timeout.
    virtual Result<size_t> read(std::span<uint8_t> buffer, TimePoint deadline) = 0;
    virtual void close() = 0;
};

// The clock is part of the seam too: the retry helper sleeps, and tests run
// those sleeps (and stalled servers) in virtual time.
class TimeSource {
public:
    virtual ~TimeSource() = default;
    virtual TimePoint now() = 0;
    virtual void sleep_until(TimePoint when) = 0;
};

}
