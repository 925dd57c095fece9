#include "metadata/provider.h"

#include "metadata/ec2.h"
#include "metadata/openstack.h"
#include "metadata/values.h"

#include <memory>

namespace mb::metadata {

Session::Session(http::Client& client, const FetchOptions& options, std::string path_prefix, FetchStats& stats)
    : m_client(client)
    , m_options(options)
    , m_path_prefix(std::move(path_prefix))
    , m_stats(stats)
    , m_seed(uint64_t(client.time().now().time_since_epoch().count()))
{
}

Result<http::Response> Session::send(http::Method method, std::string_view path, std::vector<http::Header> headers, http::Milliseconds timeout)
{
    http::Request request { method, m_path_prefix + std::string(path), std::move(headers) };
    http::Retrier retrier({}, m_client.time(), m_client.run_deadline(), ++m_seed);
    auto result = retrier.run([&] { return m_client.send(request, timeout); });
    // GETs only: the PUT's body is the IMDSv2 token, a credential that has
    // no place in the cache.
    if (method == http::Method::Get && result.ok() && result->status == 200)
        m_raw.emplace_back(std::string(path), result->body);
    return result;
}

Error status_error(std::string_view what, const http::Response& response)
{
    std::string message = std::string(what) + ": unexpected HTTP " + std::to_string(response.status);
    // Redirects are never followed (the metadata service is one fixed
    // address); the target is shown, made printable and cut short.
    if (response.status >= 300 && response.status < 400)
        message += " (redirect to '" + printable(response.header("Location").value_or("")) + "' not followed)";
    return Error::invalid(std::move(message));
}

namespace {

void fill_stats(const http::Client& client, FetchStats& stats)
{
    stats.requests = unsigned(client.records().size());
    stats.connections = 0;
    stats.timings.clear();
    for (auto const& record : client.records()) {
        if (!record.reused_connection)
            ++stats.connections;
        stats.timings.push_back({ http::method_name(record.method), record.target, record.status, unsigned((record.elapsed.count() + 500) / 1000) });
    }
}

Result<InstanceMetadata> fetch_with(Provider& provider, Session& session)
{
    auto instance = TRY(provider.instance());

    auto keys = provider.public_keys();
    if (keys.ok())
        instance.public_keys = keys.release_value();
    else if (keys.error().kind() != ErrorKind::Unsupported)
        return keys.release_error().context("public keys");

    // User-data is not needed for the network: an oversize one (AWS caps it
    // at 16 KiB, so this is a broken or hostile service) is dropped rather
    // than failing the boot.
    auto user_data = provider.user_data();
    // User-data is not what the network config is made from: when it cannot
    // be had (too large, malformed, cut off), the run goes on without it and
    // says so, rather than costing the instance its network config.
    if (user_data.ok())
        instance.user_data = user_data.release_value();
    else if (user_data.error().kind() != ErrorKind::Unsupported)
        session.warn("dropping user-data: " + user_data.error().message());

    instance.raw = session.take_raw();
    return instance;
}

}

Result<InstanceMetadata> fetch_metadata(const FetchOptions& options, http::Transport& transport, http::TimeSource& time, http::TimePoint deadline, FetchStats& stats)
{
    auto url = TRY(http::Url::parse(options.base_url));
    http::Client client(transport, time, url.endpoint, deadline);
    Session session(client, options, url.path_prefix, stats);
    std::unique_ptr<Provider> provider;
    switch (options.provider) {
    case ProviderKind::Ec2:
        provider = std::make_unique<Ec2Provider>(session);
        break;
    case ProviderKind::OpenStack:
        provider = std::make_unique<OpenStackProvider>(session);
        break;
    }
    auto result = fetch_with(*provider, session);
    client.close();
    fill_stats(client, stats);
    return result;
}

Result<std::optional<std::string>> optional_body(Result<std::string> body)
{
    if (body.ok())
        return std::optional<std::string>(body.release_value());
    if (body.error().kind() == ErrorKind::NotFound)
        return std::optional<std::string>();
    return body.release_error();
}

}
