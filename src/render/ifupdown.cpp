// The ifupdown renderer: the stanzas cloud-init's ENI renderer
// (cloudinit/net/eni.py) writes for the same configuration.
//   auto X / iface X inet dhcp      with `metric` from the route-metric
//   iface X inet6 manual            DHCPv6 started in the background (below)
//   iface X inet6 auto + dhcp 0     SLAAC (accept-ra without dhcp6)
//   iface X inet6 auto + dhcp 0     stateless DHCPv6 (dhcp6_stateless): SLAAC,
//                                   and dhclient -6 -S in the background
//   iface X inet{,6} static         one per static address
// ifupdown allows several stanzas per interface and family
// (interfaces(5), "iface" stanzas); only the first carries `auto`.
//
// Deliberate differences from cloud-init, each for a reason:
// - DHCPv6 is not cloud-init's `iface X inet6 dhcp`, which blocks the boot
//   for minutes when no DHCPv6 server answers, nor its `inet6 auto` with
//   `dhcp 1` for stateless DHCPv6, which blocks it for a minute (see
//   interface_stanzas()).
//   interfaces(5) offers no non-blocking DHCPv6 method: `inet6 auto` with
//   `dhcp 1` is stateless only (no address) and runs dhclient -1 in the
//   foreground too.
// - Routes use iproute2 (`ip route add ... || true`) where cloud-init uses
//   net-tools' `route add`: ifupdown depends on iproute2, while net-tools is
//   no longer installed by default on Debian or Ubuntu.
// - Policy routing (tables and rules) is rendered here too; cloud-init only
//   passes it through to netplan (its issue #4862), which leaves ifupdown
//   systems with secondary NICs answering through the primary.
// - `mtu` is written only on static stanzas (the only methods that take it);
//   on a DHCP-first interface it is set with `pre-up ip link set`.
// - No `# control-alias` comment lines.
#include "render/ifupdown.h"

#include "common/format.h"
#include "common/text.h"
#include "render/netplan.h"

