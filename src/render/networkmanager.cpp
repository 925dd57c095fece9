// The NetworkManager renderer. Its reference meaning is what netplan's
// NetworkManager backend makes of the netplan YAML metaboot writes for the
// same config (tests/integration/test_render.py compares the two through
// libnm); where netplan 0.106's backend loses a meaning the model has, the
// keyfile says it the way NetworkManager documents, and the test names the
// difference. Every value is re-printed from an address type, a number or a
// name validate() accepted: none holds '\n', ';', '[', '=' or '\\', so no
// GLib keyfile escaping is needed.
// https://networkmanager.dev/docs/api/latest/nm-settings-keyfile.html
// https://networkmanager.dev/docs/api/latest/nm-settings-nmcli.html
#include "render/networkmanager.h"

#include "render/systemd_link.h"

namespace mb::render {

namespace {

// One string builder: put() appends, end() closes the line.
class KeyfileWriter {
public:
    KeyfileWriter& put(std::string_view text)
    {
        m_out += text;
        return *this;
    }
    KeyfileWriter& put(uint32_t number) { return put(std::to_string(number)); }
    void end() { m_out += '\n'; }
    void section(std::string_view name) { put("\n[").put(name).put("]").end(); }
    void line(std::string_view key, std::string_view value) { put(key).put("=").put(value).end(); }

