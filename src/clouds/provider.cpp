#include "clouds/provider.h"


namespace mb::clouds {

Session::Session(http::Client& client, const FetchOptions& options, std::string path_prefix, FetchStats& stats)
    : m_client(client)
    , m_options(options)
    , m_path_prefix(std::move(path_prefix))
    , m_stats(stats)
    , m_seed(uint64_t(client.time().now().time_since_epoch().count()))
{
}

Result<http::Response> Session::send(http::Method method, std::string_view path, std::vector<http::Header> headers, http::Milliseconds timeout,
    const http::RetryPolicy& policy)
{
    http::Request request { method, m_path_prefix + std::string(path), std::move(headers) };
    http::Retrier retrier(policy, m_client.time(), m_client.run_deadline(), ++m_seed);
    auto result = retrier.run([&] { return m_client.send(request, timeout); });
    keep_raw(method, path, result);
    return result;
}

void Session::keep_raw(http::Method method, std::string_view path, const Result<http::Response>& result)
{
    // GETs only: the PUT's body is the IMDSv2 token, a credential that has
    // no place in the cache.
    if (method == http::Method::Get && result.ok() && result->status == 200)
        m_raw.emplace_back(std::string(path), result->body);
}

std::vector<Result<http::Response>> Session::send_batch(http::Method method, std::span<const std::string> paths, const std::vector<http::Header>& headers,
    http::Milliseconds timeout, const http::RetryPolicy& policy)
{
    std::vector<Result<http::Response>> results;
    if (m_options.pipelining && paths.size() > 1) {
        std::vector<http::Request> requests;
        for (auto const& path : paths)
            requests.push_back({ method, m_path_prefix + path, headers });
        results = m_client.send_pipelined(requests, timeout);
    } else {
        results.assign(paths.size(), Error::io("not sent yet"));
    }
    for (size_t i = 0; i < paths.size(); ++i) {
        if (i > 0 && results[i - 1].is_error() && results[i - 1].error().kind() == ErrorKind::Timeout) {
            results[i] = results[i - 1].error();
            continue;
        }
        if (http::is_retryable(results[i], policy.absent))
            results[i] = send(method, paths[i], headers, timeout, policy);
        else
            keep_raw(method, paths[i], results[i]);
    }
    return results;
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

Result<std::string> body_of(Result<http::Response> response, const std::string& what)
{
    if (response.is_error())
        return response.release_error().context(what);
    if (response->status == 200)
        return std::move(response->body);
    if (response->status == 404)
        return Error::not_found(what + ": 404");
    return status_error(what, *response);
}

Result<std::optional<std::string>> optional_body(Result<std::string> body)
{
    if (body.ok())
        return std::optional<std::string>(body.release_value());
    if (body.error().kind() == ErrorKind::NotFound)
        return std::optional<std::string>();
    return body.release_error();
}

Result<InstanceMetadata> instance_from_document(Result<std::string> body, DocumentProvider::Apply apply, std::vector<std::string>& warnings, const char* version)
{
    InstanceMetadata instance;
    TRY(apply(TRY(std::move(body)), instance, warnings));
    instance.api_version = version;
    return instance;
}

Result<InstanceMetadata> DocumentProvider::instance()
{
    return instance_from_document(body_of(m_session.send(http::Method::Get, m_path, {}, m_session.options().request_timeout), m_path), m_apply,
        m_session.warnings(), "v1");
}

Result<std::optional<std::string>> DocumentProvider::user_data()
{
    if (!m_user_data_path)
        return Provider::user_data();
    return optional_body(body_of(m_session.send(http::Method::Get, m_user_data_path, {}, m_session.options().request_timeout), m_user_data_path));
}

}
