#include "net/netlink.h"

#include "dhcp/link_plan.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <linux/if_arp.h>
#include <linux/if.h>
#include <netlink/addr.h>
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

namespace mb::net {

namespace {

Error nl_error(const char* what, int code)
{
    return Error::io(std::string(what) + ": " + nl_geterror(code));
}

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
    enum class Kind { LinkUp, Mtu, Address, Route } kind;
    int ifindex { 0 };
    uint32_t old_mtu { 0 };
    Ipv4Prefix prefix;
    Ipv4Address broadcast;
    std::optional<Ipv4Address> gateway;
    Ipv4Address source;
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

Result<std::string> Netlink::snapshot(const std::vector<int>& ifindexes)
{
    std::lock_guard lock(m_mutex);
    auto ours = [&](int ifindex) { return std::find(ifindexes.begin(), ifindexes.end(), ifindex) != ifindexes.end(); };
    std::vector<std::string> lines;

    for (auto& link : TRY(links())) {
        if (!ours(link.ifindex))
            continue;
        // IFF_RUNNING/LOWER_UP follow the peer and the carrier, not our
        // configuration; the administrative state is what we change.
        lines.push_back("link " + std::to_string(link.ifindex) + " " + link.name + " up=" + ((link.flags & IFF_UP) ? "1" : "0")
            + " mtu=" + std::to_string(link.mtu) + " mac=" + link.mac.to_string());
    }

    nl_cache* raw = nullptr;
    if (int err = rtnl_addr_alloc_cache(m_socket, &raw); err < 0)
        return nl_error("listing addresses", err);
    {
        Cache cache(raw);
        for (nl_object* obj = nl_cache_get_first(raw); obj; obj = nl_cache_get_next(obj)) {
            auto* a = reinterpret_cast<rtnl_addr*>(obj);
            if (!ours(rtnl_addr_get_ifindex(a)))
                continue;
            lines.push_back("addr " + std::to_string(rtnl_addr_get_ifindex(a)) + " " + addr_text(rtnl_addr_get_local(a)) + " brd "
                + addr_text(rtnl_addr_get_broadcast(a)) + " scope " + std::to_string(rtnl_addr_get_scope(a)));
        }
    }

    raw = nullptr;
    if (int err = rtnl_route_alloc_cache(m_socket, AF_UNSPEC, 0, &raw); err < 0)
        return nl_error("listing routes", err);
    {
        Cache cache(raw);
        for (nl_object* obj = nl_cache_get_first(raw); obj; obj = nl_cache_get_next(obj)) {
            auto* r = reinterpret_cast<rtnl_route*>(obj);
            std::string hops;
            bool mine = false;
            for (int n = 0; n < rtnl_route_get_nnexthops(r); ++n) {
                auto* nh = rtnl_route_nexthop_n(r, n);
                int oif = rtnl_route_nh_get_ifindex(nh);
                mine = mine || ours(oif);
                hops += " via " + addr_text(rtnl_route_nh_get_gateway(nh)) + " dev " + std::to_string(oif);
            }
            if (!mine)
                continue;
            lines.push_back("route table " + std::to_string(rtnl_route_get_table(r)) + " " + addr_text(rtnl_route_get_dst(r)) + " src "
                + addr_text(rtnl_route_get_pref_src(r)) + " proto " + std::to_string(rtnl_route_get_protocol(r)) + " scope "
                + std::to_string(rtnl_route_get_scope(r)) + " type " + std::to_string(rtnl_route_get_type(r)) + " metric "
                + std::to_string(rtnl_route_get_priority(r)) + hops);
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
            lines.push_back("rule family " + std::to_string(rtnl_rule_get_family(r)) + " prio " + std::to_string(rtnl_rule_get_prio(r))
                + " from " + addr_text(rtnl_rule_get_src(r)) + " to " + addr_text(rtnl_rule_get_dst(r)) + " iif " + (iif ? iif : "-")
                + " table " + std::to_string(rtnl_rule_get_table(r)) + " action " + std::to_string(rtnl_rule_get_action(r)));
        }
    }

    std::sort(lines.begin(), lines.end());
    std::string out;
    for (auto& line : lines) {
        out += line;
        out += '\n';
    }
    return out;
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
    }
    return {};
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
