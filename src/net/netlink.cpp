#include "net/netlink.h"

#include "dhcp/link_plan.h"
#include "net/libnl_error.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <linux/if_addr.h>
#include <linux/if_arp.h>
#include <linux/if.h>
#include <linux/ipv6.h>
#include <linux/rtnetlink.h>
#include <netlink/addr.h>
#include <netlink/attr.h>
#include <netlink/cache.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>
#include <netlink/route/rule.h>
#include <netlink/socket.h>
#include <poll.h>

#include <algorithm>
#include <cstdio>

namespace mb::net {

Error nl_error(const char* what, int code)
{
    return Error::io(std::string(what) + ": " + nl_geterror(code));
}

namespace {

template<typename T, void (*Free)(T*)>
struct Owned {
    T* ptr { nullptr };
    Owned() = default;
    explicit Owned(T* p)
        : ptr(p)
    {
    }
    ~Owned()
    {
        if (ptr)
            Free(ptr);
    }
    Owned(const Owned&) = delete;
    Owned& operator=(const Owned&) = delete;
    T* get() const { return ptr; }
};

void free_cache(nl_cache* c) { nl_cache_free(c); }
void put_link(rtnl_link* l) { rtnl_link_put(l); }
void put_addr(rtnl_addr* a) { rtnl_addr_put(a); }
void put_route(rtnl_route* r) { rtnl_route_put(r); }
void put_nladdr(nl_addr* a) { nl_addr_put(a); }
void free_socket(nl_sock* s) { nl_socket_free(s); }

using Cache = Owned<nl_cache, free_cache>;
using Link = Owned<rtnl_link, put_link>;
using Addr = Owned<rtnl_addr, put_addr>;
using Route = Owned<rtnl_route, put_route>;
using NlAddr = Owned<nl_addr, put_nladdr>;
using Socket = Owned<nl_sock, free_socket>;

nl_addr* build_v4(Ipv4Address address, uint8_t prefix_length)
{
    uint32_t be = htonl(address.value());
    nl_addr* a = nl_addr_build(AF_INET, &be, 4);
    if (a)
        nl_addr_set_prefixlen(a, prefix_length);
    return a;
}

std::string addr_text(nl_addr* a)
{
    if (!a)
        return "-";
    char buf[128];
    return nl_addr2str(a, buf, sizeof buf);
}

LinkInfo to_link_info(rtnl_link* link)
{
    LinkInfo info;
    info.ifindex = rtnl_link_get_ifindex(link);
    if (auto* name = rtnl_link_get_name(link))
        info.name = name;
    info.flags = rtnl_link_get_flags(link);
    info.mtu = rtnl_link_get_mtu(link);
    if (auto* kind = rtnl_link_get_type(link))
        info.kind = kind;
    info.master = rtnl_link_get_master(link);
    nl_addr* lladdr = rtnl_link_get_addr(link);
    if (rtnl_link_get_arptype(link) == ARPHRD_ETHER && lladdr && nl_addr_get_len(lladdr) == 6) {
        info.ethernet = true;
        std::array<uint8_t, 6> bytes {};
        std::memcpy(bytes.data(), nl_addr_get_binary_addr(lladdr), 6);
        info.mac = MacAddress(bytes);
    }
    return info;
}

}

// One journalled change and how to revert it.
struct Netlink::Change {
    enum class Kind { LinkUp, Mtu, Address, Route, Foreign } kind;
    int ifindex { 0 };
    uint32_t old_mtu { 0 };
    Ipv4Prefix prefix;
    Ipv4Address broadcast;
    std::optional<Ipv4Address> gateway;
    Ipv4Address source;
    ForeignChange foreign;
};

Result<std::unique_ptr<Netlink>> Netlink::open()
{
    std::unique_ptr<Netlink> netlink(new Netlink());
    netlink->m_socket = nl_socket_alloc();
    if (!netlink->m_socket)
        return Error::io("netlink: out of memory");
    if (int err = nl_connect(netlink->m_socket, NETLINK_ROUTE); err < 0)
        return nl_error("netlink connect", err);
    return netlink;
}

Netlink::~Netlink()
{
    if (m_socket)
        nl_socket_free(m_socket);
}

Result<std::vector<LinkInfo>> Netlink::links()
{
    std::lock_guard lock(m_mutex);
    nl_cache* raw = nullptr;
    if (int err = rtnl_link_alloc_cache(m_socket, AF_UNSPEC, &raw); err < 0)
        return nl_error("listing links", err);
    Cache cache(raw);
    std::vector<LinkInfo> out;
    for (nl_object* obj = nl_cache_get_first(raw); obj; obj = nl_cache_get_next(obj))
        out.push_back(to_link_info(reinterpret_cast<rtnl_link*>(obj)));
    std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.ifindex < b.ifindex; });
    return out;
}

