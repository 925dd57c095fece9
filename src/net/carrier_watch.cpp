#include "net/carrier_watch.h"

#include "net/libnl_error.h"

#include <cerrno>
#include <cstring>
#include <linux/if.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <linux/rtnetlink.h>
#include <netlink/socket.h>

namespace mb::net {

namespace {

// An RTM_NEWLINK notification: the link's flags are in its fixed header.
int on_valid_message(nl_msg* message, void* argument)
{
    auto* events = static_cast<CarrierWatch::Events*>(argument);
    nlmsghdr* header = nlmsg_hdr(message);
    ifinfomsg info;
    if (header->nlmsg_type != RTM_NEWLINK || nlmsg_datalen(header) < int(sizeof info))
        return NL_OK;
    std::memcpy(&info, nlmsg_data(header), sizeof info);
    if (info.ifi_flags & IFF_LOWER_UP)
        events->with_carrier.push_back(info.ifi_index);
    return NL_OK;
}

}

Result<std::unique_ptr<CarrierWatch>> CarrierWatch::open()
{
    std::unique_ptr<CarrierWatch> watch(new CarrierWatch());
    watch->m_socket = nl_socket_alloc();
    if (!watch->m_socket)
        return Error::io("netlink: out of memory");
    nl_socket_disable_seq_check(watch->m_socket);
    nl_socket_modify_cb(watch->m_socket, NL_CB_VALID, NL_CB_CUSTOM, on_valid_message, &watch->m_pending);
    if (int err = nl_connect(watch->m_socket, NETLINK_ROUTE); err < 0)
        return nl_error("netlink connect", err);
    if (int err = nl_socket_add_membership(watch->m_socket, RTNLGRP_LINK); err < 0)
        return nl_error("netlink subscribe", err);
    nl_socket_set_nonblocking(watch->m_socket);
    return watch;
}

CarrierWatch::~CarrierWatch()
{
    if (m_socket)
        nl_socket_free(m_socket);
}

int CarrierWatch::fd() const
{
    return nl_socket_get_fd(m_socket);
}

Result<CarrierWatch::Events> CarrierWatch::drain()
{
    for (;;) {
        int err = nl_recvmsgs_default(m_socket);
        if (err >= 0)
            continue;
        if (err == -NLE_AGAIN)
            break;
        // The socket's queue overflowed (ENOBUFS): events were lost.
        if (err == -NLE_NOMEM) {
            m_pending.overflowed = true;
            break;
        }
        return nl_error("netlink events", err);
    }
    Events out = std::move(m_pending);
    m_pending = {};
    return out;
}

}
