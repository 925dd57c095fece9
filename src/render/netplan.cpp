// The netplan renderer. Keys come in one fixed order (not cloud-init's
// alphabetical one, which netplan does not care about); interfaces in the
// mapping's order (EC2: the NIC order, primary first). Every scalar that is
// not a number or a boolean is double-quoted, and every such scalar is either
// re-printed from an address type or a name validate() accepted, so nothing
// needs escaping and no YAML 1.1 reading ("on", "12:34:56" as base 60) can
// change its meaning.
// https://netplan.readthedocs.io/en/stable/netplan-yaml/
#include "render/netplan.h"

#include "common/format.h"

namespace mb::render {

namespace {

class YamlWriter {
public:
    void line(int depth, std::string_view text)
    {
        m_out.append(size_t(depth) * 2, ' ');
        m_out += text;
        m_out += '\n';
    }
    void key(int depth, std::string_view key) { line(depth, strf("%.*s:", int(key.size()), key.data())); }
    void quoted(int depth, std::string_view key, std::string_view value) { line(depth, strf("%.*s: \"%.*s\"", int(key.size()), key.data(), int(value.size()), value.data())); }
    void number(int depth, std::string_view key, uint64_t value) { line(depth, strf("%.*s: %llu", int(key.size()), key.data(), static_cast<unsigned long long>(value))); }
    void boolean(int depth, std::string_view key, bool value) { line(depth, strf("%.*s%s", int(key.size()), key.data(), value ? ": true" : ": false")); }
    void item(int depth, std::string_view value) { line(depth, strf("- \"%.*s\"", int(value.size()), value.data())); }

    std::string release() { return std::move(m_out); }

private:
    std::string m_out;
};

void write_overrides(YamlWriter& yaml, int depth, std::string_view key, const DhcpOverrides& overrides)
{
    if (overrides.empty())
        return;
    yaml.key(depth, key);
    if (overrides.route_metric)
        yaml.number(depth + 1, "route-metric", *overrides.route_metric);
    if (overrides.use_routes)
        yaml.boolean(depth + 1, "use-routes", *overrides.use_routes);
    if (overrides.use_dns)
        yaml.boolean(depth + 1, "use-dns", *overrides.use_dns);
}

void write_interface(YamlWriter& yaml, const Interface& interface)
{
    constexpr int depth = 3;
    yaml.key(2, strf("\"%s\"", interface.name.c_str()));
    if (interface.match_mac) {
        yaml.key(depth, "match");
        yaml.quoted(depth + 1, "macaddress", interface.match_mac->to_string());
        if (interface.match_driver)
            yaml.quoted(depth + 1, "driver", *interface.match_driver);
    }
    if (interface.set_name)
        yaml.quoted(depth, "set-name", *interface.set_name);
    if (interface.mtu)
        yaml.number(depth, "mtu", *interface.mtu);
    if (interface.accept_ra)
        yaml.boolean(depth, "accept-ra", *interface.accept_ra);
    // networkd then keeps the addresses and does not drop the lease on
    // restart or shutdown (KeepConfiguration=yes):
    // https://netplan.readthedocs.io/en/stable/netplan-yaml/#properties-for-all-device-types
    if (interface.critical)
        yaml.boolean(depth, "critical", true);
    yaml.boolean(depth, "dhcp4", interface.dhcp4);
    if (interface.dhcp4)
        write_overrides(yaml, depth, "dhcp4-overrides", interface.dhcp4_overrides);
    yaml.boolean(depth, "dhcp6", interface.dhcp6);
    if (interface.dhcp6)
        write_overrides(yaml, depth, "dhcp6-overrides", interface.dhcp6_overrides);

    if (!interface.addresses.empty()) {
        yaml.key(depth, "addresses");
        for (const auto& address : interface.addresses)
            yaml.item(depth + 1, to_string(address));
    }
    if (!interface.routes.empty()) {
        yaml.key(depth, "routes");
        for (const auto& route : interface.routes) {
            yaml.line(depth + 1, strf("- to: \"%s\"", to_string(route.to).c_str()));
            if (route.via)
                yaml.quoted(depth + 2, "via", to_string(*route.via));
            if (route.on_link)
                yaml.line(depth + 2, "on-link: true");
            if (route.metric)
                yaml.number(depth + 2, "metric", *route.metric);
            if (route.table)
                yaml.number(depth + 2, "table", *route.table);
        }
    }
    if (!interface.routing_policy.empty()) {
        yaml.key(depth, "routing-policy");
        for (const auto& rule : interface.routing_policy) {
            yaml.line(depth + 1, strf("- from: \"%s\"", to_string(rule.from).c_str()));
            yaml.number(depth + 2, "table", rule.table);
        }
    }
    if (!interface.nameservers.empty() || !interface.search_domains.empty()) {
        yaml.key(depth, "nameservers");
        if (!interface.nameservers.empty()) {
            yaml.key(depth + 1, "addresses");
            for (const auto& server : interface.nameservers)
                yaml.item(depth + 2, to_string(server));
        }
        if (!interface.search_domains.empty()) {
            yaml.key(depth + 1, "search");
            for (const auto& domain : interface.search_domains)
                yaml.item(depth + 2, domain);
        }
    }
}

}

Result<std::string> render_netplan(const NetworkConfig& config)
{
    TRY(validate(config));
    YamlWriter yaml;
    yaml.line(0, "network:");
    yaml.number(1, "version", 2);
    if (config.interfaces.empty()) {
        yaml.line(1, "ethernets: {}");
    } else {
        yaml.key(1, "ethernets");
        for (const auto& interface : config.interfaces)
            write_interface(yaml, interface);
    }
    return std::string(generated_header) + yaml.release();
}

}

namespace mb::render {

namespace {

// netplan installed: its command, or the systemd generator that turns
// etc/netplan into networkd or NetworkManager config at boot. A leftover
// etc/netplan directory alone is read by nothing.
bool netplan_present(const RootView& root)
{
    return root.exists("usr/sbin/netplan") || root.exists("usr/lib/systemd/system-generators/netplan") || root.exists("lib/systemd/system-generators/netplan");
}

// 0600: netplan warns about (and newer versions refuse) world-readable
// files, since they may hold Wi-Fi keys.
Result<std::vector<OutputFile>> render_netplan_files(const NetworkConfig& config, const RootView&, Persistence persistence)
{
    auto text = TRY(render_netplan(config));
    if (persistence == Persistence::Runtime)
        return std::vector<OutputFile> { { Place::Runtime, { runtime_netplan_path, std::move(text), 0600 } } };
    return std::vector<OutputFile> { { Place::Root, { netplan_path, std::move(text), 0600 } } };
}

}

const Format netplan_format {
    .name = "netplan",
    .present = netplan_present,
    .render = render_netplan_files,
    .looked_for = "usr/sbin/netplan, or netplan's systemd generator",
};

}
