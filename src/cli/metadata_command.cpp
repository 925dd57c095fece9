#include "cli/metadata_command.h"

#include "cli/config.h"
#include "common/text.h"
#include "http/request.h"
#include "metadata/fetch.h"
#include "fs/dmi.h"
#include "metadata/platform.h"
#include "net/tcp_transport.h"
#include "render/metadata_json.h"

#include <cstdio>
#include <cstring>
#include <string>

namespace mb::cli {

namespace {

constexpr int exit_ok = 0;
constexpr int exit_usage = 1;
constexpr int exit_no_metadata = 3;

const char* usage_text =
    "usage: metaboot metadata [--metadata-url URL] [--provider ec2|openstack] [--sysfs DIR]\n"
    "                         [--crawl full] [--timeout SECONDS] [--json]\n";

// The model in the same JSON as the state directory's metadata.json, with
// this command's request statistics added at the top level.
void print_json(const Result<InstanceMetadata>& result, const metadata::FetchStats& stats, std::chrono::microseconds elapsed)
{
    std::string out;
    if (result.ok()) {
        out = render::metadata_to_json(*result);
        while (!out.empty() && out.back() != '}')
            out.pop_back();
        out.pop_back(); // the closing '}': the statistics follow
        out += ",";
    } else {
        out = "{\"error\":" + render::json_string(result.error().message()) + ",\"error_kind\":\""
            + error_kind_name(result.error().kind()) + "\",";
    }
    out += "\"requests\":" + std::to_string(stats.requests) + ",\"connections\":" + std::to_string(stats.connections);
    out += ",\"elapsed_ms\":" + std::to_string(elapsed.count() / 1000) + "." + std::to_string(elapsed.count() % 1000 / 100);
    out += ",\"timings\":[";
    for (size_t i = 0; i < stats.timings.size(); ++i) {
        auto const& t = stats.timings[i];
        out += std::string(i ? "," : "") + "{\"method\":" + render::json_string(t.method) + ",\"path\":" + render::json_string(t.path)
            + ",\"status\":" + std::to_string(t.status) + ",\"ms\":" + std::to_string(t.milliseconds) + "}";
    }
    out += "],\"warnings\":[";
    for (size_t i = 0; i < stats.warnings.size(); ++i)
        out += (i ? "," : "") + render::json_string(stats.warnings[i]);
    out += "]}\n";
    std::fputs(out.c_str(), stdout);
}

template<typename T>
std::string joined(const std::vector<T>& items)
{
    std::string out;
    for (auto const& item : items)
        out += (out.empty() ? "" : " ") + item.to_string();
    return out.empty() ? "-" : out;
}

void print_text(const InstanceMetadata& m, const metadata::FetchStats& stats)
{
    auto line = [](const char* key, const std::string& value) { std::printf("%-18s %s\n", key, value.empty() ? "-" : value.c_str()); };
    line("provider", provider_name(m.provider));
    line("api-version", m.api_version);
    line("instance-id", m.instance_id);
    line("instance-type", m.instance_type);
    line("local-hostname", m.local_hostname);
    line("hostname", m.hostname);
    line("region", m.region);
    line("availability-zone", m.availability_zone);
    line("primary-mac", m.primary_mac ? m.primary_mac->to_string() : "");
    line("network-data", m.has_network_data ? "yes" : "no");
    for (auto const& nic : m.nics) {
        std::printf("nic %s", nic.mac.to_string().c_str());
        if (nic.device_number)
            std::printf(" device-number %u", *nic.device_number);
        if (nic.network_card)
            std::printf(" network-card %u", *nic.network_card);
        if (nic.mtu)
            std::printf(" mtu %u", *nic.mtu);
        std::printf("\n");
        std::printf("  ipv4 %s%s\n", nic.ipv4_dhcp ? "dhcp " : "", joined(nic.ipv4_addresses).c_str());
        if (nic.ipv4_subnet)
            std::printf("  ipv4-subnet %s\n", nic.ipv4_subnet->to_string().c_str());
        if (!nic.ipv4_vpc_blocks.empty())
            std::printf("  ipv4-vpc %s\n", joined(nic.ipv4_vpc_blocks).c_str());
        if (nic.ipv4_gateway)
            std::printf("  ipv4-gateway %s\n", nic.ipv4_gateway->to_string().c_str());
        for (auto const& route : nic.ipv4_routes)
            std::printf("  route %s via %s\n", route.destination.to_string().c_str(), route.gateway.to_string().c_str());
        std::printf("  ipv6 %s%s%s\n", nic.ipv6_dhcp ? "dhcp " : "", nic.ipv6_slaac ? "slaac " : "", joined(nic.ipv6_addresses).c_str());
        if (!nic.ipv6_subnets.empty())
            std::printf("  ipv6-subnets %s\n", joined(nic.ipv6_subnets).c_str());
        if (nic.ipv6_gateway)
            std::printf("  ipv6-gateway %s\n", nic.ipv6_gateway->to_string().c_str());
        for (auto const& route : nic.ipv6_routes)
            std::printf("  route %s via %s\n", route.destination.to_string().c_str(), route.gateway.to_string().c_str());
        if (!nic.dns_ipv4.empty() || !nic.dns_ipv6.empty())
            std::printf("  dns %s %s\n", joined(nic.dns_ipv4).c_str(), joined(nic.dns_ipv6).c_str());
    }
    if (!m.dns_ipv4.empty() || !m.dns_ipv6.empty())
        std::printf("dns %s %s\n", joined(m.dns_ipv4).c_str(), joined(m.dns_ipv6).c_str());
    for (auto const& key : m.public_keys)
        std::printf("public-key %s\n", key.c_str());
    line("user-data", m.user_data ? std::to_string(m.user_data->size()) + " bytes" : "none");
    std::printf("requests %u over %u connection(s)\n", stats.requests, stats.connections);
}

}

int metadata_command(int argc, char** argv)
{
    metadata::FetchOptions options;
    std::optional<ProviderKind> forced;
    std::string sysfs = "/sys";
    std::chrono::milliseconds total { 10000 };
    bool json = false;

    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "--json") {
            json = true;
            continue;
        }
        if (arg == "--help" || arg == "-h") {
            std::fputs(usage_text, stdout);
            return exit_ok;
        }
        bool takes_value = arg == "--metadata-url" || arg == "--provider" || arg == "--sysfs" || arg == "--crawl" || arg == "--timeout";
        if (!takes_value) {
            std::fprintf(stderr, "metaboot metadata: unknown argument '%s'\n%s", argv[i], usage_text);
            return exit_usage;
        }
        if (i + 1 >= argc) {
            std::fprintf(stderr, "metaboot metadata: %s needs a value\n%s", argv[i], usage_text);
            return exit_usage;
        }
        std::string_view value = argv[++i];
        if (arg == "--metadata-url") {
            options.base_url = std::string(value);
        } else if (arg == "--sysfs") {
            sysfs = std::string(value);
        } else if (arg == "--provider") {
            if (value == "ec2") {
                forced = ProviderKind::Ec2;
            } else if (value == "openstack") {
                forced = ProviderKind::OpenStack;
            } else {
                std::fprintf(stderr, "metaboot metadata: --provider takes ec2 or openstack\n%s", usage_text);
                return exit_usage;
            }
        } else if (arg == "--crawl") {
            if (value != "full") {
                std::fprintf(stderr, "metaboot metadata: --crawl takes 'full'\n%s", usage_text);
                return exit_usage;
            }
            options.crawl_full = true;
        } else {
            auto parsed = parse_timeout(value);
            if (parsed.is_error()) {
                std::fprintf(stderr, "metaboot metadata: --timeout takes seconds (up to 3600, e.g. 2.5)\n%s", usage_text);
                return exit_usage;
            }
            total = std::chrono::milliseconds(static_cast<long long>(*parsed * 1000 + 0.5));
        }
    }
    if (auto url = http::Url::parse(options.base_url); url.is_error()) {
        std::fprintf(stderr, "metaboot metadata: %s\n", url.error().message().c_str());
        return exit_usage;
    }

    if (!forced) {
        auto platform = metadata::classify_platform(fs::read_dmi(sysfs));
        forced = metadata::provider_for(platform);
        if (!forced) {
            std::fprintf(stderr, "metaboot metadata: platform not recognised from DMI under %s; force one with --provider\n", sysfs.c_str());
            return exit_no_metadata;
        }
    }
    options.provider = *forced;
    options.request_timeout = std::min(options.request_timeout, total);
    options.token_put_timeout = std::min(options.token_put_timeout, total);

    net::TcpTransport transport;
    net::SystemTime time;
    metadata::FetchStats stats;
    auto started = time.now();
    auto result = metadata::fetch_metadata(options, transport, time, started + total, stats);
    auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(time.now() - started);

    for (auto const& warning : stats.warnings)
        std::fprintf(stderr, "warning: %s\n", warning.c_str());
    if (json)
        print_json(result, stats, elapsed);
    if (result.is_error()) {
        std::fprintf(stderr, "metaboot metadata: no metadata: %s\n", result.error().message().c_str());
        return exit_no_metadata;
    }
    if (!json)
        print_text(*result, stats);
    return exit_ok;
}

}
