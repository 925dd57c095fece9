#include "net/netlink_ops.h"

#include "common/format.h"
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
    if (nlmsg_append(message, &header, sizeof header, NLMSG_ALIGNTO) < 0 || nla_put(message, IFA_ADDRESS, 16, address.bytes().data()) < 0) {
        nlmsg_free(message);
        return -NLE_NOMEM;
    }
    return nl_send_sync(socket, message); // frees it
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
    ssize_t written = fd < 0 ? -1 : ::write(fd, value.data(), value.size());
    int saved = written < 0 ? errno : EIO;
    if (fd >= 0)
        ::close(fd);
    if (written != ssize_t(value.size()))
        return Error::io(path, saved);
    return {};
}

Status restore_sysctl(nl_sock*, const ForeignChange& change)
{
    return write_sysctl(change.path, change.value);
}

std::string sysctl_path(const std::string& link, std::string_view key)
{
    return strf("/proc/sys/net/ipv6/conf/%s/%.*s", link.c_str(), int(key.size()), key.data());
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

[[gnu::noinline]] Status set_ipv6_sysctl(Netlink& netlink, int ifindex, const std::string& link, std::string_view key, std::string_view value)
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

// Out of line on purpose, as set_ipv6_sysctl(): inlined into the reach, the
// snapshot's and the change's cleanups cost 160 bytes more.
[[gnu::noinline]] Result<bool> has_usable_global_ipv6(Netlink& netlink, int ifindex)
{
    // The snapshot's own dump (every address with its 32 flag bits).
    auto snapshot = TRY(netlink.snapshot({ ifindex }));
    for (auto const& address : snapshot.addresses) {
        bool tentative = (address.flags & IFA_F_TENTATIVE) && !(address.flags & IFA_F_OPTIMISTIC);
        if (std::holds_alternative<Ipv6Prefix>(address.local) && address.scope == RT_SCOPE_UNIVERSE && !tentative && !(address.flags & IFA_F_DADFAILED))
            return true;
    }
    return false;
}

}
