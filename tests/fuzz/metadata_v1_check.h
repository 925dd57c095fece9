// What the DigitalOcean and UpCloud fuzz targets both check: the identity
// the parser kept is valid, and the model's NICs, each on the system once,
// map to one interface each that the renderers accept.
#pragma once

#include "clouds/values.h"
#include "common/dns_name.h"
#include "model/network_config.h"
#include "render/ifupdown.h"
#include "render/netplan.h"

#include <cstdlib>
#include <string>

inline void check_identity(const mb::InstanceMetadata& m)
{
    if (!m.hostname.empty() && !mb::is_valid_hostname(m.hostname))
        std::abort();
    if (m.local_hostname != m.hostname)
        std::abort();
    if (!m.availability_zone.empty() && !mb::clouds::is_safe_identifier(m.availability_zone))
        std::abort();
    for (auto const& key : m.public_keys) {
        if (!mb::clouds::is_openssh_public_key(key))
            std::abort();
    }
    if (m.has_network_data == m.nics.empty())
        std::abort();
}

inline void check_mapping(const mb::InstanceMetadata& m, mb::Result<mb::NetworkConfig> (*map)(const mb::InstanceMetadata&, const std::vector<mb::SystemNic>&, const mb::MappingOptions&))
{
    std::vector<mb::SystemNic> system;
    bool unique = true;
    for (auto const& nic : m.nics) {
        for (auto const& other : system)
            unique = unique && other.mac != nic.mac;
        system.push_back({ nic.mac, "n" + std::to_string(system.size()) });
    }
    auto config = map(m, system, {});
    if (!m.has_network_data || !unique) {
        if (config.ok())
            std::abort();
        return;
    }
    // Every NIC is on the system: each is written, and both renderers
    // accept what the mapping made.
    if (!config.ok() || config->interfaces.size() != m.nics.size())
        std::abort();
    if (mb::render::render_netplan(*config).is_error() || mb::render::render_ifupdown(*config).is_error())
        std::abort();
    // One NIC fewer on the system is an error, as in cloud-init.
    system.pop_back();
    if (map(m, system, {}).ok())
        std::abort();
}
