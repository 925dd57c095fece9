#include "cli/metadata_command.h"

#include "common/text.h"
#include "http/request.h"
#include "metadata/fetch.h"
#include "fs/dmi.h"
#include "metadata/platform.h"
#include "net/tcp_transport.h"

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

// "10", "2.5", "0.25": seconds with at most three decimals.
std::optional<std::chrono::milliseconds> parse_seconds(std::string_view text)
{
    auto dot = text.find('.');
    auto whole = parse_decimal(text.substr(0, dot), 3600);
    if (!whole)
        return std::nullopt;
    uint64_t millis = *whole * 1000;
    if (dot != std::string_view::npos) {
        auto fraction = text.substr(dot + 1);
        if (fraction.empty() || fraction.size() > 3 || !parse_decimal(fraction))
            return std::nullopt;
        std::string padded(fraction);
        padded.resize(3, '0');
        millis += *parse_decimal(padded);
    }
    if (millis == 0)
        return std::nullopt;
    return std::chrono::milliseconds(millis);
}

// Streams JSON to stdout as it goes: no document built in memory, and one
// small function per value type (this command is for debugging; its code
// should cost little in a 400 KiB binary).
class JsonOut {
public:
    void open(const char* name, char bracket)
    {
        key(name);
        std::putchar(bracket);
        m_first = true;
    }
    void close(char bracket)
    {
        std::putchar(bracket);
        m_first = false;
    }
    void string(const char* name, std::string_view value)
    {
        key(name);
        quoted(value);
    }
    void optional_string(const char* name, bool present, const std::string& value)
    {
        if (present)
            string(name, value);
        else
            raw(name, "null");
    }
    void number(const char* name, uint64_t value)
    {
        key(name);
        std::printf("%llu", static_cast<unsigned long long>(value));
    }
    void optional_number(const char* name, const std::optional<uint32_t>& value)
    {
        if (value)
            number(name, *value);
        else
            raw(name, "null");
    }
    void key_value_ms(const char* name, std::chrono::microseconds value)
    {
        key(name);
        std::printf("%lld.%03lld", static_cast<long long>(value.count() / 1000), static_cast<long long>(value.count() % 1000));
    }
    void boolean(const char* name, bool value) { raw(name, value ? "true" : "false"); }
    void raw(const char* name, const char* text)
    {
        key(name);
        std::fputs(text, stdout);
    }
    template<typename T>
    void list(const char* name, const std::vector<T>& items)
    {
        open(name, '[');
        for (auto const& item : items)
            string(nullptr, item.to_string());
        close(']');
    }
    void strings(const char* name, const std::vector<std::string>& items)
    {
        open(name, '[');
        for (auto const& item : items)
            string(nullptr, item);
        close(']');
    }

private:
    // `name` is null inside arrays.
    void key(const char* name)
    {
        if (!m_first)
            std::fputs(", ", stdout);
        m_first = false;
        if (name) {
            quoted(name);
            std::fputs(": ", stdout);
        }
    }
    static void quoted(std::string_view text)
    {
        std::putchar('"');
        std::fputs(json_escape(text).c_str(), stdout);
        std::putchar('"');
    }

    bool m_first { true };
};

void route_json(JsonOut& out, const std::string& destination, const std::string& gateway)
{
    out.open(nullptr, '{');
    out.string("destination", destination);
    out.string("gateway", gateway);
    out.close('}');
}

void nic_json(JsonOut& out, const NicMetadata& nic)
{
    out.open(nullptr, '{');
    out.string("mac", nic.mac.to_string());
    out.optional_number("device_number", nic.device_number);
    out.optional_number("network_card", nic.network_card);
    out.optional_number("mtu", nic.mtu);
    out.boolean("ipv4_dhcp", nic.ipv4_dhcp);
    out.list("ipv4_addresses", nic.ipv4_addresses);
    out.optional_string("ipv4_subnet", nic.ipv4_subnet.has_value(), nic.ipv4_subnet ? nic.ipv4_subnet->to_string() : "");
    out.list("ipv4_vpc_blocks", nic.ipv4_vpc_blocks);
    out.optional_string("ipv4_gateway", nic.ipv4_gateway.has_value(), nic.ipv4_gateway ? nic.ipv4_gateway->to_string() : "");
    out.boolean("ipv6_dhcp", nic.ipv6_dhcp);
    out.boolean("ipv6_slaac", nic.ipv6_slaac);
    out.list("ipv6_addresses", nic.ipv6_addresses);
    out.list("ipv6_subnets", nic.ipv6_subnets);
    out.optional_string("ipv6_gateway", nic.ipv6_gateway.has_value(), nic.ipv6_gateway ? nic.ipv6_gateway->to_string() : "");
    out.open("routes", '[');
    for (auto const& route : nic.ipv4_routes)
        route_json(out, route.destination.to_string(), route.gateway.to_string());
    for (auto const& route : nic.ipv6_routes)
        route_json(out, route.destination.to_string(), route.gateway.to_string());
    out.close(']');
    out.list("dns", nic.dns_ipv4);
    out.list("dns6", nic.dns_ipv6);
    out.close('}');
}

void print_json(const Result<InstanceMetadata>& result, const metadata::FetchStats& stats, std::chrono::microseconds elapsed)
{
    JsonOut out;
    out.open(nullptr, '{');
    if (result.ok()) {
        auto const& m = *result;
        out.string("provider", provider_name(m.provider));
        out.string("api_version", m.api_version);
        out.string("instance_id", m.instance_id);
        out.string("instance_type", m.instance_type);
        out.string("local_hostname", m.local_hostname);
        out.string("hostname", m.hostname);
        out.string("region", m.region);
        out.string("availability_zone", m.availability_zone);
        out.optional_string("primary_mac", m.primary_mac.has_value(), m.primary_mac ? m.primary_mac->to_string() : "");
        out.boolean("has_network_data", m.has_network_data);
        out.open("nics", '[');
        for (auto const& nic : m.nics) {
            std::fputs("\n   ", stdout);
            nic_json(out, nic);
        }
        out.close(']');
        out.list("dns", m.dns_ipv4);
        out.list("dns6", m.dns_ipv6);
        out.strings("public_keys", m.public_keys);
        if (m.user_data)
            out.number("user_data_bytes", m.user_data->size());
        else
            out.raw("user_data_bytes", "null");
    } else {
        out.string("error", result.error().message());
        out.string("error_kind", error_kind_name(result.error().kind()));
    }
    std::fputs("\n ", stdout);
    out.number("requests", stats.requests);
    out.number("connections", stats.connections);
    out.key_value_ms("elapsed_ms", elapsed);
    out.open("timings", '[');
    for (auto const& t : stats.timings) {
        std::fputs("\n   ", stdout);
        out.open(nullptr, '{');
        out.string("method", t.method);
        out.string("path", t.path);
        out.number("status", unsigned(t.status));
        out.number("ms", t.milliseconds);
        out.close('}');
    }
    out.close(']');
    std::fputs("\n ", stdout);
    out.strings("warnings", stats.warnings);
    out.close('}');
    std::putchar('\n');
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
            auto parsed = parse_seconds(value);
            if (!parsed) {
                std::fprintf(stderr, "metaboot metadata: --timeout takes seconds (up to 3600, e.g. 2.5)\n%s", usage_text);
                return exit_usage;
            }
            total = *parsed;
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
