// Sending a DHCPRELEASE (RFC 2131 §4.4.6): unlike every other message of the
// exchange it is plain UDP unicast from the leased address to the server, so
// it goes through an ordinary datagram socket while the address is still
// configured, not through the packet socket. The payload is the codec's
// (dhcp::build_release); this is only the socket.
#pragma once

#include "common/address.h"
#include "common/bytes.h"
#include "common/result.h"

#include <string>

namespace mb::net {

// From `client`:68 on `interface` to `server`:67.
Status send_dhcp_release(const std::string& interface, Ipv4Address client, Ipv4Address server, ByteSpan payload);

}
