// The changes the reach kinds without DHCP make (cli/reach.cpp), built on
// libnl core alone (raw rtnetlink messages) and journalled in the Netlink
// they are given, so the teardown reverts them with everything else.
#pragma once

#include "common/address.h"
#include "common/result.h"
#include "net/netlink.h"

#include <string>
#include <string_view>

namespace mb::net {

// Adds `address`/64 to the link with IFA_F_NODAD: usable at once, with no
// duplicate address detection (the caller's choice of address must make a
// duplicate negligible). Already there: nothing added, nothing journalled.
Status add_ipv6_address_nodad(Netlink& netlink, int ifindex, Ipv6Address address);

// Writes net.ipv6.conf.<link>.<key> (/proc/sys/net/ipv6/conf/<link>/<key>)
// when it differs, journalling its value before the run. A key the kernel
// does not have (built without it) is an error with ENOENT.
Status set_ipv6_sysctl(Netlink& netlink, int ifindex, const std::string& link, std::string_view key, std::string_view value);
// Its value now, without the newline; empty when unreadable.
std::string ipv6_sysctl(const std::string& link, std::string_view key);

// Has the link an IPv6 address of global scope that can be used as a
// source now: DAD done, or optimistic (RFC 4429)?
Result<bool> has_usable_global_ipv6(Netlink& netlink, int ifindex);

}