    std::string release() { return std::move(m_out); }

private:
    std::string m_out;
};

// One ipv4 or ipv6 setting. `method` is already chosen, and `used` is false
// for "disabled" and "ignore", which take nothing more; `search` says
// whether the search domains go here (NetworkManager merges the two
// families' dns-search for the device, so they are written once).
void write_family(KeyfileWriter& out, const Interface& interface, bool ipv6, std::string_view method, bool used, bool search)
{
    out.section(ipv6 ? "ipv6" : "ipv4");
    out.line("method", method);
    // No addresses of the family: libnm's verify() refuses dns and
    // dns-search with method disabled, ignore or link-local, and manual
    // without an address, and a route or rule could not be used anyway;
    // cloud-init's renderer drops the DNS servers of a disabled family the
    // same way.
    if (!used)
        return;
    uint32_t n = 0;
    for (const auto& address : interface.addresses) {
        if (is_ipv6(address) == ipv6)
            out.put("address").put(++n).put("=").put(to_string(address)).end();
    }
    n = 0;
    for (const auto& route : interface.routes) {
        if (is_ipv6(route.to) != ipv6)
            continue;
        // "route1=dest/plen,gateway,metric": an on-link route leaves the
        // gateway empty when a metric follows, as netplan writes it.
        out.put("route").put(++n).put("=").put(to_string(route.to));
        if (route.via || route.metric)
            out.put(",");
        if (route.via)
            out.put(to_string(*route.via));
        if (route.metric)
            out.put(",").put(*route.metric);
        out.end();
        // nm-settings-keyfile(5): the route's attributes, comma-separated.
        if (route.table || route.on_link) {
            out.put("route").put(n).put("_options=");
            if (route.table)
                out.put("table=").put(*route.table).put(route.on_link ? "," : "");
            if (route.on_link)
                out.put("onlink=true");
            out.end();
        }
    }
    n = 0;
    for (const auto& rule : interface.routing_policy) {
        // netplan 0.106's NetworkManager backend drops routing-policy; the
        // rule is NetworkManager's routing-rule syntax instead. libnm
        // refuses a rule without a priority ("missing priority"), so it
        // gets the one `ip rule add` without `priority` gives the first
        // rule (the lowest existing non-zero priority, 32766, minus one),
        // which is what the ifupdown and networkd outputs end up with. Every
        // rule is "from" a distinct own address, so equal priorities never
        // compete.
        if (is_ipv6(rule.from) == ipv6)
            out.put("routing-rule").put(++n).put("=priority 32765 from ").put(to_string(rule.from)).put(" table ").put(rule.table).end();
    }
    // dhcp4-overrides / dhcp6-overrides, as netplan's backend writes them:
    // route-metric is the connection's default metric, and use-routes:
    // false ignores the DHCP (or RA) routes, default route included.
    if (ipv6 ? interface.dhcp6 : interface.dhcp4) {
        const DhcpOverrides& overrides = ipv6 ? interface.dhcp6_overrides : interface.dhcp4_overrides;
        if (overrides.route_metric)
            out.put("route-metric=").put(*overrides.route_metric).end();
        if (overrides.use_routes == false)
            out.put("ignore-auto-routes=true\nnever-default=true\n");
        // use-dns: false, NetworkManager's way of saying it (netplan 0.106's
        // backend and cloud-init's renderer drop it: see test_render.py).
        if (overrides.use_dns == false)
            out.put("ignore-auto-dns=true\n");
    }
    // Lists end in ';', as NetworkManager writes them.
    const char* lead = "dns=";
    for (const auto& server : interface.nameservers) {
        if (is_ipv6(server) == ipv6) {
            out.put(lead).put(to_string(server)).put(";");
            lead = "";
        }
    }
    if (!*lead)
        out.end();
    if (search && !interface.search_domains.empty()) {
        out.put("dns-search=");
        for (const auto& domain : interface.search_domains)
            out.put(domain).put(";");
        out.end();
    }
}

bool has_address(const Interface& interface, bool ipv6)
{
    for (const auto& address : interface.addresses) {
        if (is_ipv6(address) == ipv6)
            return true;
    }
    return false;
}

FileContent render_keyfile(const Interface& interface, const std::string& directory)
{
    const std::string& name = interface.set_name ? *interface.set_name : interface.name;
    KeyfileWriter out;
    out.put(generated_header).put("[connection]\nid=cloud-init ").put(name).put("\ntype=ethernet\n");
    // No uuid. NetworkManager's keyfile plugin derives a stable one from
    // the file's path when the file has none (nm_keyfile_read_ensure_uuid()
    // seeded with the full file name, in nms-keyfile-reader.c), and so does
    // netplan's backend leave it out. cloud-init's uuid5 of the name would
    // cost metaboot a SHA-1 for a value nothing refers to: no VLAN, bond or
    // bridge profile names this one as its master.
    //
    // A MAC match with a rename: NetworkManager cannot rename, the .link
    // file does, and the profile follows the name it gives (netplan writes
    // interface-name=<set-name> and no mac-address). A MAC match alone:
    // the MAC, and any name.
    if (!interface.match_mac || interface.set_name)
        out.line("interface-name", name);
    // cloud-init's value: above the profiles NetworkManager or a distro
    // makes on its own for an unconfigured NIC ("Wired connection 1",
    // priority 0), so this one is chosen for the device.
    out.put("autoconnect-priority=120\n");

    out.section("ethernet");
    if (interface.match_mac && !interface.set_name)
        out.line("mac-address", interface.match_mac->to_string());
    if (interface.mtu)
        out.put("mtu=").put(*interface.mtu).end();

    // ipv4: netplan's backend writes link-local for neither DHCP nor an
    // address; the model means "no IPv4" (netplan's networkd output has no
    // IPv4LL either), which is method=disabled, as cloud-init writes.
    bool ipv4_used = interface.dhcp4 || has_address(interface, false);
    const char* ipv4 = interface.dhcp4 ? "auto" : ipv4_used ? "manual" : "disabled";
    // ipv6: dhcp6 is "auto" (RAs, and DHCPv6 as they ask), netplan's and
    // cloud-init's mapping; with accept-ra: false it is DHCPv6 alone,
    // "dhcp". accept-ra: true without dhcp6 is SLAAC, "auto" as cloud-init
    // maps ipv6_slaac (netplan's backend ignores accept-ra, and then writes
    // a manual ipv6 without addresses that libnm refuses). Otherwise static
    // addresses are "manual", and no address leaves IPv6 to the kernel,
    // netplan's "ignore".
    static constexpr const char* ipv6_ignore = "ignore";
    bool ipv6_dynamic = interface.dhcp6 || interface.accept_ra == true;
    bool search_in_ipv6 = !ipv4_used;
    const char* ipv6 = ipv6_ignore;
    if (interface.dhcp6 && interface.accept_ra == false)
        ipv6 = "dhcp";
    else if (ipv6_dynamic)
        ipv6 = "auto";
    else if (has_address(interface, true))
        ipv6 = "manual";
    write_family(out, interface, false, ipv4, ipv4_used, !search_in_ipv6);
    // may-fail (default true): "If TRUE, allow overall network
    // configuration to proceed even if the configuration specified by this
    // property times out. Note that at least one IP configuration must
    // succeed or overall network configuration will still fail." (ipv4 and
    // ipv6 settings, nm-settings-nmcli(5)). Dynamic IPv6 always may fail,
    // so a network whose DHCPv6 server or router never answers is up on
    // its IPv4 alone and never holds the boot. IPv4 alone must not fail
    // (cloud-init's rule: configured, so expected to work, and
    // network-online.target then means IPv4 is up); with dynamic IPv6
    // beside it, either family is enough, as cloud-init's
    // _set_mayfail_true_if_both_false_dhcp() and networkd decide.
    if (ipv4_used && !ipv6_dynamic)
        out.put("may-fail=false\n");
    write_family(out, interface, true, ipv6, ipv6 != ipv6_ignore, search_in_ipv6);
    if (ipv6_dynamic)
        out.put("may-fail=true\n");
    FileContent file { directory, out.release(), 0600 };
    file.path.append("/").append(networkmanager_file_prefix).append(interface.name).append(networkmanager_file_suffix);
    return file;
}

}

Result<std::vector<FileContent>> render_networkmanager(const NetworkConfig& config, const std::string& connections_directory,
    const std::string& link_directory)
{
    TRY(validate(config));
    std::vector<FileContent> files;
    for (const auto& interface : config.interfaces) {
        files.push_back(render_keyfile(interface, connections_directory));
        if (auto link = render_systemd_link(interface, link_directory, generated_header))
            files.push_back(std::move(*link));
    }
    return files;
}

namespace {

constexpr const char* link_directory = "etc/systemd/network";
constexpr const char* runtime_link_directory = "run/systemd/network";

// Choosing between installed network stacks is done elsewhere; this only
// answers "installed".
bool networkmanager_present(const RootView& root)
{
    return root.exists("usr/sbin/NetworkManager");
}

// 0600 and root's: "For security, it will ignore files that are readable
// or writable by any user other than 'root'" (nm-settings-keyfile(5)).
Result<std::vector<OutputFile>> render_networkmanager_files(const NetworkConfig& config, const RootView&, Persistence persistence)
{
    bool runtime = persistence == Persistence::Runtime;
    auto files = TRY(render_networkmanager(config, runtime ? runtime_networkmanager_directory : networkmanager_directory,
        runtime ? runtime_link_directory : link_directory));
    std::vector<OutputFile> out;
    for (auto& file : files)
        out.push_back({ runtime ? Place::Runtime : Place::Root, std::move(file) });
    return out;
}

constexpr OwnedFiles persistent_owned[] = {
    { Place::Root, networkmanager_directory, networkmanager_file_prefix, networkmanager_file_suffix },
    { Place::Root, link_directory, systemd_file_prefix, ".link" },
};
constexpr OwnedFiles runtime_owned[] = {
    { Place::Runtime, runtime_networkmanager_directory, networkmanager_file_prefix, networkmanager_file_suffix },
    { Place::Runtime, runtime_link_directory, systemd_file_prefix, ".link" },
};

}

const Format networkmanager_format {
    .name = "networkmanager",
    .present = networkmanager_present,
    .render = render_networkmanager_files,
    .owned_persistent = persistent_owned,
    .owned_runtime = runtime_owned,
    .service = "NetworkManager.service",
    .looked_for = "usr/sbin/NetworkManager",
};

}