namespace mb::render {

namespace {

struct Stanza {
    bool ipv6 { false };
    std::string method; // dhcp, auto, static, manual
    std::vector<std::string> options;
};

std::string family_flag(bool ipv6)
{
    return ipv6 ? "-6" : "-4";
}

void add_route_commands(Stanza& stanza, const std::string& name, const Route& route)
{
    bool ipv6 = is_ipv6(route.to);
    bool is_default = std::visit([](const auto& prefix) { return prefix.length() == 0; }, route.to);
    std::string spec = is_default ? "default" : to_string(route.to);
    if (route.via)
        spec += strf(" via %s%s", to_string(*route.via).c_str(), route.on_link ? " onlink" : "");
    spec += strf(" dev %s", name.c_str());
    if (route.metric)
        spec += strf(" metric %u", *route.metric);
    if (route.table)
        spec += strf(" table %u", *route.table);
    // `|| true`, as cloud-init does: a route that already exists must not
    // make ifup report the whole interface as failed.
    stanza.options.push_back(strf("post-up ip %s route add %s || true", family_flag(ipv6).c_str(), spec.c_str()));
    stanza.options.push_back(strf("pre-down ip %s route del %s || true", family_flag(ipv6).c_str(), spec.c_str()));
}

void add_rule_commands(Stanza& stanza, const RoutingRule& rule)
{
    bool ipv6 = is_ipv6(rule.from);
    std::string spec = strf("from %s table %u", to_string(rule.from).c_str(), rule.table);
    stanza.options.push_back(strf("post-up ip %s rule add %s || true", family_flag(ipv6).c_str(), spec.c_str()));
    stanza.options.push_back(strf("pre-down ip %s rule del %s || true", family_flag(ipv6).c_str(), spec.c_str()));
}

std::string join(const std::vector<std::string>& items)
{
    std::string out;
    for (const auto& item : items) {
        if (!out.empty())
            out += ' ';
        out += item;
    }
    return out;
}

std::vector<Stanza> interface_stanzas(const Interface& interface)
{
    std::vector<Stanza> stanzas;
    auto accept_ra_option = [&]() { return strf("accept_ra %s", *interface.accept_ra ? "1" : "0"); };
    if (interface.dhcp4) {
        Stanza stanza { false, "dhcp", {} };
        if (interface.dhcp4_overrides.route_metric)
            stanza.options.push_back(strf("metric %u", *interface.dhcp4_overrides.route_metric));
        stanzas.push_back(std::move(stanza));
    }
    if (interface.dhcp6) {
        // Not `inet6 dhcp`: that method runs `dhclient -6` in the foreground,
        // and with no DHCPv6 server answering dhclient never returns, so
        // networking.service waits out its whole start timeout (5 minutes on
        // Debian 12) and network-online.target with it. Here dhclient runs
        // the same (same pid and lease files, released on ifdown) but in the
        // background once the link-local address is usable, as the dhcp
        // method waits for it (wait-for-ll6.sh, bounded by ll-attempts). The
        // dhcp method's accept_ra default, 1, is written the same way.
        // Stateless DHCPv6 is cloud-init's `inet6 auto` (SLAAC) with
        // dhclient -S, but not its `dhcp 1`, which runs `dhclient -6 -1 -S`
        // in the foreground for up to dhclient's 60 s timeout.
        const std::string& name = interface.name;
        std::string files = strf(" -pf /run/dhclient6.%s.pid -lf /var/lib/dhcp/dhclient6.%s.leases -I -df /var/lib/dhcp/dhclient.%s.leases %s", name.c_str(),
            name.c_str(), name.c_str(), name.c_str());
        std::string flags;
        if (interface.dhcp6_overrides.route_metric)
            flags = strf(" -e IF_METRIC=%u", *interface.dhcp6_overrides.route_metric);
        if (interface.dhcp6_stateless)
            flags += " -S";
        Stanza stanza { true, interface.dhcp6_stateless ? "auto" : "manual", {} };
        if (interface.dhcp6_stateless) {
            stanza.options.push_back("dhcp 0");
        } else {
            stanza.options.push_back(strf("pre-up echo %s > /proc/sys/net/ipv6/conf/%s/accept_ra", interface.accept_ra.value_or(true) ? "1" : "0", name.c_str()));
            stanza.options.push_back(strf("up ip link set dev %s up", name.c_str()));
        }
        stanza.options.push_back(strf("up (/lib/ifupdown/wait-for-ll6.sh && exec dhclient -6%s%s) </dev/null >/dev/null 2>&1 &", flags.c_str(), files.c_str()));
        stanza.options.push_back(strf("down dhclient -6 -r%s || true", files.c_str()));
        stanzas.push_back(std::move(stanza));
    } else if (interface.accept_ra && *interface.accept_ra) {
        stanzas.push_back(Stanza { true, "auto", { "dhcp 0" } });
    }
    for (const auto& address : interface.addresses) {
        Stanza stanza { is_ipv6(address), "static", { strf("address %s", to_string(address).c_str()) } };
        if (stanza.ipv6 && interface.accept_ra && !interface.dhcp6 && !*interface.accept_ra)
            stanza.options.push_back(accept_ra_option());
        stanzas.push_back(std::move(stanza));
    }
    if (stanzas.empty())
        stanzas.push_back(Stanza { false, "manual", {} });

    Stanza& first = stanzas.front();
    if (interface.mtu) {
        if (first.method == "static")
            first.options.push_back(strf("mtu %u", *interface.mtu));
        else
            first.options.push_back(strf("pre-up ip link set dev %s mtu %u || true", interface.name.c_str(), *interface.mtu));
    }
    if (!interface.nameservers.empty()) {
        std::vector<std::string> servers;
        for (const auto& server : interface.nameservers)
            servers.push_back(to_string(server));
        first.options.push_back(strf("dns-nameservers %s", join(servers).c_str()));
    }
    if (!interface.search_domains.empty())
        first.options.push_back(strf("dns-search %s", join(interface.search_domains).c_str()));

    // Routes and rules of a family go on the last stanza of that family, so
    // they are added once every address of the family is up (a gateway may
    // be reachable only through a static address) and removed first.
    auto last_of_family = [&](bool ipv6) -> Stanza& {
        for (size_t i = stanzas.size(); i-- > 0;) {
            if (stanzas[i].ipv6 == ipv6)
                return stanzas[i];
        }
        return stanzas.back();
    };
    for (const auto& route : interface.routes)
        add_route_commands(last_of_family(is_ipv6(route.to)), interface.name, route);
    for (const auto& rule : interface.routing_policy)
        add_rule_commands(last_of_family(is_ipv6(rule.from)), rule);
    return stanzas;
}

}

Result<std::string> render_ifupdown(const NetworkConfig& config)
{
    TRY(validate(config));
    std::string out = generated_header;
    // cloud-init writes the loopback stanza into its file as well, so a root
    // whose interfaces file lacks it still gets lo up.
    out += "auto lo\niface lo inet loopback\n";
    for (const auto& interface : config.interfaces) {
        // ifupdown has no setting that keeps an interface's addresses across
        // networking.service: ifup would restart DHCP on it and ifdown, at
        // shutdown, take it down under the root filesystem. So the NIC that
        // carries the root is left entirely as the initramfs configured it.
        if (interface.critical) {
            out += "\n# " + interface.name + " carries the root filesystem (iSCSI or NFS): left as the initramfs configured it.\n";
            continue;
        }
        bool first = true;
        for (const auto& stanza : interface_stanzas(interface)) {
            out += '\n';
            if (first)
                out += "auto " + interface.name + "\n";
            first = false;
            out += "iface " + interface.name + (stanza.ipv6 ? " inet6 " : " inet ") + stanza.method + "\n";
            for (const auto& option : stanza.options)
                out += "    " + option + "\n";
        }
    }
    return out;
}

}