Result<LinkInfo> Netlink::link_by_name(const std::string& name)
{
    auto all = TRY(links());
    for (auto& link : all)
        if (link.name == name)
            return link;
    return Error::not_found("no interface named " + name);
}

Result<std::vector<std::pair<int, Ipv4Prefix>>> Netlink::ipv4_addresses()
{
    std::lock_guard lock(m_mutex);
    nl_cache* raw = nullptr;
    if (int err = rtnl_addr_alloc_cache(m_socket, &raw); err < 0)
        return nl_error("listing addresses", err);
    Cache cache(raw);
    std::vector<std::pair<int, Ipv4Prefix>> out;
    for (nl_object* obj = nl_cache_get_first(raw); obj; obj = nl_cache_get_next(obj)) {
        auto* a = reinterpret_cast<rtnl_addr*>(obj);
        nl_addr* local = rtnl_addr_get_local(a);
        if (rtnl_addr_get_family(a) != AF_INET || rtnl_addr_get_scope(a) != RT_SCOPE_UNIVERSE || !local || nl_addr_get_len(local) != 4)
            continue;
        uint32_t value = 0;
        std::memcpy(&value, nl_addr_get_binary_addr(local), 4);
        out.emplace_back(rtnl_addr_get_ifindex(a), Ipv4Prefix(Ipv4Address(ntohl(value)), uint8_t(rtnl_addr_get_prefixlen(a))));
    }
    return out;
}

