// The provider interface and the session the providers fetch through.
//
// One provider per cloud (src/clouds/<name>/provider.cpp), each constructed
// on a Session, which is the only thing that talks HTTP. Methods a provider does
// not implement answer Error::unsupported, so the caller can tell "this
// cloud has no such thing" from "fetching it failed" (the afterburn shape).
#pragma once

#include "http/client.h"
#include "http/retry.h"
#include "clouds/fetch.h"
#include "common/text.h"
#include "model/instance.h"

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mb::clouds {

class Session {
public:
    Session(http::Client& client, const FetchOptions& options, std::string path_prefix, FetchStats& stats);

    const FetchOptions& options() const { return m_options; }

    // One request to `path` (the URL's path prefix goes in front), retried by
    // the one retry helper for connection failures, 5xx and 429. A 200 body
    // is kept for the raw cache. `policy` is the cloud's, where it differs.
    Result<http::Response> send(http::Method method, std::string_view path, std::vector<http::Header> headers, http::Milliseconds timeout,
        const http::RetryPolicy& policy = {});

    // Requests that do not depend on each other's answers, pipelined on the
    // one connection when the options allow (one round trip for all), else
    // sent one by one. One outcome per path, as send() gives it: an answer
    // the retry policy would not accept, or a request the connection did not
    // answer, is sent again on its own through send(). After a timeout the
    // rest are not sent: the deadline that expired was theirs too.
    std::vector<Result<http::Response>> send_batch(http::Method method, std::span<const std::string> paths, const std::vector<http::Header>& headers,
        http::Milliseconds timeout, const http::RetryPolicy& policy = {});

    void warn(std::string message) { m_stats.warnings.push_back(std::move(message)); }
    std::vector<std::string>& warnings() { return m_stats.warnings; }
    std::vector<std::pair<std::string, std::string>> take_raw() { return std::move(m_raw); }

private:
    void keep_raw(http::Method method, std::string_view path, const Result<http::Response>& result);

    http::Client& m_client;
    const FetchOptions& m_options;
    std::string m_path_prefix;
    FetchStats& m_stats;
    uint64_t m_seed;
    std::vector<std::pair<std::string, std::string>> m_raw;
};

class Provider {
public:
    virtual ~Provider() = default;

    // Identity and network: the part metaboot exists for.
    virtual Result<InstanceMetadata> instance() { return Error::unsupported("no instance data from this provider"); }
    // OpenSSH public keys, each one validated line.
    virtual Result<std::vector<std::string>> public_keys() { return Error::unsupported("no public keys from this provider"); }
    // User data; an empty optional when the service says there is none.
    virtual Result<std::optional<std::string>> user_data() { return Error::unsupported("no user-data from this provider"); }
};

// A service that answers the whole instance in one document (JSON, or
// Hetzner's YAML) with one GET: DigitalOcean's and UpCloud's
// /metadata/v1.json, Vultr's /v1.json, Hetzner's /hetzner/v1/metadata. The
// cloud describes it as data and needs no class of its own.
struct DocumentService {
    using Apply = Status (*)(std::string_view text, InstanceMetadata& instance, std::vector<std::string>& warnings);

    const char* path;
    Apply apply;
    // The one header sent (Vultr's Metadata-Token), when not null.
    const char* header_name { nullptr };
    const char* header_value { nullptr };
    // The instance id must be the DMI serial, when that is known
    // (FetchOptions::system_serial): cloud-init's Hetzner check.
    bool serial_is_instance_id { false };
    // User-data at a path of its own (404, 204 or empty: none), passed
    // through `decode` (required with it); null: it is in the document, or
    // there is none.
    const char* user_data_path { nullptr };
    std::string (*decode)(std::string body) { nullptr };
};

class DocumentProvider final : public Provider {
public:
    DocumentProvider(Session& session, const DocumentService& service)
        : m_session(session)
        , m_service(service)
    {
    }

    Result<InstanceMetadata> instance() override;
    Result<std::optional<std::string>> user_data() override;

private:
    Session& m_session;
    const DocumentService& m_service;
};

// "GET path: HTTP 500" style error for an unexpected status.
Error status_error(std::string_view what, const http::Response& response);

// A GET's outcome as a body: 200 is the body (204 an empty one), 404 is Error::not_found
// ("absent", which callers keep apart from "failed"), a failed exchange or
// any other status is an error naming `what`.
Result<std::string> body_of(Result<http::Response> response, const std::string& what);

// A body that may be absent: 404 (Error::not_found) is "none", not a failure.
Result<std::optional<std::string>> optional_body(Result<std::string> body);

}
