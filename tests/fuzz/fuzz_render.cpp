// Fuzz target: an instance model and a system NIC list built from the input,
// mapped and rendered to netplan, ifupdown, networkd and NetworkManager
// keyfiles (with their .link files). Whatever the input, each
// rendered line must be one of the forms the renderers are meant to write,
// every quoted or bare value made only of the characters an address, number
// or validated name can hold; and rendering is deterministic. Anything else
// traps. Also fuzzes metadata_to_json for crashes.
//
//   clang++-19 -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -Isrc \
//     tests/fuzz/fuzz_render.cpp src/render/*.cpp src/model/*.cpp src/clouds/*.cpp src/clouds/*/*.cpp src/http/*.cpp src/common/*.cpp -o /tmp/fzr
//   /tmp/fzr -max_total_time=30 tests/fuzz/corpus/render
#include "clouds/registry.h"
#include "common/bytes.h"
#include "common/text.h"
#include "render/ifupdown.h"
#include "model/instance_json.h"
#include "render/netplan.h"
#include "render/networkd.h"
#include "render/networkmanager.h"
#include "model/network_config.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

using namespace mb;
using namespace mb::render;

namespace {

class Input {
public:
    Input(const uint8_t* data, size_t size)
        : m_reader(ByteSpan(data, size))
    {
    }
    uint8_t byte() { return m_reader.read_u8(); }
    uint32_t u32() { return m_reader.read_u32(); }
    bool flag() { return byte() & 1; }
    bool ok() const { return m_reader.ok(); }

