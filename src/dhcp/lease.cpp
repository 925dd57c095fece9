#include "dhcp/lease.h"

#include "common/format.h"

#include <algorithm>

namespace mb::dhcp {

namespace {

constexpr uint8_t azure_wireserver_option = 245;

bool is_usable_host_address(Ipv4Address address)
{
    uint8_t first = address.octets()[0];
    // 0/8 "this network", 127/8 loopback, 224/4 multicast and 240/4 reserved
    // (RFC 6890) can never be an interface address handed out by DHCP.
    return first != 0 && first != 127 && first < 224;
}

}

Result<Lease> lease_from_message(const Message& message)
{
    auto const& options = message.options;
    if (!is_usable_host_address(message.yiaddr))
        return Error::invalid(strf("yiaddr %s is not a usable address", message.yiaddr.to_string().c_str()));
    if (!options.server_id)
        return Error::invalid("no server identifier (option 54)");
    if (!options.lease_time)
        return Error::invalid("no lease time (option 51)");

    Lease lease;
    uint8_t length = 32;
    if (options.subnet_mask)
        length = Ipv4Prefix::length_from_netmask(*options.subnet_mask).value_or(32);
    lease.address = Ipv4Prefix(message.yiaddr, length);
    lease.server_id = *options.server_id;
    lease.lease_time = *options.lease_time;

    // RFC 2131 §4.4.5: T1 defaults to 0.5 * duration_of_lease and T2 to
    // 0.875 * duration_of_lease. A server's values that are not ordered
    // T1 <= T2 <= lease are treated as absent rather than trusted.
    auto total = lease.lease_time;
    auto t1 = options.renewal_time.value_or(total / 2);
    auto t2 = options.rebinding_time.value_or(total * 7 / 8);
    if (t2 > total)
        t2 = total * 7 / 8;
    if (t1 > t2)
        t1 = std::min(total / 2, t2);
    lease.renewal_time = t1;
    lease.rebinding_time = t2;

    lease.routers = options.routers;
    lease.classless_routes = options.classless_routes;
    lease.mtu = options.mtu;
    lease.dns_servers = options.dns_servers;
    lease.domain_name = options.domain_name;
    lease.search_domains = options.search_domains;
    lease.hostname = options.hostname;
    lease.broadcast = options.broadcast;
    // One IPv4 address, as cloud-init reads it (socket.inet_ntoa on the
    // option's bytes); any other length is not an address and is ignored.
    if (auto it = options.other.find(azure_wireserver_option); it != options.other.end() && it->second.size() == 4)
        lease.azure_wireserver = Ipv4Address(ByteReader(it->second).read_u32());
    return lease;
}

}