namespace {

IpPrefix to_prefix(nl_addr* a, unsigned length)
{
    if (!a)
        return {};
    unsigned size = nl_addr_get_len(a);
    auto const* data = static_cast<const uint8_t*>(nl_addr_get_binary_addr(a));
    // A route without RTA_DST (a default route) has an empty address.
    if (nl_addr_get_family(a) == AF_INET && (size == 4 || size == 0)) {
        uint32_t be = 0;
        if (size)
            std::memcpy(&be, data, 4);
        return Ipv4Prefix(Ipv4Address(ntohl(be)), uint8_t(std::min(length, 32u)));
    }
    if (nl_addr_get_family(a) == AF_INET6 && (size == 16 || size == 0)) {
        std::array<uint8_t, 16> bytes {};
        if (size)
            std::memcpy(bytes.data(), data, 16);
        return Ipv6Prefix(Ipv6Address(bytes), uint8_t(std::min(length, 128u)));
    }
    return {};
}

IpPrefix to_host(nl_addr* a)
{
    return to_prefix(a, a && nl_addr_get_family(a) == AF_INET ? 32 : 128);
}

// IFLA_INET_CONF (u32) and IFLA_INET6_CONF (s32): arrays of the interface's
// sysctls, entry i holding the one with id first_id + i.
std::vector<std::pair<int, int32_t>> conf_array(nlattr* attribute, int first_id)
{
    std::vector<std::pair<int, int32_t>> out;
    auto const* data = static_cast<const uint8_t*>(nla_data(attribute));
    int count = nla_len(attribute) / 4;
    for (int i = 0; i < count; ++i) {
        int32_t value;
        std::memcpy(&value, data + 4 * i, 4);
        out.emplace_back(first_id + i, value);
    }
    return out;
}

// One RTM_NEWLINK of the dump, decoded through nlmsg_parse's length checks
// (libnl's link object has no getter for the IPv6 sysctls).
int on_snapshot_link(nl_msg* msg, void* arg)
{
    auto* links = static_cast<std::vector<InterfaceSnapshot::Link>*>(arg);
    nlmsghdr* header = nlmsg_hdr(msg);
    nlattr* attrs[IFLA_MAX + 1];
    if (header->nlmsg_type != RTM_NEWLINK || nlmsg_parse(header, sizeof(ifinfomsg), attrs, IFLA_MAX, nullptr) < 0)
        return NL_SKIP;
    ifinfomsg info;
    std::memcpy(&info, nlmsg_data(header), sizeof info);
    InterfaceSnapshot::Link link;
    link.ifindex = info.ifi_index;
    link.flags = info.ifi_flags;
    if (auto* name = attrs[IFLA_IFNAME]) {
        auto const* text = static_cast<const char*>(nla_data(name));
        link.name.assign(text, strnlen(text, size_t(nla_len(name))));
    }
    if (attrs[IFLA_MTU] && nla_len(attrs[IFLA_MTU]) >= 4)
        link.mtu = nla_get_u32(attrs[IFLA_MTU]);
    if (attrs[IFLA_ADDRESS] && nla_len(attrs[IFLA_ADDRESS]) == 6) {
        std::array<uint8_t, 6> bytes;
        std::memcpy(bytes.data(), nla_data(attrs[IFLA_ADDRESS]), 6);
        link.mac = MacAddress(bytes);
    }
    if (attrs[IFLA_OPERSTATE] && nla_len(attrs[IFLA_OPERSTATE]) >= 1)
        link.operstate = nla_get_u8(attrs[IFLA_OPERSTATE]);
    if (attrs[IFLA_AF_SPEC]) {
        nlattr* family;
        int left;
        nla_for_each_nested(family, attrs[IFLA_AF_SPEC], left)
        {
            if (nla_type(family) == AF_INET) {
                nlattr* inet[IFLA_INET_MAX + 1];
                if (nla_parse_nested(inet, IFLA_INET_MAX, family, nullptr) == 0 && inet[IFLA_INET_CONF])
                    link.ipv4_conf = conf_array(inet[IFLA_INET_CONF], 1);
            } else if (nla_type(family) == AF_INET6) {
                nlattr* inet6[IFLA_INET6_MAX + 1];
                if (nla_parse_nested(inet6, IFLA_INET6_MAX, family, nullptr) == 0 && inet6[IFLA_INET6_CONF])
                    link.ipv6_conf = conf_array(inet6[IFLA_INET6_CONF], 0);
            }
        }
    }
    links->push_back(std::move(link));
    return NL_OK;
}

void put_cb(nl_cb* c) { nl_cb_put(c); }
using Callbacks = Owned<nl_cb, put_cb>;

Result<std::vector<InterfaceSnapshot::Link>> dump_links(nl_sock* socket)
{
    int err = 0;
    // A dump that races a change is flagged NLM_F_DUMP_INTR: read it again.
    for (int attempt = 0; attempt < 3; ++attempt) {
        std::vector<InterfaceSnapshot::Link> links;
        ifinfomsg request {};
        request.ifi_family = AF_UNSPEC;
        if (err = nl_send_simple(socket, RTM_GETLINK, NLM_F_DUMP, &request, sizeof request); err < 0)
            return nl_error("listing links", err);
        Callbacks base(nl_socket_get_cb(socket));
        Callbacks callbacks(base.get() ? nl_cb_clone(base.get()) : nullptr);
        if (!callbacks.get())
            return Error::io("netlink: out of memory");
        nl_cb_set(callbacks.get(), NL_CB_VALID, NL_CB_CUSTOM, on_snapshot_link, &links);
        err = nl_recvmsgs(socket, callbacks.get());
        if (err >= 0)
            return links;
        if (err != -NLE_DUMP_INTR)
            break;
    }
    return nl_error("listing links", err);
}

}

