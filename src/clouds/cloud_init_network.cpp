// cloud-init network config v1 and v2 -> NetworkConfig, and cloud-init's
// fallback. The reference is cloud-init 25.1.4: network_state.py (parsing,
// _normalize_net_keys' address forms and default prefix lengths) and
// net/netplan.py's v1 renderer (_extract_addresses, the global nameservers
// given to interfaces that have static addresses and no DNS of their own).
// https://docs.cloud-init.io/en/latest/reference/network-config-format-v1.html
// https://docs.cloud-init.io/en/latest/reference/network-config-format-v2.html
//
// Deliberate differences from cloud-init:
// - v1 ipv6_slaac and ipv6_dhcpv6-stateless are accept-ra alone, as in
//   OpenStack's mapping: cloud-init writes dhcp6: true, which starts a
//   DHCPv6 client whatever the router advertisements say.
// - v2 is mapped, not passed through: an interface is named by set-name,
//   else the system NIC with the matched MAC, else the matched name, else
//   its id (network_state's handle_ethernets rule), so netplan's key is
//   that name where cloud-init's passthrough keeps the id; keys the model
//   has no place for are dropped with a warning.
// - A gateway outside its subnet gets no on-link flag (the model has none).
// - A v1 nameserver entry with `interface` gives that interface its DNS
//   (network_state records it; cloud-init's netplan renderer drops it).
#include "clouds/cloud_init_network.h"

#include "clouds/values.h"
#include "common/dns_name.h"
#include "common/format.h"
#include "common/yaml.h"
#include "common/text.h"
#include "model/nic_matching.h"

#include <algorithm>

namespace mb::clouds {

namespace {

using Warnings = std::vector<std::string>;

std::optional<IpAddress> ip_address(std::string_view text)
{
    if (auto v4 = Ipv4Address::parse(text))
        return IpAddress(*v4);
    if (auto v6 = Ipv6Address::parse(text))
        return IpAddress(*v6);
    return std::nullopt;
}

// A list, or one string of space-separated words (cloud-init's listify).
std::vector<std::string> words(const JsonValue* value)
{
    std::vector<std::string> out;
    if (value && value->is_array()) {
        for (const auto& item : value->items())
            out.emplace_back(text_of(&item));
    } else {
        for (auto word : split(text_of(value), ' '))
            if (!word.empty())
                out.emplace_back(word);
    }
    return out;
}

const std::vector<JsonValue>& items_of(const JsonValue* value)
{
    static const std::vector<JsonValue> none;
    return value ? value->items() : none;
}

// Where nameservers and search domains go: an interface's, or v1's global
// ones.
struct Dns {
    std::vector<IpAddress>& servers;
    std::vector<std::string>& search;
};

Dns dns_of(Interface& interface)
{
    return { interface.nameservers, interface.search_domains };
}

// Builds the interfaces in place, one at a time. The first bad value of
// the interface being read is kept (a sticky error), and the interface is
// dropped whole at its end.
class Mapper {
public:
    Mapper(const std::vector<SystemNic>& system_nics, Warnings& warnings, InterfaceNames names)
        : m_system_nics(system_nics)
        , m_warnings(warnings)
        , m_names(names)
    {
    }

    void physical(const JsonValue& entry);
    void ethernet(const std::string& id, const JsonValue& entry);
    bool dns(Dns into, const JsonValue* servers, const JsonValue* search);
    void skip(std::string_view what, std::string_view why);

    NetworkConfig config;
    std::string_view missing; // ByMac: a MAC no system NIC has

private:
    Interface& begin();
    void finish(std::string_view what);
    void bad(const char* what, const JsonValue* value);
    void bad(const char* what, std::string_view text);
    std::optional<bool> flag(const JsonValue* value, const char* what);
    std::optional<uint32_t> number(const JsonValue* value, const char* what);
    IpPrefix prefix(const JsonValue* value, const JsonValue* entry, bool network);
    void route(const JsonValue* to, const JsonValue* via, const JsonValue* entry, const JsonValue* metric, const JsonValue* table);
    void common_keys(const JsonValue& entry);

