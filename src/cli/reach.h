// The ways to the metadata service other than the DHCPv4 race itself
// (issue 14): an IPv4 link-local address (RFC 3927), an IPv6 link-local
// address, SLAAC (RFC 4862), and a host route to a routed service through
// the lease's router. Each change goes into the netlink journal, so the
// LeaseScope's teardown reverts it and proves it by the snapshot compare.
// Which kinds a cloud tries, in which order, is its row in the registry;
// --reach and rd.metaboot.reach= force a list.
#pragma once

#include "cli/lease_flow.h"
#include "clouds/cloud.h"
#include "common/result.h"
#include "http/transport.h"

#include <string_view>

namespace mb::cli {

// "dhcp4", "ipv4ll", "ipv6ll", "slaac", "routed".
std::string_view reach_name(clouds::Reach kind);
// A comma list of those names, tried in that order.
Result<clouds::ReachList> parse_reach_list(std::string_view text);

// Ipv4LinkLocal, Ipv6LinkLocal or Ipv6Slaac on the first candidate NIC (the
// lowest ifindex, as cloud-init's DigitalOcean datasource picks it): an RFC
// 3927 address checked free by ARP probes (never `service`'s own), or a
// link-local IPv6 address used without DAD, with SLAAC's address from a
// router advertisement. `service` must be of the kind's family. On failure
// the NIC is reverted.
Result<AcquiredLease> reach_on_link(net::Netlink& netlink, const AcquireOptions& options, clouds::Reach kind, const http::Endpoint& service,
    DeferredCloser& closer);

// Dhcp4Routed: a host route to `service` through the lease's first router,
// as cloud-init's Scaleway datasource pins one to 169.254.42.42. Nothing
// when the service is inside the leased subnet or the lease has no router.
Status add_service_route(net::Netlink& netlink, const AcquiredLease& acquired, Ipv4Address service);

}
