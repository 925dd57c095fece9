#include "clouds/fetch.h"

#include "clouds/cloud.h"
#include "clouds/provider.h"

namespace mb::clouds {

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

Result<InstanceMetadata> fetch_metadata(const Cloud& cloud, const FetchOptions& options, http::Transport& transport, http::TimeSource& time, http::TimePoint deadline, FetchStats& stats)
{
    auto url = TRY(http::Url::parse(options.base_url));
    url.endpoint.privileged_source_port = cloud.privileged_source_port;
    http::Client client(transport, time, url.endpoint, deadline);
    Session session(client, options, url.path_prefix, stats);
    auto provider = cloud.make_provider(session);
    auto result = fetch_with(*provider, session);
    if (result.ok())
        result->cloud = std::string(cloud.name);
    client.close();
    fill_stats(client, stats);
    return result;
}

}
