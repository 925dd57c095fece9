// Changes made outside netlink.cpp (net/netlink_ops.cpp: IPv6 addresses,
// sysctls) share the one journal: undone newest first, by link, on the
// signal path too, and refused once it is closed. The reverts here only
// record their calls; a netlink socket is opened but not written to.
#include "net/netlink.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace mb;
using namespace mb::net;

namespace {

std::vector<std::string> reverted;

Status record_revert(nl_sock*, const ForeignChange& change)
{
    reverted.push_back(change.path + "=" + change.value);
    return {};
}

ForeignChange change(int ifindex, const char* path, const char* value)
{
    ForeignChange c;
    c.ifindex = ifindex;
    c.revert = record_revert;
    c.path = path;
    c.value = value;
    return c;
}

}

TEST_CASE("foreign changes: undone newest first, by link, and refused once closed")
{
    auto netlink = Netlink::open();
    REQUIRE(netlink.ok());
    reverted.clear();
    (*netlink)->record(change(2, "eth0/accept_ra", "0"));
    (*netlink)->record(change(3, "eth1/accept_ra", "1"));
    (*netlink)->record(change(2, "eth0/autoconf", "0"));
    CHECK((*netlink)->undo_link(3).ok());
    CHECK(reverted == std::vector<std::string> { "eth1/accept_ra=1" });
    CHECK((*netlink)->undo_all_and_close().ok());
    CHECK(reverted == std::vector<std::string> { "eth1/accept_ra=1", "eth0/autoconf=0", "eth0/accept_ra=0" });
    CHECK((*netlink)->check_open().is_error());
    // Nothing is left to revert twice.
    CHECK((*netlink)->undo_all().ok());
    CHECK(reverted.size() == 3);
}

TEST_CASE("foreign changes: --keep-lease forgets them")
{
    auto netlink = Netlink::open();
    REQUIRE(netlink.ok());
    reverted.clear();
    (*netlink)->record(change(2, "eth0/optimistic_dad", "0"));
    (*netlink)->forget_journal();
    CHECK((*netlink)->undo_all().ok());
    CHECK(reverted.empty());
}
