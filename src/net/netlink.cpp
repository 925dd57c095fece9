#include "net/netlink.h"

#include "common/format.h"
#include "common/sort.h"
#include "dhcp/link_plan.h"
#include "net/libnl_error.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <linux/fib_rules.h>
#include <linux/if_addr.h>
#include <linux/if_arp.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/ipv6.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdio>

// The messages are rtnetlink's own (rtnetlink(7)), built and read with
// libnl's core: its socket, sequence and ack handling, and its
// length-checked attribute parser. libnl-route's object model (a cache and
// an object per link, address and route, with parsers for every attribute
// the kernel may send) is not linked: it cost 34 KB of the 400 KiB budget
// for the few fields metaboot reads and writes.

namespace mb::net {

Error nl_error(const char* what, int code)
{
    return Error::io(strf("%s: %s", what, nl_geterror(code)));
}

namespace {

struct Message {
    nl_msg* ptr;
    explicit Message(int type, int flags)
        : ptr(nlmsg_alloc_simple(type, flags))
    {
    }
    ~Message()
    {
        if (ptr)
            nlmsg_free(ptr);
    }
    Message(const Message&) = delete;
    Message& operator=(const Message&) = delete;
};

// Sends one request and waits for the kernel's ack: 0, or libnl's negative
// error (the kernel's errno mapped: EEXIST -> NLE_EXIST, ESRCH ->
// NLE_OBJ_NOTFOUND, ENODEV -> NLE_NODEV).
int send_request(nl_sock* socket, Message& message)
{
    if (!message.ptr)
        return -NLE_NOMEM;
    nl_msg* msg = message.ptr;
    message.ptr = nullptr; // nl_send_sync frees it
    return nl_send_sync(socket, msg);
}

int put_v4(nl_msg* msg, int type, Ipv4Address address)
{
    uint32_t be = htonl(address.value());
    return nla_put(msg, type, 4, &be);
}

// An address attribute of `family` (IFA_LOCAL, RTA_DST, ...), or nothing
// when absent or of the wrong length.
IpPrefix attr_prefix(const nlattr* attribute, int family, unsigned length)
{
    if (!attribute)
        return {};
    auto const* data = static_cast<const uint8_t*>(nla_data(attribute));
    if (family == AF_INET && nla_len(attribute) == 4) {
        uint32_t be;
        std::memcpy(&be, data, 4);
        return Ipv4Prefix(Ipv4Address(ntohl(be)), uint8_t(std::min(length, 32u)));
    }
    if (family == AF_INET6 && nla_len(attribute) == 16) {
        std::array<uint8_t, 16> bytes;
        std::memcpy(bytes.data(), data, 16);
        return Ipv6Prefix(Ipv6Address(bytes), uint8_t(std::min(length, 128u)));
    }
    return {};
}

IpPrefix attr_host(const nlattr* attribute, int family)
{
    return attr_prefix(attribute, family, family == AF_INET ? 32 : 128);
}

uint32_t attr_u32(const nlattr* attribute, uint32_t otherwise)
{
    return attribute && nla_len(attribute) >= 4 ? nla_get_u32(attribute) : otherwise;
}

std::string attr_string(const nlattr* attribute)
{
    if (!attribute)
        return {};
    auto const* text = static_cast<const char*>(nla_data(attribute));
    return std::string(text, strnlen(text, size_t(nla_len(attribute))));
}

// The fixed header in front of a message's attributes, copied out (the
// payload need not be aligned for the struct); false when too short.
template<typename Header>
bool header_of(nlmsghdr* message, Header& header)
{
    if (nlmsg_datalen(message) < int(sizeof header))
        return false;
    std::memcpy(&header, nlmsg_data(message), sizeof header);
    return true;
}

// A dump request (RTM_GET* with NLM_F_DUMP and a family header); each
// message of the answer goes to `on_message`. A dump that races a change is
// flagged NLM_F_DUMP_INTR (libnl: -NLE_DUMP_INTR): what was collected is
// dropped (`reset`) and the dump asked again.
Status dump_messages(nl_sock* socket, int type, void* header, size_t size, nl_recvmsg_msg_cb_t on_message, void* out, void (*reset)(void*),
    const char* what)
{
    int err = 0;
    for (int attempt = 0; attempt < 3; ++attempt) {
        reset(out);
        if (err = nl_send_simple(socket, type, NLM_F_DUMP, header, int(size)); err < 0)
            break;
        nl_cb* base = nl_socket_get_cb(socket);
        nl_cb* callbacks = base ? nl_cb_clone(base) : nullptr;
        if (base)
            nl_cb_put(base);
        if (!callbacks)
            return Error::io("netlink: out of memory");
        nl_cb_set(callbacks, NL_CB_VALID, NL_CB_CUSTOM, on_message, out);
        err = nl_recvmsgs(socket, callbacks);
        nl_cb_put(callbacks);
        if (err >= 0)
            return {};
        if (err != -NLE_DUMP_INTR)
            break;
    }
    return nl_error(what, err);
}

template<auto Handler, typename Out, typename Header>
Status dump(nl_sock* socket, int type, Header header, Out& out, const char* what)
{
    auto on_message = [](nl_msg* msg, void* arg) {
        Handler(nlmsg_hdr(msg), static_cast<Out*>(arg));
        return int(NL_OK);
    };
    auto reset = [](void* arg) { *static_cast<Out*>(arg) = {}; };
    return dump_messages(socket, type, &header, sizeof header, on_message, &out, reset, what);
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

// A link as RTM_NEWLINK describes it: what LinkInfo and the snapshot keep.
struct DumpedLink {
    LinkInfo info;
    InterfaceSnapshot::Link snapshot;
};

void on_link(nlmsghdr* message, std::vector<DumpedLink>* links)
{
    ifinfomsg header;
    nlattr* attrs[IFLA_MAX + 1];
    if (message->nlmsg_type != RTM_NEWLINK || !header_of(message, header) || nlmsg_parse(message, sizeof header, attrs, IFLA_MAX, nullptr) < 0)
        return;
    DumpedLink link;
    LinkInfo& info = link.info;
    InterfaceSnapshot::Link& snap = link.snapshot;
    info.ifindex = snap.ifindex = header.ifi_index;
    info.flags = snap.flags = header.ifi_flags;
    info.name = snap.name = attr_string(attrs[IFLA_IFNAME]);
    info.mtu = snap.mtu = attr_u32(attrs[IFLA_MTU], 0);
    info.master = int(attr_u32(attrs[IFLA_MASTER], 0));
    if (attrs[IFLA_ADDRESS] && nla_len(attrs[IFLA_ADDRESS]) == 6) {
        std::array<uint8_t, 6> bytes;
        std::memcpy(bytes.data(), nla_data(attrs[IFLA_ADDRESS]), 6);
        snap.mac = MacAddress(bytes);
        if (header.ifi_type == ARPHRD_ETHER) {
            info.ethernet = true;
            info.mac = snap.mac;
        }
    }
    if (attrs[IFLA_OPERSTATE] && nla_len(attrs[IFLA_OPERSTATE]) >= 1)
        snap.operstate = nla_get_u8(attrs[IFLA_OPERSTATE]);
    if (attrs[IFLA_LINKINFO]) {
        nlattr* linkinfo[IFLA_INFO_MAX + 1];
        if (nla_parse_nested(linkinfo, IFLA_INFO_MAX, attrs[IFLA_LINKINFO], nullptr) == 0)
            info.kind = attr_string(linkinfo[IFLA_INFO_KIND]);
    }
    if (attrs[IFLA_AF_SPEC]) {
        nlattr* family;
        int left;
        nla_for_each_nested(family, attrs[IFLA_AF_SPEC], left)
        {
            if (nla_type(family) == AF_INET) {
                nlattr* inet[IFLA_INET_MAX + 1];
                if (nla_parse_nested(inet, IFLA_INET_MAX, family, nullptr) == 0 && inet[IFLA_INET_CONF])
                    snap.ipv4_conf = conf_array(inet[IFLA_INET_CONF], 1);
            } else if (nla_type(family) == AF_INET6) {
                nlattr* inet6[IFLA_INET6_MAX + 1];
                if (nla_parse_nested(inet6, IFLA_INET6_MAX, family, nullptr) == 0 && inet6[IFLA_INET6_CONF])
                    snap.ipv6_conf = conf_array(inet6[IFLA_INET6_CONF], 0);
            }
        }
    }
    links->push_back(std::move(link));
}

Result<std::vector<DumpedLink>> dump_links(nl_sock* socket)
{
    std::vector<DumpedLink> links;
    ifinfomsg request {};
    request.ifi_family = AF_UNSPEC;
    TRY(dump<on_link>(socket, RTM_GETLINK, request, links, "listing links"));
    return links;
}

// IFA_LOCAL is the address itself; IFA_ADDRESS is the peer on a
// point-to-point link and the address itself otherwise (IPv6 sends only
// IFA_ADDRESS). IFA_FLAGS, when present, holds all the flags (ifa_flags
// has room for 8).
void on_address(nlmsghdr* message, std::vector<InterfaceSnapshot::Address>* addresses)
{
    ifaddrmsg header;
    nlattr* attrs[IFA_MAX + 1];
    if (message->nlmsg_type != RTM_NEWADDR || !header_of(message, header) || nlmsg_parse(message, sizeof header, attrs, IFA_MAX, nullptr) < 0)
        return;
    InterfaceSnapshot::Address address;
    address.ifindex = int(header.ifa_index);
    address.local = attr_prefix(attrs[IFA_LOCAL] ? attrs[IFA_LOCAL] : attrs[IFA_ADDRESS], header.ifa_family, header.ifa_prefixlen);
    address.broadcast = attr_host(attrs[IFA_BROADCAST], header.ifa_family);
    address.scope = header.ifa_scope;
    address.flags = attr_u32(attrs[IFA_FLAGS], header.ifa_flags);
    addresses->push_back(std::move(address));
}

Result<std::vector<InterfaceSnapshot::Address>> dump_addresses(nl_sock* socket)
{
    std::vector<InterfaceSnapshot::Address> addresses;
    ifaddrmsg request {};
    request.ifa_family = AF_UNSPEC;
    TRY(dump<on_address>(socket, RTM_GETADDR, request, addresses, "listing addresses"));
    return addresses;
}

// A route's next hops: RTA_MULTIPATH's list of rtnexthop, or the one hop of
// RTA_OIF and RTA_GATEWAY (with the route's own RTNH_F_* flags).
void on_route(nlmsghdr* message, std::vector<InterfaceSnapshot::Route>* routes)
{
    rtmsg header;
    nlattr* attrs[RTA_MAX + 1];
    if (message->nlmsg_type != RTM_NEWROUTE || !header_of(message, header) || nlmsg_parse(message, sizeof header, attrs, RTA_MAX, nullptr) < 0)
        return;
    InterfaceSnapshot::Route route;
    int family = header.rtm_family;
    route.family = family;
    route.table = attr_u32(attrs[RTA_TABLE], header.rtm_table);
    // No RTA_DST: the default route, 0.0.0.0/0 or ::/0.
    if (attrs[RTA_DST])
        route.destination = attr_prefix(attrs[RTA_DST], family, header.rtm_dst_len);
    else if (family == AF_INET)
        route.destination = Ipv4Prefix(Ipv4Address(), header.rtm_dst_len);
    else if (family == AF_INET6)
        route.destination = Ipv6Prefix(Ipv6Address(), header.rtm_dst_len);
    route.source = attr_host(attrs[RTA_PREFSRC], family);
    route.protocol = header.rtm_protocol;
    route.scope = header.rtm_scope;
    route.type = header.rtm_type;
    route.metric = attr_u32(attrs[RTA_PRIORITY], 0);
    if (attrs[RTA_MULTIPATH]) {
        auto const* data = static_cast<const uint8_t*>(nla_data(attrs[RTA_MULTIPATH]));
        int left = nla_len(attrs[RTA_MULTIPATH]);
        while (left >= int(sizeof(rtnexthop))) {
            rtnexthop hop;
            std::memcpy(&hop, data, sizeof hop);
            if (hop.rtnh_len < sizeof hop || hop.rtnh_len > left)
                break;
            nlattr* hop_attrs[RTA_MAX + 1];
            IpPrefix gateway;
            if (nla_parse(hop_attrs, RTA_MAX, reinterpret_cast<nlattr*>(const_cast<uint8_t*>(data) + RTNH_LENGTH(0)), hop.rtnh_len - int(RTNH_LENGTH(0)), nullptr) == 0)
                gateway = attr_host(hop_attrs[RTA_GATEWAY], family);
            route.hops.push_back({ hop.rtnh_ifindex, gateway, hop.rtnh_flags });
            int step = int(RTNH_ALIGN(hop.rtnh_len));
            data += step;
            left -= step;
        }
    } else if (attrs[RTA_OIF] || attrs[RTA_GATEWAY]) {
        route.hops.push_back({ int(attr_u32(attrs[RTA_OIF], 0)), attr_host(attrs[RTA_GATEWAY], family), header.rtm_flags & 0xffu });
    }
    routes->push_back(std::move(route));
}

void on_rule(nlmsghdr* message, std::vector<std::string>* rules)
{
    fib_rule_hdr header;
    nlattr* attrs[FRA_MAX + 1];
    if (message->nlmsg_type != RTM_NEWRULE || !header_of(message, header) || nlmsg_parse(message, sizeof header, attrs, FRA_MAX, nullptr) < 0)
        return;
    std::string iif = attr_string(attrs[FRA_IFNAME]);
    rules->push_back(strf("rule family %u prio %u from %s to %s iif %s table %u action %u", unsigned(header.family), attr_u32(attrs[FRA_PRIORITY], 0),
        to_string(attr_prefix(attrs[FRA_SRC], header.family, header.src_len)).c_str(),
        to_string(attr_prefix(attrs[FRA_DST], header.family, header.dst_len)).c_str(), iif.empty() ? "-" : iif.c_str(),
        attr_u32(attrs[FRA_TABLE], header.table), unsigned(header.action)));
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
    std::vector<LinkInfo> out;
    for (auto& link : TRY(dump_links(m_socket)))
        out.push_back(std::move(link.info));
    // The kernel dumps links in ifindex order within each hash bucket only.
    sort_small(out, [](const LinkInfo& a, const LinkInfo& b) { return a.ifindex < b.ifindex; });
    return out;
}

Result<LinkInfo> Netlink::link_by_name(const std::string& name)
{
    auto all = TRY(links());
    for (auto& link : all)
        if (link.name == name)
            return link;
    return Error::not_found(strf("no interface named %s", name.c_str()));
}

Result<std::vector<std::pair<int, Ipv4Prefix>>> Netlink::ipv4_addresses()
{
    std::lock_guard lock(m_mutex);
    std::vector<std::pair<int, Ipv4Prefix>> out;
    for (auto& address : TRY(dump_addresses(m_socket))) {
        auto const* local = std::get_if<Ipv4Prefix>(&address.local);
        if (local && address.scope == RT_SCOPE_UNIVERSE)
            out.emplace_back(address.ifindex, *local);
    }
    return out;
}

Result<InterfaceSnapshot> Netlink::snapshot(const std::vector<int>& ifindexes)
{
    std::lock_guard lock(m_mutex);
    auto ours = [&](int ifindex) { return std::find(ifindexes.begin(), ifindexes.end(), ifindex) != ifindexes.end(); };
    InterfaceSnapshot out;

    for (auto& link : TRY(dump_links(m_socket)))
        if (ours(link.snapshot.ifindex))
            out.links.push_back(std::move(link.snapshot));
    for (auto& address : TRY(dump_addresses(m_socket)))
        if (ours(address.ifindex))
            out.addresses.push_back(std::move(address));

    // Every table (RTM_GETROUTE's dump is not filtered by rtm_table), both
    // families.
    std::vector<InterfaceSnapshot::Route> routes;
    rtmsg route_request {};
    TRY(dump<on_route>(m_socket, RTM_GETROUTE, route_request, routes, "listing routes"));
    for (auto& route : routes) {
        bool mine = false;
        for (auto const& hop : route.hops)
            mine = mine || ours(hop.ifindex);
        if (mine)
            out.routes.push_back(std::move(route));
    }

    fib_rule_hdr rule_request {};
    TRY(dump<on_rule>(m_socket, RTM_GETRULE, rule_request, out.rules, "listing rules"));
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
    // Inside fe80::/10 (RFC 4291 §2.5.6): the first ten bits 1111111010.
    auto const* v6 = std::get_if<Ipv6Prefix>(&prefix);
    if (!v6 || v6->length() < 10)
        return false;
    auto const& bytes = v6->address().bytes();
    return bytes[0] == 0xfe && (bytes[1] & 0xc0) == 0x80;
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

// One line per compared item, sorted: the comparison is of sets. A link's
// lines name it by ifindex; its name is shown, not compared: udev renames a
// NIC (eth0 to ens5) on its own while a run waits in a systemd initrd, and
// metaboot never renames one.
struct ComparedLine {
    std::string key;
    std::string shown;
    bool operator<(const ComparedLine& other) const { return key < other.key; }
};

std::vector<ComparedLine> compared_lines(const InterfaceSnapshot& snapshot)
{
    std::vector<ComparedLine> lines;
    auto plain = [&](std::string line) { lines.push_back({ line, line }); };
    for (auto const& link : snapshot.links) {
        auto id = strf("link %d", link.ifindex);
        auto named = strf("%s %s", id.c_str(), link.name.c_str());
        auto add = [&](const std::string& rest) { lines.push_back({ id + rest, named + rest }); };
        add(strf(" flags 0x%x mtu %u mac %s", link.flags & ~link_state_flags, link.mtu, link.mac.to_string().c_str()));
        for (auto const& [family, conf] : { std::pair { AF_INET, &link.ipv4_conf }, std::pair { AF_INET6, &link.ipv6_conf } }) {
            for (auto const& [sysctl, value] : *conf) {
                if (is_kernels_sysctl(family, sysctl))
                    continue;
                add(strf("%s conf %d = %d", family == AF_INET ? " ipv4" : " ipv6", sysctl, value));
            }
        }
    }
    for (auto const& address : snapshot.addresses) {
        if (is_kernels_address(address))
            continue;
        plain(strf("addr %d %s brd %s scope %u flags 0x%x", address.ifindex, to_string(address.local).c_str(), to_string(address.broadcast).c_str(),
            unsigned(address.scope), unsigned(address.flags & ~address_state_flags)));
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
        plain(strf("route table %u family %d %s src %s proto %u scope %u type %u metric %u%s", route.table, route.family,
            to_string(route.destination).c_str(), to_string(route.source).c_str(), unsigned(route.protocol), unsigned(route.scope),
            unsigned(route.type), route.metric, hops.c_str()));
    }
    for (auto const& rule : snapshot.rules)
        plain(rule);
    sort_small(lines, [](const ComparedLine& a, const ComparedLine& b) { return a.key < b.key; });
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
            out.push_back(strf("before: %s", line.shown.c_str()));
    for (auto const& line : is)
        if (!std::binary_search(was.begin(), was.end(), line))
            out.push_back(strf("after: %s", line.shown.c_str()));
    return out;
}

std::vector<std::string> teardown_differences(const Result<InterfaceSnapshot>& before, const Result<InterfaceSnapshot>& after)
{
    if (before.is_error())
        return { strf("no snapshot before the run: %s", before.error().message().c_str()) };
    if (after.is_error())
        return { strf("no snapshot after the teardown: %s", after.error().message().c_str()) };
    return teardown_differences(*before, *after);
}

// RTM_NEWLINK on an existing link changes what it names: IFF_UP through
// ifi_change's mask, the MTU through IFLA_MTU.
static Status change_link(nl_sock* socket, int ifindex, bool set_up, bool set_down, std::optional<uint32_t> mtu)
{
    Message message(RTM_NEWLINK, 0);
    ifinfomsg header {};
    header.ifi_family = AF_UNSPEC;
    header.ifi_index = ifindex;
    header.ifi_flags = set_up ? IFF_UP : 0;
    header.ifi_change = set_up || set_down ? IFF_UP : 0;
    if (!message.ptr || nlmsg_append(message.ptr, &header, sizeof header, NLMSG_ALIGNTO) < 0 || (mtu && nla_put_u32(message.ptr, IFLA_MTU, *mtu) < 0))
        return Error::io("netlink: out of memory");
    if (int err = send_request(socket, message); err < 0)
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
    return Error::not_found(strf("no link with index %d", ifindex));
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
    return Error::not_found(strf("no link with index %d", ifindex));
}

static Status address_op(nl_sock* socket, bool add, int ifindex, Ipv4Prefix prefix, Ipv4Address broadcast, bool* existed)
{
    Message message(add ? RTM_NEWADDR : RTM_DELADDR, add ? NLM_F_CREATE | NLM_F_EXCL : 0);
    ifaddrmsg header {};
    header.ifa_family = AF_INET;
    header.ifa_prefixlen = prefix.length();
    header.ifa_scope = RT_SCOPE_UNIVERSE;
    header.ifa_index = unsigned(ifindex);
    if (!message.ptr || nlmsg_append(message.ptr, &header, sizeof header, NLMSG_ALIGNTO) < 0 || put_v4(message.ptr, IFA_LOCAL, prefix.address()) < 0
        || put_v4(message.ptr, IFA_ADDRESS, prefix.address()) < 0
        || (!broadcast.is_unspecified() && put_v4(message.ptr, IFA_BROADCAST, broadcast) < 0))
        return Error::io("netlink: out of memory");
    int err = send_request(socket, message);
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

// A route of the main table with protocol "dhcp" (RTPROT_DHCP): the delete
// names the same fields, so it removes only the route metaboot added.
static Status route_op(nl_sock* socket, bool add, int ifindex, Ipv4Prefix destination, std::optional<Ipv4Address> gateway,
    Ipv4Address source, bool* existed)
{
    Message message(add ? RTM_NEWROUTE : RTM_DELROUTE, add ? NLM_F_CREATE | NLM_F_EXCL : 0);
    rtmsg header {};
    header.rtm_family = AF_INET;
    header.rtm_dst_len = destination.length();
    header.rtm_table = RT_TABLE_MAIN;
    header.rtm_protocol = RTPROT_DHCP;
    header.rtm_scope = gateway ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
    header.rtm_type = RTN_UNICAST;
    nl_msg* msg = message.ptr;
    if (!msg || nlmsg_append(msg, &header, sizeof header, NLMSG_ALIGNTO) < 0
        || (destination.length() && put_v4(msg, RTA_DST, destination.network()) < 0)
        || (!source.is_unspecified() && put_v4(msg, RTA_PREFSRC, source) < 0) || nla_put_u32(msg, RTA_OIF, uint32_t(ifindex)) < 0
        || (gateway && put_v4(msg, RTA_GATEWAY, *gateway) < 0))
        return Error::io("netlink: out of memory");
    int err = send_request(socket, message);
    if (add && err == -NLE_EXIST && existed) {
        *existed = true;
        return {};
    }
    if (!add && (err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV))
        return Error::not_found("route already gone");
    if (err < 0)
        return nl_error(add ? strf("adding route to %s", destination.to_string().c_str()).c_str() : "removing route", err);
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