    const std::vector<SystemNic>& m_system_nics;
    Warnings& m_warnings;
    InterfaceNames m_names;
    std::string m_error;
};

void Mapper::skip(std::string_view what, std::string_view why)
{
    m_warnings.push_back(concat({ "network config: skipping '", printable(what), "': ", why }));
}

Interface& Mapper::begin()
{
    m_error.clear();
    config.interfaces.push_back(Interface());
    return config.interfaces.back();
}

// The interface just read is kept when its values all parsed and the
// renderers accept it (validate() also refuses a name given twice).
void Mapper::finish(std::string_view what)
{
    if (m_error.empty()) {
        auto valid = validate(config);
        if (valid.ok())
            return;
        m_error = valid.error().message();
    }
    skip(what, m_error);
    config.interfaces.pop_back();
}

void Mapper::bad(const char* what, const JsonValue* value)
{
    bad(what, text_of(value));
}

void Mapper::bad(const char* what, std::string_view text)
{
    if (m_error.empty())
        m_error = concat({ "malformed ", what, " '", printable(text), "'" });
}

// cloud-init's util.is_true/is_false, over YAML's booleans and text.
std::optional<bool> Mapper::flag(const JsonValue* value, const char* what)
{
    if (!value)
        return std::nullopt;
    auto text = to_lower(text_of(value));
    static constexpr std::string_view truth[] = { "true", "1", "on", "yes", "false", "0", "off", "no" };
    for (size_t i = 0; i < 8; ++i) {
        if (text == truth[i])
            return i < 4;
    }
    bad(what, value);
    return std::nullopt;
}

std::optional<uint32_t> Mapper::number(const JsonValue* value, const char* what)
{
    if (!value)
        return std::nullopt;
    auto number = parse_decimal(text_of(value), UINT32_MAX);
    if (!number)
        bad(what, value);
    return number;
}

// "a/len", "a/netmask", or "a" with the entry's prefix or netmask, else
// /24 or /64 (_normalize_net_keys). `network` masks the host bits (a route's
// destination).
IpPrefix Mapper::prefix(const JsonValue* value, const JsonValue* entry, bool network)
{
    auto text = text_of(value);
    auto slash = text.find('/');
    auto address = ip_address(text.substr(0, slash));
    std::optional<std::string_view> length_text;
    if (slash != std::string_view::npos)
        length_text = text.substr(slash + 1);
    else if (const JsonValue* given = entry ? entry->find("prefix") ?: entry->find("netmask") : nullptr)
        length_text = text_of(given);
    bool v6 = address && is_ipv6(*address);
    std::optional<uint8_t> length = uint8_t(v6 ? 64 : 24);
    if (length_text) {
        auto digits = parse_decimal(*length_text, v6 ? 128 : 32);
        auto mask = ip_address(*length_text);
        length = digits ? std::optional<uint8_t>(uint8_t(*digits))
            : !mask || is_ipv6(*mask) != v6 ? std::nullopt
            : v6 ? ipv6_prefix_length_from_netmask(std::get<Ipv6Address>(*mask))
                 : Ipv4Prefix::length_from_netmask(std::get<Ipv4Address>(*mask));
    }
    if (!address || !length) {
        bad("address", value);
        return Ipv4Prefix();
    }
    if (v6) {
        Ipv6Prefix prefix(std::get<Ipv6Address>(*address), *length);
        return network ? Ipv6Prefix(prefix.network(), *length) : prefix;
    }
    Ipv4Prefix prefix(std::get<Ipv4Address>(*address), *length);
    return network ? Ipv4Prefix(prefix.network(), *length) : prefix;
}

// A route to `to` ("default", or none: the default route) via `via`; the
// default's family is the gateway's.
void Mapper::route(const JsonValue* to, const JsonValue* via, const JsonValue* entry, const JsonValue* metric, const JsonValue* table)
{
    Route out { Ipv4Prefix(), std::nullopt, number(table, "route table"), number(metric, "route metric") };
    if (via && !(out.via = ip_address(text_of(via))))
        bad("gateway", via);
    if (to && text_of(to) != "default")
        out.to = prefix(to, entry, true);
    else if (out.via && is_ipv6(*out.via))
        out.to = Ipv6Prefix();
    config.interfaces.back().routes.push_back(out);
}

// Nameservers and search domains; none is added, and false returned, when
// one is malformed.
bool Mapper::dns(Dns into, const JsonValue* servers, const JsonValue* search)
{
    auto addresses = words(servers), domains = words(search);
    // The first bad one is named, whether the value was a list or a text.
    for (const auto& text : addresses) {
        if (!ip_address(text)) {
            bad("nameserver", text);
            return false;
        }
    }
    for (const auto& domain : domains) {
        if (!is_valid_dns_name(domain, TrailingDot::Allowed)) {
            bad("search domain", domain);
            return false;
        }
    }
    for (const auto& text : addresses)
        into.servers.push_back(*ip_address(text));
    for (auto& domain : domains)
        into.search.push_back(std::move(domain));
    return true;
}

// What the two versions share on an interface: its MTU and accept-ra.
void Mapper::common_keys(const JsonValue& entry)
{
    Interface& out = config.interfaces.back();
    out.mtu = number(entry.find("mtu"), "mtu");
    out.accept_ra = flag(entry.find("accept-ra"), "accept-ra");
}

// v1 `physical` (handle_physical, and _extract_addresses for its subnets).
void Mapper::physical(const JsonValue& entry)
{
    Interface& out = begin();
    out.name = text_of(entry.find("name"));
    if (const JsonValue* mac = entry.find("mac_address")) {
        if (!(out.match_mac = MacAddress::parse(text_of(mac))))
            bad("mac_address", mac);
        const SystemNic* nic = out.match_mac ? find_system_nic(m_system_nics, *out.match_mac) : nullptr;
        if (m_names == InterfaceNames::ByMac) {
            // add_interface_names() raises, which fails the datasource.
            if (!nic)
                missing = text_of(mac);
            out.name = nic ? nic->name : "";
        }
        out.set_name = out.name;
    }
    common_keys(entry);
    for (const auto& subnet : items_of(entry.find("subnets"))) {
        auto type = text_of(subnet.find("type"));
        if (type == "dhcp" || type == "dhcp4") {
            out.dhcp4 = true;
        } else if (type == "dhcp6" || type == "ipv6_dhcpv6-stateful") {
            out.dhcp6 = true;
        } else if (type == "ipv6_slaac" || type == "ipv6_dhcpv6-stateless") {
            out.accept_ra = true;
        } else if (type == "static" || type == "static6") {
            out.addresses.push_back(prefix(subnet.find("address") ?: subnet.find("ip_address"), &subnet, false));
            if (const JsonValue* gateway = subnet.find("gateway"))
                route(nullptr, gateway, nullptr, nullptr, nullptr);
            dns(dns_of(out), subnet.find("dns_nameservers"), subnet.find("dns_search"));
            if (auto mtu = number(subnet.find("mtu"), "mtu"))
                out.mtu = mtu;
            for (const auto& r : items_of(subnet.find("routes")))
                route(r.find("network") ?: r.find("destination"), r.find("gateway"), &r, r.find("metric"), nullptr);
        } else if (m_error.empty()) {
            m_error = strf("subnet type '%s' is not supported", printable(type).c_str());
        }
    }
    finish(out.name);
}

// v2 `ethernets` entry `id`.
void Mapper::ethernet(const std::string& id, const JsonValue& entry)
{
    // The keys the model has a place for.
    constexpr std::string_view known = " match set-name dhcp4 dhcp6 dhcp4-overrides dhcp6-overrides addresses gateway4 gateway6 routes nameservers mtu accept-ra ";
    for (const auto& key : entry.keys()) {
        // A whole word of `known`: a key with a space in it (" " matched at
        // the start, found by the fuzz campaign) is no key of ours.
        if (key.empty() || key.find(' ') != std::string::npos || known.find(" " + key + " ") == std::string_view::npos)
            m_warnings.push_back(concat({ "network config: ethernets.", printable(id), ": ignoring '", printable(key), "'" }));
    }
    Interface& out = begin();
    const JsonValue* match = entry.find("match");
    auto set_name = text_of(entry.find("set-name"));
    auto match_name = text_of(match ? match->find("name") : nullptr);
    if (match_name.find_first_of("*?[") != std::string_view::npos)
        m_error = "a name pattern match is not supported";
    if (const JsonValue* mac = match ? match->find("macaddress") : nullptr) {
        if (!(out.match_mac = MacAddress::parse(text_of(mac))))
            bad("macaddress", mac);
    }
    if (auto driver = text_of(match ? match->find("driver") : nullptr); !driver.empty())
        out.match_driver = driver;
    const SystemNic* nic = out.match_mac ? find_system_nic(m_system_nics, *out.match_mac) : nullptr;
    out.name = !set_name.empty() ? set_name : nic ? nic->name : !match_name.empty() ? match_name : id;
    // set-name renames what was matched; without a match it is the name.
    if ((out.match_mac || out.match_driver) && !set_name.empty())
        out.set_name = set_name;
    common_keys(entry);
    out.dhcp4 = flag(entry.find("dhcp4"), "dhcp4").value_or(false);
    out.dhcp6 = flag(entry.find("dhcp6"), "dhcp6").value_or(false);
    for (auto [key, overrides] : { std::pair { "dhcp4-overrides", &out.dhcp4_overrides }, std::pair { "dhcp6-overrides", &out.dhcp6_overrides } }) {
        if (const JsonValue* given = entry.find(key)) {
            overrides->route_metric = number(given->find("route-metric"), "route-metric");
            overrides->use_dns = flag(given->find("use-dns"), "use-dns");
            overrides->use_routes = flag(given->find("use-routes"), "use-routes");
        }
    }
    for (const auto& address : items_of(entry.find("addresses"))) {
        // netplan requires the prefix length.
        if (text_of(&address).find('/') == std::string_view::npos)
            bad("address", &address);
        out.addresses.push_back(prefix(&address, nullptr, false));
    }
    for (const char* key : { "gateway4", "gateway6" }) {
        if (const JsonValue* gateway = entry.find(key))
            route(nullptr, gateway, nullptr, nullptr, nullptr);
    }
    for (const auto& r : items_of(entry.find("routes")))
        route(r.find("to"), r.find("via"), nullptr, r.find("metric"), r.find("table"));
    if (const JsonValue* servers = entry.find("nameservers"))
        dns(dns_of(out), servers->find("addresses"), servers->find("search"));
    finish(id);
}

}

std::string_view text_of(const JsonValue* value)
{
    return value ? value->as_string().value_or("") : "";
}

Result<NetworkConfig> map_cloud_init_network(std::string_view yaml, const std::vector<SystemNic>& system_nics, Warnings& warnings)
{
    return map_cloud_init_document(TRY(parse_yaml(yaml)), system_nics, warnings);
}

Result<NetworkConfig> map_cloud_init_document(const JsonValue& document, const std::vector<SystemNic>& system_nics, Warnings& warnings, InterfaceNames names)
{
    TRY(check_system_nics(system_nics));
    const JsonValue* root = document.find("network") ?: &document;
    auto version = text_of(root->find("version"));
    Mapper mapper(system_nics, warnings, names);
    auto& interfaces = mapper.config.interfaces;
    if (version == "1") {
        const JsonValue* entries = root->find("config");
        if (!entries || !entries->is_array())
            return Error::invalid("network config version 1 without a config list");
        std::vector<IpAddress> global_servers; // nameserver entries without an interface
        std::vector<std::string> global_search;
        Dns global { global_servers, global_search };
        for (const auto& entry : entries->items()) {
            auto type = text_of(entry.find("type"));
            if (type == "physical")
                mapper.physical(entry);
            else if (type != "nameserver")
                mapper.skip(entry.find("name") ? text_of(entry.find("name")) : type, concat({ "type '", printable(type), "' is not supported" }));
        }
        // Nameserver entries once every interface is known.
        for (const auto& entry : entries->items()) {
            if (text_of(entry.find("type")) != "nameserver")
                continue;
            const JsonValue* name = entry.find("interface");
            Interface* target = nullptr;
            for (auto& interface : interfaces)
                target = name && interface.name == text_of(name) ? &interface : target;
            if (name && !target) {
                mapper.skip("nameserver", concat({ "no interface ", printable(text_of(name)) }));
                continue;
            }
            Dns into = target ? dns_of(*target) : global;
            if (!mapper.dns(into, entry.find("address"), entry.find("search")))
                mapper.skip("nameserver", "a malformed address or search domain");
        }
        for (auto& interface : interfaces) {
            if (!interface.addresses.empty() && interface.nameservers.empty() && interface.search_domains.empty()) {
                interface.nameservers = global_servers;
                interface.search_domains = global_search;
            }
        }
    } else if (version == "2") {
        for (size_t i = 0; i < root->keys().size(); ++i) {
            const auto& key = root->keys()[i];
            const auto& section = root->items()[i];
            if (key == "ethernets") {
                for (size_t k = 0; k < section.keys().size(); ++k)
                    mapper.ethernet(section.keys()[k], section.items()[k]);
            } else if (key != "version" && key != "renderer") {
                mapper.skip(key, "not supported");
            }
        }
    } else {
        return Error::unsupported(concat({ "network config version '", printable(version), "' is not 1 or 2" }));
    }
    if (!mapper.missing.empty())
        return Error::invalid(concat({ "no NIC on this system has MAC ", printable(mapper.missing) }));
    if (interfaces.empty())
        return Error::invalid("the network config has no usable interface");
    TRY(validate(mapper.config));
    return std::move(mapper.config);
}

bool natural_less(std::string_view a, std::string_view b)
{
    auto digit = [](char c) { return c >= '0' && c <= '9'; };
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c + 32) : c; };
    size_t i = 0, j = 0;
    while (i < a.size() && j < b.size()) {
        if (digit(a[i]) && digit(b[j])) {
            // Interface names are at most 15 bytes: no overflow.
            uint64_t x = 0, y = 0;
            while (i < a.size() && digit(a[i]))
                x = x * 10 + uint64_t(a[i++] - '0');
            while (j < b.size() && digit(b[j]))
                y = y * 10 + uint64_t(b[j++] - '0');
            if (x != y)
                return x < y;
        } else if (digit(a[i]) != digit(b[j])) {
            return digit(a[i]);
        } else if (lower(a[i]) != lower(b[j])) {
            return lower(a[i]) < lower(b[j]);
        } else {
            ++i, ++j;
        }
    }
    return i == a.size() && j < b.size();
}

Result<NetworkConfig> cloud_init_fallback_network(const std::vector<SystemNic>& system_nics, const MappingOptions& options)
{
    const SystemNic* chosen = nullptr;
    for (const auto& nic : system_nics) {
        if (!chosen || nic.name == "eth0" || (chosen->name != "eth0" && natural_less(nic.name, chosen->name)))
            chosen = &nic;
    }
    MappingOptions fallback = options;
    if (chosen)
        fallback.leased_mac = chosen->mac;
    auto config = fallback_network(system_nics, fallback);
    if (config.ok())
        config->interfaces.front().dhcp6 = true;
    return config;
}

}
