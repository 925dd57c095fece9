#include "net/netlink_ops.h"

#include "fs/small_file.h"
#include "net/libnl_error.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <sys/socket.h>
#include <unistd.h>

namespace mb::net {

namespace {

// RTM_NEWADDR (NLM_F_EXCL: never one that is there) or RTM_DELADDR for an
// IPv6 /64 on a link, and the kernel's acknowledgement.
int address_request(nl_sock* socket, int type, int ifindex, const Ipv6Address& address)
{
    nl_msg* message = nlmsg_alloc_simple(type, NLM_F_REQUEST | NLM_F_ACK | (type == RTM_NEWADDR ? NLM_F_CREATE | NLM_F_EXCL : 0));
    if (!message)
        return -NLE_NOMEM;
    ifaddrmsg header {};
    header.ifa_family = AF_INET6;
    header.ifa_prefixlen = 64;
    header.ifa_flags = IFA_F_NODAD;
    header.ifa_scope = RT_SCOPE_LINK;
    header.ifa_index = unsigned(ifindex);
    int err = nlmsg_append(message, &header, sizeof header, NLMSG_ALIGNTO);
    if (err >= 0)
        err = nla_put(message, IFA_ADDRESS, 16, address.bytes().data());
    if (err >= 0)
        err = nl_send_auto(socket, message);
    nlmsg_free(message);
    return err < 0 ? err : nl_wait_for_ack(socket);
}

Status remove_address(nl_sock* socket, const ForeignChange& change)
{
    int err = address_request(socket, RTM_DELADDR, change.ifindex, change.address.address());
    // Gone with its link (a link set down loses its IPv6 addresses).
    if (err < 0 && err != -NLE_NODEV && err != -NLE_NOADDR && err != -NLE_OBJ_NOTFOUND)
        return nl_error("removing IPv6 address", err);
    return {};
}

Status write_sysctl(const std::string& path, std::string_view value)
{
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? Error::not_found(path + ": no such setting") : Error::io(path, errno);
    ssize_t written = ::write(fd, value.data(), value.size());
    int saved = errno;
    ::close(fd);
    if (written != ssize_t(value.size()))
        return Error::io(path, written < 0 ? saved : EIO);
    return {};
}

Status restore_sysctl(nl_sock*, const ForeignChange& change)
{
    return write_sysctl(change.path, change.value);
}

std::string sysctl_path(const std::string& link, std::string_view key)
{
    return "/proc/sys/net/ipv6/conf/" + link + "/" + std::string(key);
}

struct UsableQuery {
    int ifindex;
    bool found;
};

int on_address(nl_msg* msg, void* arg)
{
    auto* query = static_cast<UsableQuery*>(arg);
    nlmsghdr* header = nlmsg_hdr(msg);
    nlattr* attrs[IFA_MAX + 1];
    if (header->nlmsg_type != RTM_NEWADDR || nlmsg_parse(header, sizeof(ifaddrmsg), attrs, IFA_MAX, nullptr) < 0)
        return NL_SKIP;
    ifaddrmsg address;
    std::memcpy(&address, nlmsg_data(header), sizeof address);
    uint32_t flags = address.ifa_flags;
    // IFA_FLAGS holds all 32 bits where the header's 8 cannot.
    if (attrs[IFA_FLAGS] && nla_len(attrs[IFA_FLAGS]) >= 4)
        flags = nla_get_u32(attrs[IFA_FLAGS]);
    bool tentative = (flags & IFA_F_TENTATIVE) && !(flags & IFA_F_OPTIMISTIC);
    if (int(address.ifa_index) == query->ifindex && address.ifa_family == AF_INET6 && address.ifa_scope == RT_SCOPE_UNIVERSE && !tentative
        && !(flags & IFA_F_DADFAILED))
        query->found = true;
    return NL_OK;
}

}

Status add_ipv6_address_nodad(Netlink& netlink, int ifindex, Ipv6Address address)
{
    auto lock = netlink.lock();
    TRY(netlink.check_open());
    int err = address_request(netlink.socket(), RTM_NEWADDR, ifindex, address);
    if (err == -NLE_EXIST)
        return {};
    if (err < 0)
        return nl_error("adding IPv6 address", err);
    ForeignChange change;
    change.ifindex = ifindex;
    change.revert = remove_address;
    change.address = Ipv6Prefix(address, 64);
    netlink.record(std::move(change));
    return {};
}

std::string ipv6_sysctl(const std::string& link, std::string_view key)
{
    auto text = fs::read_small_file(sysctl_path(link, key), 64);
    while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
        text.pop_back();
    return text;
}

Status set_ipv6_sysctl(Netlink& netlink, int ifindex, const std::string& link, std::string_view key, std::string_view value)
{
    auto lock = netlink.lock();
    TRY(netlink.check_open());
    ForeignChange change;
    change.ifindex = ifindex;
    change.revert = restore_sysctl;
    change.path = sysctl_path(link, key);
    change.value = ipv6_sysctl(link, key);
    if (change.value == value)
        return {};
    TRY(write_sysctl(change.path, value));
    netlink.record(std::move(change));
    return {};
}

Result<bool> has_usable_global_ipv6(Netlink& netlink, int ifindex)
{
    auto lock = netlink.lock();
    nl_sock* socket = netlink.socket();
    ifaddrmsg request {};
    request.ifa_family = AF_INET6;
    if (int err = nl_send_simple(socket, RTM_GETADDR, NLM_F_DUMP, &request, sizeof request); err < 0)
        return nl_error("listing addresses", err);
    // nl_socket_get_cb() takes a reference of its own.
    nl_cb* base = nl_socket_get_cb(socket);
    nl_cb* callbacks = base ? nl_cb_clone(base) : nullptr;
    nl_cb_put(base);
    if (!callbacks)
        return Error::io("netlink: out of memory");
    UsableQuery query { ifindex, false };
    nl_cb_set(callbacks, NL_CB_VALID, NL_CB_CUSTOM, on_address, &query);
    int err = nl_recvmsgs(socket, callbacks);
    nl_cb_put(callbacks);
    if (err < 0)
        return nl_error("listing addresses", err);
    return query.found;
}

}