Result<InterfaceSnapshot> Netlink::snapshot(const std::vector<int>& ifindexes)
{
    std::lock_guard lock(m_mutex);
    auto ours = [&](int ifindex) { return std::find(ifindexes.begin(), ifindexes.end(), ifindex) != ifindexes.end(); };
    InterfaceSnapshot out;

    for (auto& link : TRY(dump_links(m_socket)))
        if (ours(link.ifindex))
            out.links.push_back(std::move(link));

    nl_cache* raw = nullptr;
    if (int err = rtnl_addr_alloc_cache(m_socket, &raw); err < 0)
        return nl_error("listing addresses", err);
    {
        Cache cache(raw);
        for (nl_object* obj = nl_cache_get_first(raw); obj; obj = nl_cache_get_next(obj)) {
            auto* a = reinterpret_cast<rtnl_addr*>(obj);
            if (!ours(rtnl_addr_get_ifindex(a)))
                continue;
            InterfaceSnapshot::Address address;
            address.ifindex = rtnl_addr_get_ifindex(a);
            address.local = to_prefix(rtnl_addr_get_local(a), unsigned(rtnl_addr_get_prefixlen(a)));
            address.broadcast = to_host(rtnl_addr_get_broadcast(a));
            address.scope = uint8_t(rtnl_addr_get_scope(a));
            address.flags = unsigned(rtnl_addr_get_flags(a));
            out.addresses.push_back(std::move(address));
        }
    }

    raw = nullptr;
    if (int err = rtnl_route_alloc_cache(m_socket, AF_UNSPEC, 0, &raw); err < 0)
        return nl_error("listing routes", err);
    {
        Cache cache(raw);
        for (nl_object* obj = nl_cache_get_first(raw); obj; obj = nl_cache_get_next(obj)) {
            auto* r = reinterpret_cast<rtnl_route*>(obj);
            InterfaceSnapshot::Route route;
            bool mine = false;
            for (int n = 0; n < rtnl_route_get_nnexthops(r); ++n) {
                auto* nh = rtnl_route_nexthop_n(r, n);
                InterfaceSnapshot::Hop hop { rtnl_route_nh_get_ifindex(nh), to_host(rtnl_route_nh_get_gateway(nh)), rtnl_route_nh_get_flags(nh) };
                mine = mine || ours(hop.ifindex);
                route.hops.push_back(std::move(hop));
            }
            if (!mine)
                continue;
            route.family = rtnl_route_get_family(r);
            route.table = rtnl_route_get_table(r);
            nl_addr* dst = rtnl_route_get_dst(r);
            route.destination = to_prefix(dst, dst ? nl_addr_get_prefixlen(dst) : 0);
            route.source = to_host(rtnl_route_get_pref_src(r));
            route.protocol = rtnl_route_get_protocol(r);
            route.scope = rtnl_route_get_scope(r);
            route.type = rtnl_route_get_type(r);
            route.metric = rtnl_route_get_priority(r);
            out.routes.push_back(std::move(route));
        }
    }

    raw = nullptr;
    if (int err = rtnl_rule_alloc_cache(m_socket, AF_UNSPEC, &raw); err < 0)
        return nl_error("listing rules", err);
    {
        Cache cache(raw);
        for (nl_object* obj = nl_cache_get_first(raw); obj; obj = nl_cache_get_next(obj)) {
            auto* r = reinterpret_cast<rtnl_rule*>(obj);
            const char* iif = rtnl_rule_get_iif(r);
            out.rules.push_back("rule family " + std::to_string(rtnl_rule_get_family(r)) + " prio " + std::to_string(rtnl_rule_get_prio(r))
                + " from " + addr_text(rtnl_rule_get_src(r)) + " to " + addr_text(rtnl_rule_get_dst(r)) + " iif " + (iif ? iif : "-")
                + " table " + std::to_string(rtnl_rule_get_table(r)) + " action " + std::to_string(rtnl_rule_get_action(r)));
        }
    }
    return out;
}

