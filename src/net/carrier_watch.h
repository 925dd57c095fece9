// Carrier (IFF_LOWER_UP) on several links at once, from RTNLGRP_LINK events:
// one socket for all links, polled beside the DHCP sockets, so a NIC that
// never gets carrier holds back none of the others.
//
// Not IFF_RUNNING: the kernel sets that (and attaches the queueing
// discipline) in linkwatch, which batches events up to a second apart;
// measured on veth, waiting for it cost a steady 1 s. The packet socket
// bypasses the queueing discipline instead (PACKET_QDISC_BYPASS), so a frame
// sent as soon as the carrier is up is not dropped.
#pragma once

#include "common/result.h"

#include <memory>
#include <vector>

struct nl_sock;

namespace mb::net {

class CarrierWatch {
public:
    // Subscribes before the caller looks at the links' state, so a carrier
    // that comes up in between is still seen as an event.
    static Result<std::unique_ptr<CarrierWatch>> open();
    ~CarrierWatch();
    CarrierWatch(const CarrierWatch&) = delete;
    CarrierWatch& operator=(const CarrierWatch&) = delete;

    int fd() const;

    struct Events {
        std::vector<int> with_carrier; // ifindexes whose carrier came up
        bool overflowed { false };     // events were lost: read the links' state again
    };
    // Reads every queued event without blocking.
    Result<Events> drain();

private:
    CarrierWatch() = default;

    nl_sock* m_socket { nullptr };
    Events m_pending;
};

}
