// The systemd-networkd renderer. Each key is the one netplan 0.106's
// src/networkd.c writes for the same netplan YAML, with the sections systemd
// 252 (Debian 12, RHEL 9, AL2023) documents rather than their deprecated
// aliases; tests/integration/test_render.py compares the two by meaning.
// Sections come in netplan's order: Match, Link, Network, Route,
// RoutingPolicyRule, DHCPv4, IPv6AcceptRA. Every value is re-printed from an
// address or number type, a fixed word, or a name validate() accepted.
//
// Deliberate differences from netplan, each for a reason:
// - [DHCPv4] and [IPv6AcceptRA] instead of netplan's [DHCP]. In systemd 252
//   [DHCP] RouteMetric= sets the DHCPv4 routes' metric and the RA routes'
//   metric, its other keys are DHCPv4-only, and [DHCPv6] RouteMetric= is an
//   alias too: "The option of the same name in the [DHCPv6] section is moved
//   to [IPv6AcceptRA], since it conceptually belongs there; the old option is
//   still understood for compatibility." (systemd NEWS, v249). Separate
//   sections also carry different IPv4 and IPv6 metrics, which netplan
//   refuses ("networkd requires that route-metric has the same value in both
//   dhcp4_overrides and dhcp6_overrides").
// - `critical` is KeepConfiguration=yes, not netplan 0.106's [DHCP]
//   CriticalConnection=true: "The CriticalConnection= setting in .network
//   files is now deprecated, and replaced by a new KeepConfiguration=
//   setting" (NEWS, v244); networkd turns CriticalConnection=yes into
//   KeepConfiguration=yes itself, and later netplan (src/networkd.c on its
//   main branch) writes KeepConfiguration= too.
// - No .link file for an MTU alone, and no MTUBytes= in the rename .link:
//   the .network's [Link] MTUBytes= sets it when networkd configures the
//   link, and a .link matching a NIC only for its MTU would keep the
//   distribution's 99-default.link (name policy) from applying to it:
//   "The first (in lexical order) of the link files that matches a given
//   device is applied" (systemd.link(5)).
#include "render/networkd.h"

#include "common/format.h"
#include "render/systemd_link.h"