std::string to_string(const IpPrefix& prefix)
{
    if (auto const* v4 = std::get_if<Ipv4Prefix>(&prefix))
        return v4->to_string();
    if (auto const* v6 = std::get_if<Ipv6Prefix>(&prefix))
        return v6->to_string();
    return "-";
}

// --- What the kernel changes by itself ----------------------------------
//
// metaboot configures IPv4 only, through the journal; each exception below
// is a change the kernel makes without being asked, which can happen during
// a run on a NIC that was configured just before it (issue 12, item 6). A
// leftover of metaboot's own (an address, a route, a rule, an MTU, a link
// left up or down, a sysctl) matches none of them.

namespace {

// Carrier and the operational state follow the cable and the peer (RFC 2863
// ifOperStatus; IFF_RUNNING, IFF_LOWER_UP and IFF_DORMANT mirror it), not a
// configuration. The administrative flags (IFF_UP, ...) count.
constexpr unsigned link_state_flags = IFF_RUNNING | IFF_LOWER_UP | IFF_DORMANT;

// Where an address is in its life, moved on by the kernel's timers: tentative
// until duplicate address detection ends (RFC 4862 §5.4), optimistic meanwhile
// (RFC 4429), dadfailed when it fails (§5.4.5), deprecated once the preferred
// lifetime runs out (§5.5.4).
constexpr uint32_t address_state_flags = IFA_F_TENTATIVE | IFA_F_OPTIMISTIC | IFA_F_DADFAILED | IFA_F_DEPRECATED;

bool is_ipv6_link_local(const IpPrefix& prefix)
{
    static const Ipv6Prefix link_local(Ipv6Address({ 0xfe, 0x80 }), 10);
    auto const* v6 = std::get_if<Ipv6Prefix>(&prefix);
    return v6 && v6->length() >= 10 && link_local.contains(v6->address());
}

bool is_kernels_address(const InterfaceSnapshot::Address& address)
{
    if (!std::holds_alternative<Ipv6Prefix>(address.local))
        return false;
    // The kernel forms a link-local address when the interface becomes ready
    // (carrier up) and drops it when it goes down (RFC 4862 §5.3), never with
    // IFA_F_NODAD, which marks the one a reach adds (net/netlink_ops.h).
    if (is_ipv6_link_local(address.local))
        return !(address.flags & IFA_F_NODAD);
    // Without IFA_F_PERMANENT: made by the kernel from a Router
    // Advertisement's prefix (SLAAC, RFC 4862 §5.5.3) or a temporary address
    // (RFC 8981); `ip address add` without lifetimes sets it. The only IPv6
    // address metaboot adds is a link-local one, above.
    return !(address.flags & IFA_F_PERMANENT);
}

bool is_kernels_route(const InterfaceSnapshot::Route& route)
{
    if (route.family != AF_INET6)
        return false;
    // Learned from Router Advertisements (RFC 4861 §6.3.4): default routers,
    // on-link prefixes, route information options.
    if (route.protocol == RTPROT_RA)
        return true;
    if (route.protocol != RTPROT_KERNEL)
        return false;
    // fe80::/64 and each link-local address's own route: they come and go
    // with the link-local addresses above.
    if (is_ipv6_link_local(route.destination))
        return true;
    // The local table's routes of an address (local; anycast on a router,
    // RFC 4291 §2.6.1) are added when its DAD ends, and ff00::/8 when the
    // interface becomes ready. The addresses themselves are compared.
    return route.table == RT_TABLE_LOCAL && (route.type == RTN_LOCAL || route.type == RTN_ANYCAST || route.type == RTN_MULTICAST);
}

// CurHopLimit and the link MTU, set from Router Advertisements (RFC 4861
// §6.3.4), stay when the link goes down again.
bool is_kernels_sysctl(int family, int id)
{
    return family == AF_INET6 && (id == DEVCONF_HOPLIMIT || id == DEVCONF_MTU6);
}

std::string hex(unsigned value)
{
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%x", value);
    return buf;
}

// One line per compared item, sorted: the comparison is of sets.
std::vector<std::string> compared_lines(const InterfaceSnapshot& snapshot)
{
    std::vector<std::string> lines;
    for (auto const& link : snapshot.links) {
        auto id = "link " + std::to_string(link.ifindex) + " " + link.name;
        lines.push_back(id + " flags " + hex(link.flags & ~link_state_flags) + " mtu " + std::to_string(link.mtu) + " mac " + link.mac.to_string());
        for (auto const& [family, conf] : { std::pair { AF_INET, &link.ipv4_conf }, std::pair { AF_INET6, &link.ipv6_conf } }) {
            for (auto const& [sysctl, value] : *conf) {
                if (is_kernels_sysctl(family, sysctl))
                    continue;
                lines.push_back(id + (family == AF_INET ? " ipv4" : " ipv6") + " conf " + std::to_string(sysctl) + " = " + std::to_string(value));
            }
        }
    }
    for (auto const& address : snapshot.addresses) {
        if (is_kernels_address(address))
            continue;
        lines.push_back("addr " + std::to_string(address.ifindex) + " " + to_string(address.local) + " brd " + to_string(address.broadcast)
            + " scope " + std::to_string(address.scope) + " flags " + hex(address.flags & ~address_state_flags));
    }
    for (auto const& route : snapshot.routes) {
        if (is_kernels_route(route))
            continue;
        std::string hops;
        for (auto const& hop : route.hops) {
            // RTNH_F_LINKDOWN and RTNH_F_DEAD follow the carrier; onlink is
            // configuration.
            hops += " via " + to_string(hop.gateway) + " dev " + std::to_string(hop.ifindex) + ((hop.flags & RTNH_F_ONLINK) ? " onlink" : "");
        }
        lines.push_back("route table " + std::to_string(route.table) + " family " + std::to_string(route.family) + " " + to_string(route.destination)
            + " src " + to_string(route.source) + " proto " + std::to_string(route.protocol) + " scope " + std::to_string(route.scope)
            + " type " + std::to_string(route.type) + " metric " + std::to_string(route.metric) + hops);
    }
    for (auto const& rule : snapshot.rules)
        lines.push_back(rule);
    std::sort(lines.begin(), lines.end());
    return lines;
}

}

