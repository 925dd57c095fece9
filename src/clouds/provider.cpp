#include "clouds/provider.h"

#include "clouds/values.h"
#include "common/format.h"


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
    std::string message = strf("%.*s: unexpected HTTP %d", int(what.size()), what.data(), response.status);
    // Redirects are never followed (the metadata service is one fixed
    // address); the target is shown, made printable and cut short.
    if (response.status >= 300 && response.status < 400)
        message += strf(" (redirect to '%s' not followed)", printable(response.header("Location").value_or("")).c_str());
    return Error::invalid(std::move(message));
}

Result<std::string> body_of(Result<http::Response> response, const std::string& what)
{
    if (response.is_error())
        return response.release_error().context(what);
    // 204 is a 200 with no content (RFC 9110 section 15.3.5).
    if (response->status == 200 || response->status == 204)
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

Result<InstanceMetadata> DocumentProvider::instance()
{
    InstanceMetadata instance;
    std::vector<http::Header> headers;
    if (m_service.header_name)
        headers.push_back({ m_service.header_name, m_service.header_value });
    auto body = TRY(body_of(m_session.send(http::Method::Get, m_service.path, std::move(headers), m_session.options().request_timeout), m_service.path));
    TRY(m_service.apply(body, instance, m_session.warnings()));
    // DataSourceHetzner: "SMBIOS serial does not match instance ID from
    // metadata" fails the datasource.
    auto const& serial = m_session.options().system_serial;
    if (m_service.serial_is_instance_id && !serial.empty() && instance.instance_id != serial)
        return Error::refused(concat({ m_service.path, ": instance id '", instance.instance_id, "' is not the DMI serial '", printable(serial), "'" }));
    instance.api_version = "v1";
    return instance;
}

Result<std::optional<std::string>> DocumentProvider::user_data()
{
    if (!m_service.user_data_path)
        return Provider::user_data();
    auto body = body_of(m_session.send(http::Method::Get, m_service.user_data_path, {}, m_session.options().request_timeout), m_service.user_data_path);
    std::optional<std::string> out;
    if (body.is_error() && body.error().kind() != ErrorKind::NotFound)
        return body.release_error();
    if (body.ok() && !body->empty())
        out = m_service.decode(body.release_value());
    return out;
}

}