    MacAddress mac()
    {
        // Few distinct MACs, so metadata and system NICs often match.
        uint8_t b = byte();
        return MacAddress({ 0x06, 0, 0, 0, uint8_t(b >> 4), uint8_t(b & 0x0f) });
    }
    Ipv4Address ipv4() { return Ipv4Address(u32()); }
    Ipv6Address ipv6()
    {
        std::array<uint8_t, 16> bytes {};
        for (auto& b : bytes)
            b = byte();
        return Ipv6Address(bytes);
    }
    Ipv4Prefix ipv4_prefix() { return Ipv4Prefix(ipv4(), uint8_t(byte() % 33)); }
    Ipv6Prefix ipv6_prefix() { return Ipv6Prefix(ipv6(), uint8_t(byte() % 129)); }
    template<typename T>
    std::optional<T> maybe(T value)
    {
        return flag() ? std::optional<T>(value) : std::nullopt;
    }
    std::string text()
    {
        size_t length = byte() % 20;
        std::string out;
        for (size_t i = 0; i < length; ++i)
            out += char(byte());
        return out;
    }
    size_t count(size_t max) { return byte() % (max + 1); }

private:
    ByteReader m_reader;
};

NicMetadata make_nic(Input& in)
{
    NicMetadata nic;
    nic.mac = in.mac();
    nic.device_number = in.maybe(uint32_t(in.byte() % 20));
    nic.network_card = in.maybe(uint32_t(in.byte() % 3));
    nic.mtu = in.maybe(in.u32());
    nic.ipv4_dhcp = in.flag();
    for (size_t i = in.count(3); i > 0; --i)
        nic.ipv4_addresses.push_back(in.ipv4_prefix());
    nic.ipv4_subnet = in.maybe(in.ipv4_prefix());
    for (size_t i = in.count(2); i > 0; --i)
        nic.ipv4_routes.push_back(Ipv4Route { in.ipv4_prefix(), in.ipv4(), in.maybe(in.u32()) });
    nic.ipv4_gateway = in.maybe(in.ipv4());
    nic.ipv6_dhcp = in.flag();
    nic.ipv6_slaac = in.flag();
    for (size_t i = in.count(3); i > 0; --i)
        nic.ipv6_addresses.push_back(in.ipv6_prefix());
    for (size_t i = in.count(2); i > 0; --i)
        nic.ipv6_subnets.push_back(in.ipv6_prefix());
    for (size_t i = in.count(1); i > 0; --i)
        nic.ipv6_routes.push_back(Ipv6Route { in.ipv6_prefix(), in.ipv6(), in.maybe(in.u32()) });
    nic.ipv6_gateway = in.maybe(in.ipv6());
    for (size_t i = in.count(2); i > 0; --i)
        nic.dns_ipv4.push_back(in.ipv4());
    for (size_t i = in.count(1); i > 0; --i)
        nic.dns_ipv6.push_back(in.ipv6());
    return nic;
}

bool is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

bool is_address_char(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == '.' || c == ':' || c == '/';
}

bool all_of(std::string_view text, bool (*predicate)(char))
{
    if (text.empty())
        return false;
    for (char c : text) {
        if (!predicate(c))
            return false;
    }
    return true;
}

bool is_number(std::string_view text)
{
    return all_of(text, [](char c) { return c >= '0' && c <= '9'; });
}

bool is_address(std::string_view text)
{
    return all_of(text, is_address_char);
}

bool is_name(std::string_view text)
{
    return all_of(text, is_name_char);
}

bool is_quoted(std::string_view text, bool (*check)(std::string_view))
{
    return text.size() >= 2 && text.front() == '"' && text.back() == '"' && check(text.substr(1, text.size() - 2));
}

bool starts_with(std::string_view text, std::string_view prefix)
{
    return text.substr(0, prefix.size()) == prefix;
}

void check(bool condition)
{
    if (!condition)
        __builtin_trap();
}

std::vector<std::string_view> lines_of(std::string_view text)
{
    check(!text.empty() && text.back() == '\n');
    std::vector<std::string_view> lines;
    while (!text.empty()) {
        size_t newline = text.find('\n');
        lines.push_back(text.substr(0, newline));
        text.remove_prefix(newline + 1);
    }
    return lines;
}

bool is_header(std::string_view line)
{
    return std::string_view(generated_header).find(std::string(line) + "\n") != std::string_view::npos && starts_with(line, "#");
}

void check_netplan(std::string_view text)
{
    for (auto line : lines_of(text)) {
        if (is_header(line))
            continue;
        size_t indent = line.find_first_not_of(' ');
        check(indent != std::string_view::npos && indent % 2 == 0);
        std::string_view body = line.substr(indent);
        if (body == "network:" || body == "version: 2" || body == "ethernets:" || body == "ethernets: {}" || body == "match:"
            || body == "dhcp4-overrides:" || body == "dhcp6-overrides:" || body == "addresses:" || body == "routes:"
            || body == "routing-policy:" || body == "nameservers:" || body == "search:")
            continue;
        if (body.back() == ':' && is_quoted(body.substr(0, body.size() - 1), is_name))
            continue; // an interface key
        size_t colon = body.find(": ");
        if (starts_with(body, "- ") && colon == std::string_view::npos) {
            // A list item: an address or a search domain.
            check(is_quoted(body.substr(2), is_address) || is_quoted(body.substr(2), is_name));
            continue;
        }
        check(colon != std::string_view::npos);
        std::string_view key = body.substr(0, colon);
        std::string_view value = body.substr(colon + 2);
        if (key == "macaddress" || key == "- to" || key == "via" || key == "- from")
            check(is_quoted(value, is_address));
        else if (key == "set-name")
            check(is_quoted(value, is_name));
        else if (key == "mtu" || key == "route-metric" || key == "metric" || key == "table")
            check(is_number(value));
        else if (key == "dhcp4" || key == "dhcp6" || key == "accept-ra" || key == "use-routes")
            check(value == "true" || value == "false");
        else
            check(false);
    }
}

// The DHCPv6 stanza's shell lines, rebuilt from the stanza's (checked)
// interface name: nothing but the name may vary in them.
bool is_dhcp6_command(std::string_view line, const std::string& name)
{
    std::string files = " -pf /run/dhclient6." + name + ".pid -lf /var/lib/dhcp/dhclient6." + name + ".leases -I -df /var/lib/dhcp/dhclient." + name
        + ".leases " + name;
    if (line == "    pre-up echo 1 > /proc/sys/net/ipv6/conf/" + name + "/accept_ra" || line == "    pre-up echo 0 > /proc/sys/net/ipv6/conf/" + name + "/accept_ra"
        || line == "    up ip link set dev " + name + " up" || line == "    down dhclient -6 -r" + files + " || true")
        return true;
    std::string start = "    up (/lib/ifupdown/wait-for-ll6.sh && exec dhclient -6";
    std::string end = files + ") </dev/null >/dev/null 2>&1 &";
    if (!starts_with(line, start) || line.size() < start.size() + end.size() || line.substr(line.size() - end.size()) != end)
        return false;
    std::string_view middle = line.substr(start.size(), line.size() - start.size() - end.size());
    return middle.empty() || (starts_with(middle, " -e IF_METRIC=") && is_number(middle.substr(14)));
}

void check_ifupdown(std::string_view text)
{
    std::string current;
    for (auto line : lines_of(text)) {
        if (line.empty() || is_header(line))
            continue;
        std::vector<std::string_view> words;
        std::string_view rest = line;
        bool option = starts_with(rest, "    ");
        while (!rest.empty()) {
            size_t start = rest.find_first_not_of(' ');
            if (start == std::string_view::npos)
                break;
            rest.remove_prefix(start);
            size_t end = rest.find(' ');
            words.push_back(rest.substr(0, end));
            rest.remove_prefix(end == std::string_view::npos ? rest.size() : end);
        }
        check(!words.empty());
        if (!option) {
            if (words[0] == "auto") {
                check(words.size() == 2 && is_name(words[1]));
            } else {
                check(words[0] == "iface" && words.size() == 4 && is_name(words[1]));
                check(words[2] == "inet" || words[2] == "inet6");
                check(words[3] == "dhcp" || words[3] == "static" || words[3] == "auto" || words[3] == "manual" || words[3] == "loopback");
                current = std::string(words[1]);
            }
            continue;
        }
        if (is_dhcp6_command(line, current))
            continue;
        std::string_view key = words[0];
        if (key == "address") {
            check(words.size() == 2 && is_address(words[1]));
        } else if (key == "metric" || key == "accept_ra" || key == "dhcp" || key == "mtu") {
            check(words.size() == 2 && is_number(words[1]));
        } else if (key == "dns-nameservers") {
            for (size_t i = 1; i < words.size(); ++i)
                check(is_address(words[i]));
        } else if (key == "dns-search") {
            for (size_t i = 1; i < words.size(); ++i)
                check(is_name(words[i]));
        } else if (key == "pre-up" || key == "post-up" || key == "pre-down") {
            // `ip` commands: every word a keyword, a number, an address or a name.
            check(words.size() >= 4 && words[1] == "ip");
            for (size_t i = 2; i < words.size(); ++i) {
                std::string_view word = words[i];
                check(word == "||" || word == "-4" || word == "-6" || is_name(word) || is_address(word));
                check(word.front() != '-' || word == "-4" || word == "-6");
            }
        } else {
            check(false);
        }
    }
}

bool is_domain_list(std::string_view text)
{
    for (size_t start = 0;;) {
        size_t space = text.find(' ', start);
        if (!is_name(text.substr(start, space - start)))
            return false;
        if (space == std::string_view::npos)
            return true;
        start = space + 1;
    }
}

void check_networkd(const std::vector<FileContent>& files)
{
    static const std::string_view sections[] = { "[Match]", "[Link]", "[Network]", "[Route]", "[RoutingPolicyRule]", "[DHCPv4]", "[IPv6AcceptRA]" };
    for (const auto& file : files) {
        std::string_view path = file.path;
        std::string_view prefix = "etc/systemd/network/10-cloud-init-";
        check(file.mode == 0644 && starts_with(path, prefix));
        path.remove_prefix(prefix.size());
        size_t dot = path.rfind('.');
        check(dot != std::string_view::npos && is_name(path.substr(0, dot)));
        check(path.substr(dot) == ".network" || path.substr(dot) == ".link");
        for (auto line : lines_of(file.text)) {
            if (line.empty() || is_header(line))
                continue;
            bool known_section = false;
            for (auto section : sections)
                known_section = known_section || line == section;
            if (known_section)
                continue;
            size_t equals = line.find('=');
            check(equals != std::string_view::npos);
            std::string_view key = line.substr(0, equals);
            std::string_view value = line.substr(equals + 1);
            if (key == "PermanentMACAddress" || key == "Address" || key == "DNS" || key == "Destination" || key == "Gateway" || key == "From")
                check(is_address(value));
            else if (key == "Name")
                check(is_name(value));
            else if (key == "MTUBytes" || key == "Metric" || key == "Table" || key == "RouteMetric")
                check(is_number(value));
            else if (key == "Domains")
                check(is_domain_list(value));
            else if (key == "DHCP")
                check(value == "yes" || value == "ipv4" || value == "ipv6");
            else if (key == "IPv6AcceptRA")
                check(value == "yes" || value == "no");
            else
                check((key == "LinkLocalAddressing" && value == "ipv6") || (key == "KeepConfiguration" && value == "yes")
                    || (key == "Scope" && value == "link") || (key == "UseMTU" && value == "true") || (key == "UseRoutes" && value == "false")
                    || (key == "WakeOnLan" && value == "off"));
        }
    }
}

// A keyfile: the header, `[section]` lines of the four settings written, a
// blank line before each but the first, and `key=value` lines whose key is
// one the renderer writes and whose value is made of the characters that
// key's value can hold. A .link file: the lines render_systemd_link writes.
void check_keyfile(std::string_view text)
{
    std::string_view section;
    bool blank = false;
    for (auto line : lines_of(text)) {
        if (is_header(line))
            continue;
        if (line.empty()) {
            check(!blank && !section.empty());
            blank = true;
            continue;
        }
        if (line.front() == '[') {
            check(blank == !section.empty());
            blank = false;
            section = line;
            check(section == "[connection]" || section == "[ethernet]" || section == "[ipv4]" || section == "[ipv6]");
            continue;
        }
        check(!blank && !section.empty());
        size_t equals = line.find('=');
        check(equals != std::string_view::npos);
        std::string_view key = line.substr(0, equals);
        std::string_view value = line.substr(equals + 1);
        auto numbered = [&](std::string_view prefix, std::string_view suffix = {}) {
            if (!starts_with(key, prefix) || key.size() <= prefix.size() + suffix.size() || key.substr(key.size() - suffix.size()) != suffix)
                return false;
            return is_number(key.substr(prefix.size(), key.size() - prefix.size() - suffix.size()));
        };
        auto list_of = [&](bool (*item)(std::string_view)) {
            check(!value.empty() && value.back() == ';');
            for (auto part : split(value.substr(0, value.size() - 1), ';'))
                check(item(part));
        };
        if (section == "[connection]") {
            if (key == "id")
                check(starts_with(value, "cloud-init ") && is_name(value.substr(11)));
            else if (key == "type")
                check(value == "ethernet");
            else if (key == "interface-name")
                check(is_name(value));
            else
                check(key == "autoconnect-priority" && value == "120");
        } else if (section == "[ethernet]") {
            check((key == "mac-address" && is_address(value)) || (key == "mtu" && is_number(value)));
        } else if (key == "method") {
            check(value == "auto" || value == "manual" || value == "dhcp" || (section == "[ipv4]" ? value == "disabled" : value == "ignore"));
        } else if (numbered("address")) {
            check(is_address(value) && value.find('/') != std::string_view::npos);
        } else if (numbered("route", "_options")) {
            check(starts_with(value, "table=") && is_number(value.substr(6)));
        } else if (numbered("route")) {
            // dest/plen[,gateway[,metric]], the gateway empty before a metric
            auto parts = split(value, ',');
            check(parts.size() <= 3 && is_address(parts[0]) && parts[0].find('/') != std::string_view::npos);
            if (parts.size() >= 2)
                check(is_address(parts[1]) || (parts[1].empty() && parts.size() == 3));
            if (parts.size() == 3)
                check(is_number(parts[2]));
        } else if (numbered("routing-rule")) {
            auto words = split(value, ' ');
            check(words.size() == 6 && words[0] == "priority" && words[1] == "32765" && words[2] == "from" && is_address(words[3])
                && words[4] == "table" && is_number(words[5]));
        } else if (key == "route-metric") {
            check(is_number(value));
        } else if (key == "ignore-auto-routes" || key == "never-default") {
            check(value == "true");
        } else if (key == "may-fail") {
            check(value == "true" || value == "false");
        } else if (key == "dns") {
            list_of(is_address);
        } else if (key == "dns-search") {
            list_of(is_name);
        } else {
            check(false);
        }
    }
    check(section == "[ipv6]");
}

void check_link(std::string_view text)
{
    for (auto line : lines_of(text)) {
        if (is_header(line) || line.empty() || line == "[Match]" || line == "[Link]" || line == "WakeOnLan=off")
            continue;
        if (starts_with(line, "PermanentMACAddress="))
            check(is_address(line.substr(20)));
        else
            check(starts_with(line, "Name=") && is_name(line.substr(5)));
    }
}

void check_networkmanager(const std::vector<FileContent>& files, const NetworkConfig& config)
{
    size_t keyfiles = 0;
    for (const auto& file : files) {
        if (starts_with(file.path, "c/cloud-init-")) {
            check(file.mode == 0600 && file.path.ends_with(".nmconnection") && is_name(file.path.substr(13, file.path.size() - 13 - 13)));
            check_keyfile(file.text);
            ++keyfiles;
        } else {
            check(starts_with(file.path, "l/10-cloud-init-") && file.path.ends_with(".link"));
            check_link(file.text);
        }
    }
    check(keyfiles == config.interfaces.size());
}

}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    Input in(data, size);
    InstanceMetadata metadata;
    // Every registered cloud's mapping, the first two as before the
    // registry (the seed corpus picks them with one flag).
    auto registry = clouds::all_clouds();
    const clouds::Cloud& cloud = *registry[in.flag() ? 1 % registry.size() : 0];
    metadata.cloud = std::string(cloud.name);
    metadata.has_network_data = in.byte() != 0;
    for (size_t i = in.count(16); i > 0; --i)
        metadata.nics.push_back(make_nic(in));
    for (size_t i = in.count(2); i > 0; --i)
        metadata.dns_ipv4.push_back(in.ipv4());
    metadata.hostname = in.text();
    metadata.raw.push_back({ in.text(), in.text() });

    std::vector<SystemNic> system;
    // Most metadata NICs present under distinct sane names, so multi-NIC
    // configurations are common; then a few extra NICs, sometimes with raw
    // bytes as names (which the mapping must refuse).
    for (size_t i = 0; i < metadata.nics.size(); ++i) {
        if (in.byte() % 4 != 0)
            system.push_back(SystemNic { metadata.nics[i].mac, "ens" + std::to_string(5 + i) });
    }
    for (size_t i = in.count(3); i > 0; --i) {
        SystemNic nic;
        nic.mac = in.mac();
        nic.name = in.flag() ? in.text() : "eth" + std::to_string(in.byte());
        system.push_back(nic);
    }
    MappingOptions options;
    options.policy_routing = in.flag();
    if (in.flag())
        options.leased_mac = in.mac();
    std::string search = in.text();
    std::string json = metadata_to_json(metadata);
    check(!json.empty() && json.back() == '\n');

    auto config = cloud.map_network(metadata, system, options);
    if (config.is_error())
        return 0;
    if (!config->interfaces.empty() && !search.empty())
        config->interfaces[0].search_domains.push_back(search);

    auto netplan = render_netplan(*config);
    auto ifupdown = render_ifupdown(*config);
    auto networkd = render_networkd(*config, networkd_directory);
    check(netplan.ok() == ifupdown.ok() && netplan.ok() == networkd.ok());
    auto networkmanager = render_networkmanager(*config, "c", "l");
    check(netplan.ok() == networkmanager.ok());
    if (netplan.is_error())
        return 0;
    check_netplan(*netplan);
    check_ifupdown(*ifupdown);
    check_networkmanager(*networkmanager, *config);
    check(*render_netplan(*config) == *netplan);
    check(*render_ifupdown(*config) == *ifupdown);
    check_networkd(*networkd);
    check(*render_networkd(*config, networkd_directory) == *networkd);
    check(*render_networkmanager(*config, "c", "l") == *networkmanager);
    return 0;
}