std::vector<std::string> teardown_differences(const InterfaceSnapshot& before, const InterfaceSnapshot& after)
{
    auto was = compared_lines(before);
    auto is = compared_lines(after);
    // What was there and is not, then what is there and was not, each in
    // order: a changed item reads as its before and its after.
    std::vector<std::string> out;
    for (auto const& line : was)
        if (!std::binary_search(is.begin(), is.end(), line))
            out.push_back("before: " + line);
    for (auto const& line : is)
        if (!std::binary_search(was.begin(), was.end(), line))
            out.push_back("after: " + line);
    return out;
}

std::vector<std::string> teardown_differences(const Result<InterfaceSnapshot>& before, const Result<InterfaceSnapshot>& after)
{
    if (before.is_error())
        return { "no snapshot before the run: " + before.error().message() };
    if (after.is_error())
        return { "no snapshot after the teardown: " + after.error().message() };
    return teardown_differences(*before, *after);
}

static Status change_link(nl_sock* socket, int ifindex, bool set_up, bool set_down, std::optional<uint32_t> mtu)
{
    Link original(rtnl_link_alloc());
    Link change(rtnl_link_alloc());
    if (!original.get() || !change.get())
        return Error::io("netlink: out of memory");
    rtnl_link_set_ifindex(original.get(), ifindex);
    if (set_up)
        rtnl_link_set_flags(change.get(), IFF_UP);
    if (set_down)
        rtnl_link_unset_flags(change.get(), IFF_UP);
    if (mtu)
        rtnl_link_set_mtu(change.get(), *mtu);
    if (int err = rtnl_link_change(socket, original.get(), change.get(), 0); err < 0)
        return nl_error("changing link", err);
    return {};
}

