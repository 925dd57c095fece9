// Vultr's /v1.json into the model: the identity kept is valid (the region
// lower case); whatever network the mapping accepts (generated from
// interfaces, or cloud_interfaces) names only the system's NICs, each by
// its MAC, maps the same again, and every renderer takes it.
#include "clouds/vultr/vultr.h"
#include "render/ifupdown.h"
#include "render/netplan.h"

#include "metadata_v1_check.h"

#include <cstdint>
#include <cstdlib>

using namespace mb;
using namespace mb::clouds;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    std::string text(reinterpret_cast<const char*>(data), size);
    InstanceMetadata m;
    std::vector<std::string> warnings;
    if (apply_vultr_metadata(text, m, warnings).is_error())
        return 0;
    if (!m.instance_id.empty() && !is_safe_identifier(m.instance_id))
        std::abort();
    if (!m.region.empty() && (!is_safe_identifier(m.region) || to_lower(m.region) != m.region))
        std::abort();
    if (m.local_hostname != m.hostname || (!m.hostname.empty() && !is_valid_hostname(m.hostname)))
        std::abort();
    for (auto const& key : m.public_keys) {
        if (!is_openssh_public_key(key))
            std::abort();
    }
    if (m.user_data && m.user_data->empty())
        std::abort();
    m.raw.emplace_back("/v1.json", text);
    static const std::vector<SystemNic> nics = {
        { MacAddress({ 0x56, 0, 3, 0x1b, 0x4e, 0xca }), "eth0" },
        { MacAddress({ 0x5a, 0, 3, 0x1b, 0x4e, 0xca }), "ens7" },
    };
    auto config = map_vultr_network(m, nics, {});
    if (config.is_error())
        return 0;
    if (config->interfaces.empty() || render::render_netplan(*config).is_error() || render::render_ifupdown(*config).is_error())
        std::abort();
    for (auto const& interface : config->interfaces) {
        bool known = false;
        for (auto const& nic : nics)
            known = known || (interface.match_mac == nic.mac && interface.name == nic.name);
        if (!known)
            std::abort();
    }
    auto again = map_vultr_network(m, nics, {});
    if (again.is_error() || !(*again == *config))
        std::abort();
    return 0;
}