namespace mb::render {

namespace {

void add(std::string& out, const char* key, std::string_view value)
{
    out += key;
    out += '=';
    out += value;
    out += '\n';
}

void add(std::string& out, const char* key, uint32_t value)
{
    add(out, key, std::to_string(value));
}

// netplan: "NetworkManager compatible route metrics": a DHCP interface with
// no route-metric gets 100 (networkd's own default is 1024).
constexpr uint32_t default_dhcp_metric = 100;

std::string network_file(const Interface& interface)
{
    std::string out = generated_header;
    out += "[Match]\n";
    // netplan's append_match_section(): PermanentMACAddress= "to match only
    // the real phy interface and to continue to match it even after its MAC
    // address has been changed" (LP: #1804861), and Name= the set-name, so
    // the .network applies only once the .link has renamed the NIC; without
    // a MAC match the interface is matched by its name alone.
    // A driver match first, where netplan writes it.
    if (interface.match_driver)
        add(out, "Driver", *interface.match_driver);
    if (interface.match_mac)
        add(out, "PermanentMACAddress", interface.match_mac->to_string());
    if (interface.set_name || !interface.match_mac)
        add(out, "Name", interface.set_name.value_or(interface.name));

    if (interface.mtu) {
        out += "\n[Link]\n";
        add(out, "MTUBytes", *interface.mtu);
    }

    out += "\n[Network]\n";
    if (interface.dhcp4 || interface.dhcp6)
        add(out, "DHCP", interface.dhcp4 && interface.dhcp6 ? "yes" : interface.dhcp4 ? "ipv4" : "ipv6");
    // netplan's default `link-local: [ipv6]`, written as netplan writes it.
    // systemd 252's default is the same ("ipv6 otherwise"); "yes" would also
    // take an IPv4LL 169.254/16 address while DHCPv4 is slow.
    add(out, "LinkLocalAddressing", "ipv6");
    for (const auto& address : interface.addresses)
        add(out, "Address", to_string(address));
    if (interface.accept_ra)
        add(out, "IPv6AcceptRA", *interface.accept_ra ? "yes" : "no");
    for (const auto& server : interface.nameservers)
        add(out, "DNS", to_string(server));
    if (!interface.search_domains.empty()) {
        std::string domains;
        for (const auto& domain : interface.search_domains)
            domains += (domains.empty() ? "" : " ") + domain;
        add(out, "Domains", domains);
    }
    // systemd.network(5): "yes" implies "dhcp" (addresses and routes from a
    // DHCP server "will never be dropped even if the DHCP lease expires ...
    // the best choice if, e.g., the root filesystem relies on this
    // connection") and "static" (nothing is dropped when networkd starts).
    if (interface.critical)
        add(out, "KeepConfiguration", "yes");

    for (const auto& route : interface.routes) {
        out += "\n[Route]\n";
        add(out, "Destination", to_string(route.to));
        // No gateway: the destination is on the link. netplan writes the
        // route's default `scope: link` for a route without `via`.
        if (route.via)
            add(out, "Gateway", to_string(*route.via));
        else
            add(out, "Scope", "link");
        if (route.on_link)
            add(out, "GatewayOnLink", "yes");
        if (route.metric)
            add(out, "Metric", *route.metric);
        if (route.table)
            add(out, "Table", *route.table);
    }
    for (const auto& rule : interface.routing_policy) {
        out += "\n[RoutingPolicyRule]\n";
        add(out, "From", to_string(rule.from));
        add(out, "Table", rule.table);
    }

    if (interface.dhcp4) {
        out += "\n[DHCPv4]\n";
        add(out, "RouteMetric", interface.dhcp4_overrides.route_metric.value_or(default_dhcp_metric));
        // netplan: "isc-dhcp dhclient compatible UseMTU, networkd default is
        // to not accept MTU, which breaks clouds" (EC2's jumbo frames, 9001).
        add(out, "UseMTU", "true");
        // UseRoutes= defaults to true; netplan writes only the opposite.
        if (interface.dhcp4_overrides.use_routes == false)
            add(out, "UseRoutes", "false");
        if (interface.dhcp4_overrides.use_dns == false)
            add(out, "UseDNS", "false");
    }
    // netplan writes use-dns under [DHCP], which networkd applies to both
    // clients; [DHCPv6] says the DHCPv6 half where it belongs.
    if (interface.dhcp6 && interface.dhcp6_overrides.use_dns == false)
        out += "\n[DHCPv6]\nUseDNS=false\n";
    // DHCPv6 carries no routes: IPv6 routes come from router advertisements,
    // so dhcp6-overrides' route-metric is the RA routes' metric, as netplan's
    // [DHCP] RouteMetric= makes it. On a DHCPv4-only interface netplan's
    // [DHCP] RouteMetric= reaches the RA routes too, so they get its metric.
    if ((interface.dhcp4 || interface.dhcp6) && interface.accept_ra != false) {
        const auto& overrides = interface.dhcp6 ? interface.dhcp6_overrides : interface.dhcp4_overrides;
        out += "\n[IPv6AcceptRA]\n";
        add(out, "RouteMetric", overrides.route_metric.value_or(default_dhcp_metric));
    }
    return out;
}

}

Result<std::vector<FileContent>> render_networkd(const NetworkConfig& config, const std::string& directory)
{
    TRY(validate(config));
    std::vector<FileContent> files;
    for (const auto& interface : config.interfaces) {
        files.push_back({ strf("%s/%s%s.network", directory.c_str(), systemd_file_prefix, interface.name.c_str()), network_file(interface), 0644 });
        if (auto link = render_systemd_link(interface, directory, generated_header))
            files.push_back(std::move(*link));
    }
    return files;
}

namespace {

// The stack choice between installed formats is made elsewhere; this only
// says networkd is installed (merged /usr or not).
bool networkd_present(const RootView& root)
{
    return root.exists("lib/systemd/systemd-networkd") || root.exists("usr/lib/systemd/systemd-networkd");
}

// networkd reads /run/systemd/network as well as /etc/systemd/network
// (systemd.network(5), "the files are read from ... /run/systemd/network"),
// so the runtime files need no write to the root.
Result<std::vector<OutputFile>> render_networkd_files(const NetworkConfig& config, const RootView&, Persistence persistence)
{
    bool runtime = persistence == Persistence::Runtime;
    auto files = TRY(render_networkd(config, runtime ? runtime_networkd_directory : networkd_directory));
    std::vector<OutputFile> out;
    for (auto& file : files)
        out.push_back({ runtime ? Place::Runtime : Place::Root, std::move(file) });
    return out;
}

// Every 10-cloud-init-*.network and *.link: cloud-init's networkd renderer
// names its files the same way, so one left by an earlier boot (ours or
// cloud-init's) for a NIC that is gone is removed rather than matched.
constexpr OwnedFiles persistent_owned[] = {
    { Place::Root, networkd_directory, systemd_file_prefix, ".network" },
    { Place::Root, networkd_directory, systemd_file_prefix, ".link" },
};
constexpr OwnedFiles runtime_owned[] = {
    { Place::Runtime, runtime_networkd_directory, systemd_file_prefix, ".network" },
    { Place::Runtime, runtime_networkd_directory, systemd_file_prefix, ".link" },
};

}

const Format networkd_format {
    .name = "networkd",
    .present = networkd_present,
    .render = render_networkd_files,
    .owned_persistent = persistent_owned,
    .owned_runtime = runtime_owned,
    .service = "systemd-networkd.service",
    .looked_for = "usr/lib/systemd/systemd-networkd",
};

}