Status Netlink::link_up(int ifindex)
{
    std::lock_guard lock(m_mutex);
    TRY(check_open());
    auto all = TRY(links());
    for (auto& link : all) {
        if (link.ifindex != ifindex)
            continue;
        if (link.flags & IFF_UP)
            return {}; // already up: nothing to add, nothing to undo
        TRY(change_link(m_socket, ifindex, true, false, std::nullopt));
        auto change = std::make_unique<Change>();
        change->kind = Change::Kind::LinkUp;
        change->ifindex = ifindex;
        m_journal.push_back(std::move(change));
        return {};
    }
    return Error::not_found("no link with index " + std::to_string(ifindex));
}

Status Netlink::set_mtu(int ifindex, uint32_t mtu)
{
    std::lock_guard lock(m_mutex);
    TRY(check_open());
    auto all = TRY(links());
    for (auto& link : all) {
        if (link.ifindex != ifindex)
            continue;
        if (link.mtu == mtu)
            return {};
        TRY(change_link(m_socket, ifindex, false, false, mtu));
        auto change = std::make_unique<Change>();
        change->kind = Change::Kind::Mtu;
        change->ifindex = ifindex;
        change->old_mtu = link.mtu;
        m_journal.push_back(std::move(change));
        return {};
    }
    return Error::not_found("no link with index " + std::to_string(ifindex));
}

static Status address_op(nl_sock* socket, bool add, int ifindex, Ipv4Prefix prefix, Ipv4Address broadcast, bool* existed)
{
    Addr addr(rtnl_addr_alloc());
    NlAddr local(build_v4(prefix.address(), prefix.length()));
    NlAddr brd(build_v4(broadcast, 32));
    if (!addr.get() || !local.get() || !brd.get())
        return Error::io("netlink: out of memory");
    rtnl_addr_set_ifindex(addr.get(), ifindex);
    rtnl_addr_set_family(addr.get(), AF_INET);
    rtnl_addr_set_local(addr.get(), local.get());
    rtnl_addr_set_prefixlen(addr.get(), prefix.length());
    if (!broadcast.is_unspecified())
        rtnl_addr_set_broadcast(addr.get(), brd.get());
    int err = add ? rtnl_addr_add(socket, addr.get(), NLM_F_EXCL) : rtnl_addr_delete(socket, addr.get(), 0);
    if (add && err == -NLE_EXIST && existed) {
        *existed = true;
        return {};
    }
    if (err < 0)
        return nl_error(add ? "adding address" : "removing address", err);
    return {};
}

Status Netlink::add_address(int ifindex, Ipv4Prefix address, Ipv4Address broadcast)
{
    std::lock_guard lock(m_mutex);
    TRY(check_open());
    bool existed = false;
    TRY(address_op(m_socket, true, ifindex, address, broadcast, &existed));
    if (existed)
        return {};
    auto change = std::make_unique<Change>();
    change->kind = Change::Kind::Address;
    change->ifindex = ifindex;
    change->prefix = address;
    change->broadcast = broadcast;
    m_journal.push_back(std::move(change));
    return {};
}

static Status route_op(nl_sock* socket, bool add, int ifindex, Ipv4Prefix destination, std::optional<Ipv4Address> gateway,
    Ipv4Address source, bool* existed)
{
    Route route(rtnl_route_alloc());
    NlAddr dst(build_v4(destination.network(), destination.length()));
    if (!route.get() || !dst.get())
        return Error::io("netlink: out of memory");
    rtnl_route_set_family(route.get(), AF_INET);
    rtnl_route_set_table(route.get(), RT_TABLE_MAIN);
    rtnl_route_set_type(route.get(), RTN_UNICAST);
    rtnl_route_set_protocol(route.get(), RTPROT_DHCP);
    rtnl_route_set_scope(route.get(), gateway ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK);
    rtnl_route_set_dst(route.get(), dst.get());
    NlAddr src(source.is_unspecified() ? nullptr : build_v4(source, 32));
    if (src.get())
        rtnl_route_set_pref_src(route.get(), src.get());
    rtnl_nexthop* nh = rtnl_route_nh_alloc();
    if (!nh)
        return Error::io("netlink: out of memory");
    rtnl_route_nh_set_ifindex(nh, ifindex);
    NlAddr via(gateway ? build_v4(*gateway, 32) : nullptr);
    if (via.get())
        rtnl_route_nh_set_gateway(nh, via.get());
    rtnl_route_add_nexthop(route.get(), nh); // the route owns nh now
    int err = add ? rtnl_route_add(socket, route.get(), NLM_F_EXCL) : rtnl_route_delete(socket, route.get(), 0);
    if (add && err == -NLE_EXIST && existed) {
        *existed = true;
        return {};
    }
    if (!add && (err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV))
        return Error::not_found("route already gone");
    if (err < 0)
        return nl_error(add ? ("adding route to " + destination.to_string()).c_str() : "removing route", err);
    return {};
}

