// `metaboot metadata`: fetch and print the instance metadata, without DHCP
// (on a machine whose network is already up, or in a namespace).
#include "cli/commands.h"
#include "cli/config.h"
#include "cli/exit_code.h"
#include "cli/report.h"
#include "cli/sandbox.h"
#include "clouds/fetch.h"
#include "clouds/registry.h"
#include "common/json_writer.h"
#include "fs/dmi.h"
#include "fs/small_file.h"
#include "model/instance_json.h"
#include "net/tcp_transport.h"

#include <cstdio>
#include <cstring>
#include <string>

namespace mb::cli {

namespace {

const char* usage_text =
    "usage: metaboot metadata [--metadata-url URL] [--provider CLOUD] [--sysfs DIR]\n"
    "                         [--crawl full] [--timeout SECONDS] [--json]\n";

// The model in the same JSON as the state directory's metadata.json, with
// this command's request statistics added at the top level.
void print_json(const Result<InstanceMetadata>& result, const clouds::FetchStats& stats, std::chrono::microseconds elapsed)
{
    JsonWriter json;
    json.open_object();
    if (result.ok()) {
        write_metadata_fields(json, *result);
    } else {
        json.field("error", result.error().message());
        json.field("error_kind", error_kind_name(result.error().kind()));
    }
    json.field("requests", uint64_t(stats.requests));
    json.field("connections", uint64_t(stats.connections));
    json.key("elapsed_ms");
    json.raw(std::to_string(elapsed.count() / 1000) + "." + std::to_string(elapsed.count() % 1000 / 100));
    json.key("timings");
    write_request_timings(json, stats);
    json.key("warnings");
    json.string_list(stats.warnings);
    json.close_object();
    std::printf("%s\n", json.release().c_str());
}

template<typename T>
std::string joined(const std::vector<T>& items)
{
    std::string out;
    for (auto const& item : items)
        out += (out.empty() ? "" : " ") + item.to_string();
    return out.empty() ? "-" : out;
}

void print_text(const InstanceMetadata& m, const clouds::FetchStats& stats)
{
    auto line = [](const char* key, const std::string& value) { std::printf("%-18s %s\n", key, value.empty() ? "-" : value.c_str()); };
    line("provider", m.cloud);
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

int metadata_command(const Args& args)
{
    Config config = default_config(Command::Metadata);
    if (auto parsed = parse_flags(Command::Metadata, config, args); parsed.is_error()) {
        std::fprintf(stderr, "metaboot metadata: %s\n%s", parsed.error().message().c_str(), usage_text);
        return ExitUsage;
    }
    if (config.help) {
        std::fputs(usage_text, stdout);
        return ExitOk;
    }
    PlatformFacts facts { fs::read_dmi(config.sysfs_root), fs::read_kernel_cmdline(config.cmdline_path) };
    const clouds::Cloud* cloud = config.cloud ? config.cloud : clouds::detect_cloud(facts);
    if (!cloud) {
        std::fprintf(stderr, "metaboot metadata: platform not recognised from DMI under %s; force one with --provider\n", config.sysfs_root.c_str());
        return ExitNoMetadata;
    }
    if (cloud->service_url && !config.metadata_url_given) {
        auto url = cloud->service_url(facts);
        if (url.is_error()) {
            std::fprintf(stderr, "metaboot metadata: %s\n", url.error().message().c_str());
            return ExitNoMetadata;
        }
        config.metadata_url = *url;
    } else if (cloud->ipv4_service && !config.metadata_url_given) {
        config.metadata_url = cloud->ipv4_service;
    }
    if (auto why_not = enter_sandbox(); !why_not.empty())
        std::fprintf(stderr, "metaboot metadata: %s\n", why_not.c_str());
    auto total = std::chrono::milliseconds(static_cast<long long>(config.timeout_seconds * 1000 + 0.5));
    clouds::FetchOptions options;
    options.base_url = config.metadata_url;
    options.crawl_full = config.crawl_full;
    options.pipelining = config.pipelining;
    if (!config.cloud)
        options.system_serial = facts.dmi.product_serial;
    options.request_timeout = std::min(options.request_timeout, total);
    options.token_put_timeout = std::min(options.token_put_timeout, total);

    net::TcpTransport transport;
    net::SystemTime time;
    clouds::FetchStats stats;
    auto started = time.now();
    auto result = clouds::fetch_metadata(*cloud, options, transport, time, started + total, stats);
    auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(time.now() - started);

    for (auto const& warning : stats.warnings)
        std::fprintf(stderr, "warning: %s\n", warning.c_str());
    if (config.json)
        print_json(result, stats, elapsed);
    if (result.is_error()) {
        std::fprintf(stderr, "metaboot metadata: no metadata: %s\n", result.error().message().c_str());
        return ExitNoMetadata;
    }
    if (!config.json)
        print_text(*result, stats);
    return ExitOk;
}

}