namespace mb::render {

std::optional<std::string> interfaces_with_source_line(std::string_view existing)
{
    static const char* const source_patterns[] = {
        "/etc/network/interfaces.d/*",
        "interfaces.d/*",
        "/etc/network/interfaces.d/50-cloud-init",
        "interfaces.d/50-cloud-init",
    };
    static const char* const source_directories[] = {
        "/etc/network/interfaces.d",
        "/etc/network/interfaces.d/",
        "interfaces.d",
        "interfaces.d/",
    };
    for (auto raw : split_lines(existing)) {
        std::string line(trim(raw));
        if (line.empty() || line.front() == '#')
            continue;
        for (auto& c : line) {
            if (c == '\t')
                c = ' ';
        }
        std::vector<std::string_view> words;
        for (auto word : split(line, ' ')) {
            word = trim(word);
            if (!word.empty())
                words.push_back(word);
        }
        if (words.size() < 2)
            continue;
        if (words[0] == "source") {
            for (const char* pattern : source_patterns) {
                if (words[1] == pattern)
                    return std::nullopt;
            }
        } else if (words[0] == "source-directory") {
            for (const char* directory : source_directories) {
                if (words[1] == directory)
                    return std::nullopt;
            }
        }
    }
    std::string out(existing);
    if (!out.empty() && out.back() != '\n')
        out += '\n';
    out += "source /etc/network/interfaces.d/*\n";
    return out;
}

namespace {

// ifupdown installed (a merged-/usr root reaches sbin through its link, or
// may lack the link). Its interfaces file alone is often left behind by a
// switch to another stack.
bool ifupdown_present(const RootView& root)
{
    return root.exists("sbin/ifup") || root.exists("usr/sbin/ifup");
}

// ifupdown has no runtime directory: the files always go into the root.
Result<std::vector<OutputFile>> render_ifupdown_files(const NetworkConfig& config, const RootView& root, Persistence)
{
    std::vector<OutputFile> files;
    files.push_back({ Place::Root, { ifupdown_path, TRY(render_ifupdown(config)), 0644 } });
    auto existing = TRY(root.read_file(interfaces_path));
    if (auto updated = interfaces_with_source_line(existing.value_or(std::string())))
        files.push_back({ Place::Root, { interfaces_path, std::move(*updated), 0644 } });
    return files;
}

}

const Format ifupdown_format {
    .name = "ifupdown",
    .present = ifupdown_present,
    .render = render_ifupdown_files,
    // Debian's ifupdown brings `auto` interfaces up from networking.service.
    .service = "networking.service",
    .looked_for = "sbin/ifup",
};

}
