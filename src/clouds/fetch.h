// The metadata layer's entry point: fetch what the cloud says about this
// instance, through one HTTP connection, before a deadline.
#pragma once

#include "common/result.h"
#include "http/transport.h"
#include "model/instance.h"

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace mb::clouds {

struct FetchOptions {
    // http://IPv4[:port][/prefix]; see http::Url::parse.
    std::string base_url { "http://169.254.169.254" };
    // Fetch the cloud's whole tree, where it has one (EC2's meta-data/, as
    // cloud-init does), instead of the keys metaboot needs.
    bool crawl_full { false };
    // Independent requests pipelined on the keep-alive connection (see
    // Session::send_batch); off: each request waits for the one before.
    bool pipelining { true };
    std::chrono::milliseconds request_timeout { 2000 };
    // How long a session-token request (EC2's IMDSv2 PUT) may take before
    // the provider assumes a service without tokens.
    std::chrono::milliseconds token_put_timeout { 1000 };
    // Token lifetime asked for; the run is seconds long, but EC2 requires
    // 1..21600.
    unsigned token_ttl_seconds { 21600 };
    // The DMI system serial when DMI chose the cloud (empty with
    // --provider): a service that names the machine it describes is
    // checked against it, as cloud-init checks Hetzner's instance id.
    std::string system_serial;
    // The kernel command line, for a service it adds to (NoCloud's h= and i=).
    std::string cmdline;
};

struct RequestTiming {
    std::string method;
    std::string path;
    int status { 0 }; // 0: no response
    unsigned milliseconds { 0 };
};

struct FetchStats {
    unsigned requests { 0 };
    unsigned connections { 0 };
    std::vector<RequestTiming> timings;
    // Values dropped, fallbacks taken. No logging policy here: the caller
    // decides where these go.
    std::vector<std::string> warnings;
};

struct Cloud;

// Fetches from `cloud`'s provider; the result's `cloud` is its name. Fills `stats` on every path,
// errors included. Errors: Error::refused (EC2 IMDS disabled), Error::timeout
// (deadline), Error::io (no service), Error::invalid (malformed answers),
// Error::unsupported (no usable API version).
Result<InstanceMetadata> fetch_metadata(const Cloud& cloud, const FetchOptions& options, http::Transport& transport, http::TimeSource& time, http::TimePoint deadline, FetchStats& stats);

}
