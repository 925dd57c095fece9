// The cloud-neutral instance model. Each cloud's provider fills it; each
// cloud's mapping reads it. Every network value is already a parsed, strong type here: nothing
// the service sent is kept as text that could reach a config file, except the
// raw key/value cache (written only as JSON-escaped strings to the state dir)
// and user-data (written verbatim to its own 0600 file).
#pragma once

#include "common/address.h"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mb {

struct Ipv4Route {
    Ipv4Prefix destination; // network() is the destination
    Ipv4Address gateway;
    std::optional<uint32_t> metric;

    bool operator==(const Ipv4Route&) const = default;
};

struct Ipv6Route {
    Ipv6Prefix destination;
    Ipv6Address gateway;
    std::optional<uint32_t> metric;

    bool operator==(const Ipv6Route&) const = default;
};

// One NIC as the cloud describes it.
struct NicMetadata {
    MacAddress mac;
    std::optional<uint32_t> device_number; // EC2 device-number (trusted 0 only for the primary MAC)
    std::optional<uint32_t> network_card;  // EC2 network-card (2021-03-23 and later)
    std::optional<uint32_t> mtu;           // OpenStack link mtu

    // IPv4. `ipv4_dhcp` means the cloud hands out the address by DHCP.
    bool ipv4_dhcp { false };
    // Addresses the cloud assigned, each with its subnet's prefix length. On
    // EC2 the first one is the primary (DHCP-served) address; the rest are
    // secondary IPs.
    std::vector<Ipv4Prefix> ipv4_addresses;
    std::optional<Ipv4Prefix> ipv4_subnet; // EC2 subnet-ipv4-cidr-block
    std::vector<Ipv4Prefix> ipv4_vpc_blocks; // EC2 vpc-ipv4-cidr-blocks
    std::vector<Ipv4Route> ipv4_routes;
    std::optional<Ipv4Address> ipv4_gateway; // OpenStack static default gateway

    // IPv6.
    bool ipv6_dhcp { false };
    bool ipv6_slaac { false }; // with ipv6_dhcp: stateless DHCPv6
    std::vector<Ipv6Prefix> ipv6_addresses; // static, or EC2 ipv6s with the subnet prefix
    std::vector<Ipv6Prefix> ipv6_subnets;   // EC2 subnet-ipv6-cidr-blocks
    std::vector<Ipv6Route> ipv6_routes;
    std::optional<Ipv6Address> ipv6_gateway;

    std::vector<Ipv4Address> dns_ipv4;
    std::vector<Ipv6Address> dns_ipv6;

    bool has_ipv6() const { return ipv6_dhcp || ipv6_slaac || !ipv6_addresses.empty(); }
    bool operator==(const NicMetadata&) const = default;
};

struct InstanceMetadata {
    std::string cloud;       // the registry's name for the cloud ("ec2")
    std::string api_version; // e.g. "2021-03-23", or "latest" for OpenStack

    // Identity. These are validated on the way in (printable, bounded); they
    // are written only to the state dir as JSON strings.
    std::string instance_id;
    std::string local_hostname;
    std::string hostname;
    std::string instance_type;
    std::string region;
    std::string availability_zone;

    std::optional<MacAddress> primary_mac; // EC2 top-level `mac`
    // False when the service had no network data at all (a 2009-04-04-only
    // EC2 service): the renderers then fall back to DHCP on the leased NIC.
    bool has_network_data { false };
    std::vector<NicMetadata> nics;

    std::vector<Ipv4Address> dns_ipv4; // instance-wide (OpenStack services)
    std::vector<Ipv6Address> dns_ipv6;

    std::vector<std::string> public_keys;
    std::optional<std::string> user_data;

    // Everything fetched, as path -> body, in fetch order, for the state cache.
    std::vector<std::pair<std::string, std::string>> raw;
};

}
