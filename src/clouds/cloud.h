// One cloud, as a row of the registry (clouds/registry.cpp): how to
// recognise it, how its metadata service is reached, what to fetch and how
// its facts become network config. Everything else about a cloud stays
// private in its folder, src/clouds/<name>/.
#pragma once

#include "clouds/provider.h"
#include "model/instance.h"
#include "model/network_config.h"
#include "model/platform.h"

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

namespace mb::clouds {

// How the metadata service is reached from the initramfs (issue 14). Each
// is torn down exactly: every address, route and sysctl it adds is in the
// netlink journal (net/netlink.h).
enum class Reach : uint8_t {
    Dhcp4Lease,    // a DHCPv4 lease on a NIC, the service on its link or routed
    Ipv4LinkLocal, // RFC 3927 169.254.x.y/16 on the lowest-ifindex NIC, no DHCP
    Ipv6LinkLocal, // only the NIC's fe80:: address: the service at a scoped fe80:: literal
    Ipv6Slaac,     // router advertisements (RFC 4862) to a ULA endpoint
    Dhcp4Routed,   // a DHCPv4 lease plus a host route to the service via its router
};

// The kinds that reach the service over IPv6: they take the row's
// ipv6_service.
constexpr bool is_ipv6(Reach kind)
{
    return kind == Reach::Ipv6LinkLocal || kind == Reach::Ipv6Slaac;
}

// A cloud's reach kinds in the order they are tried, packed four bits each
// (kind + 1, zero ends the list), so a row stays one word and the common
// single-kind row reads as before (`.reach = Reach::Dhcp4Lease`).
class ReachList {
public:
    constexpr ReachList() = default;
    template<typename... More>
    constexpr ReachList(Reach first, More... more)
    {
        for (Reach kind : { first, more... })
            push(kind);
    }
    constexpr void push(Reach kind)
    {
        if (size() < 4)
            m_packed |= uint16_t((unsigned(kind) + 1) << (4 * size()));
    }
    constexpr unsigned size() const
    {
        unsigned n = 0;
        while (n < 4 && ((m_packed >> (4 * n)) & 0xf))
            ++n;
        return n;
    }
    constexpr Reach operator[](unsigned i) const { return Reach(((m_packed >> (4 * i)) & 0xf) - 1); }
    constexpr bool operator==(const ReachList&) const = default;

private:
    uint16_t m_packed { 0 };
};

// Which NIC the cloud's rules make the primary one, as far as can be told
// before the metadata is read.
enum class PrimaryNic {
    Unknown,
    FirstInterface, // the first candidate in ifindex (PCI) order
};

enum class Verdict {
    No,
    Yes,
};

struct Cloud {
    std::string_view name; // --provider, rd.metaboot.provider=, the state files
    // cloud-init's names for it in instance-data's v1 keys: cloud_name (its
    // datasource's cloud_name) and platform (its platform_type).
    std::string_view cloud_init_name;
    std::string_view cloud_init_platform;
    ReachList reach;
    // The service answers user-data only to a connection from a port below
    // 1024, so only root can read it (Scaleway).
    bool privileged_source_port { false };
    PrimaryNic primary_nic;
    // Pure: DMI strings and the kernel command line in, a verdict out.
    Verdict (*detect)(const PlatformFacts& facts);
    // The cloud's provider, fetching through `session`.
    std::unique_ptr<Provider> (*make_provider)(Session& session);
    // The instance model -> renderer-neutral network config, with the
    // semantics of cloud-init's datasource for this cloud.
    Result<NetworkConfig> (*map_network)(const InstanceMetadata& metadata, const std::vector<SystemNic>& system_nics, const MappingOptions& options);
    // The metadata service's URL where the platform names it (NoCloud's
    // seed on the kernel command line), in http::Url's form; nullptr: the
    // run's --metadata-url. Error::not_found: the platform names none that
    // metaboot can read (nothing to do).
    Result<std::string> (*service_url)(const PlatformFacts& facts);
    // The service's URL by the IP version of the reach kind that got
    // there, where the cloud's differs from the default
    // (http://169.254.169.254 over IPv4, none over IPv6); nullptr: the
    // default. --metadata-url and service_url win over both.
    const char* ipv4_service { nullptr };
    const char* ipv6_service { nullptr };
};

// The row's URL for a reach kind, by its IP version; nullptr: the default.
constexpr const char* row_service(const Cloud& cloud, Reach kind)
{
    return is_ipv6(kind) ? cloud.ipv6_service : cloud.ipv4_service;
}

}
