// Which links take part in DHCP, and which the real root's config may name,
// when no interface is given: policy, pure over what netlink and sysfs said.
#pragma once

#include "net/netlink.h"

#include <string>
#include <vector>

namespace mb::cli {

struct SkippedLink {
    std::string name;
    std::string reason; // for the verbose log
};

struct NicSelection {
    std::vector<net::LinkInfo> candidates; // in ifindex order
    std::vector<SkippedLink> skipped;
};

// Ethernet links that are not loopback, not software devices (bridges,
// bonds, VLANs, tunnels; veth is kept, as harnesses hand NICs over as veth),
// not enslaved (IFF_SLAVE or a master: bond, team and bridge ports, Azure's
// accelerated-networking VFs under netvsc, virtio-net failover slaves), and
// one link per MAC: of links sharing a MAC the paravirtual one is kept (a
// virtual function's driver loses), then the lowest ifindex.
NicSelection select_nics(const std::vector<net::LinkInfo>& links);

}