Status Netlink::add_route(int ifindex, Ipv4Prefix destination, std::optional<Ipv4Address> gateway, Ipv4Address source)
{
    std::lock_guard lock(m_mutex);
    TRY(check_open());
    bool existed = false;
    TRY(route_op(m_socket, true, ifindex, destination, gateway, source, &existed));
    if (existed)
        return {};
    auto change = std::make_unique<Change>();
    change->kind = Change::Kind::Route;
    change->ifindex = ifindex;
    change->prefix = destination;
    change->gateway = gateway;
    change->source = source;
    m_journal.push_back(std::move(change));
    return {};
}

Status Netlink::apply(int ifindex, const dhcp::LinkPlan& plan)
{
    if (plan.mtu)
        TRY(set_mtu(ifindex, *plan.mtu));
    TRY(add_address(ifindex, plan.address, plan.broadcast));
    for (auto& route : plan.routes)
        TRY(add_route(ifindex, route.destination, route.gateway, route.source));
    return {};
}

Status Netlink::undo(const Change& change)
{
    switch (change.kind) {
    case Change::Kind::LinkUp:
        return change_link(m_socket, change.ifindex, false, true, std::nullopt);
    case Change::Kind::Mtu:
        return change_link(m_socket, change.ifindex, false, false, change.old_mtu);
    case Change::Kind::Address:
        return address_op(m_socket, false, change.ifindex, change.prefix, change.broadcast, nullptr);
    case Change::Kind::Route: {
        auto result = route_op(m_socket, false, change.ifindex, change.prefix, change.gateway, change.source, nullptr);
        // A route through a removed address or a downed link is already gone.
        if (result.is_error() && result.error().kind() == ErrorKind::NotFound)
            return {};
        return result;
    }
    case Change::Kind::Foreign:
        return change.foreign.revert(m_socket, change.foreign);
    }
    return {};
}

void Netlink::record(ForeignChange foreign)
{
    std::lock_guard lock(m_mutex);
    auto change = std::make_unique<Change>();
    change->kind = Change::Kind::Foreign;
    change->ifindex = foreign.ifindex;
    change->foreign = std::move(foreign);
    m_journal.push_back(std::move(change));
}

Status Netlink::undo_all()
{
    std::lock_guard lock(m_mutex);
    Status first;
    while (!m_journal.empty()) {
        auto result = undo(*m_journal.back());
        if (result.is_error() && first.ok())
            first = result;
        m_journal.pop_back();
    }
    return first;
}

Status Netlink::undo_link(int ifindex)
{
    std::lock_guard lock(m_mutex);
    Status first;
    for (size_t i = m_journal.size(); i-- > 0;) {
        if (m_journal[i]->ifindex != ifindex)
            continue;
        auto result = undo(*m_journal[i]);
        if (result.is_error() && first.ok())
            first = result;
        m_journal.erase(m_journal.begin() + long(i));
    }
    return first;
}

void Netlink::forget_journal()
{
    std::lock_guard lock(m_mutex);
    m_journal.clear();
}

Status Netlink::check_open() const
{
    if (m_closed)
        return Error::refused("netlink: torn down, no more changes");
    return {};
}

Status Netlink::undo_all_and_close()
{
    std::lock_guard lock(m_mutex);
    m_closed = true;
    return undo_all();
}


}
