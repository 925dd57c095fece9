// GCE's network config. cloud-init's GCE datasource gives none: cloud-init
// then writes its generic fallback (net.generate_fallback_config() in
// cloudinit/net/__init__.py, 25.1.4): dhcp4 and dhcp6 on one NIC, matched by
// MAC, with set-name. Its NIC is find_fallback_nic()'s: of the NICs with a
// carrier (every GCE NIC has one), net's DEFAULT_PRIMARY_INTERFACE "eth0",
// else the first in natural sort order ("ens4" before "ens10"). (The
// "ens4" in DataSourceGCE only orders its own ephemeral DHCP attempts.)
//
// metaboot's own fallback_network() leaves dhcp6 out; EC2's fallback keeps
// that.
#include "clouds/gce/gce.h"

namespace mb::clouds {

namespace {

// cloud-init's natural_sort_key() order: names split into runs of digits
// and of other characters; digit runs compare as numbers, the others as
// lower-case text, so a text run that ends first (at a digit, or at the end
// of the name) sorts first.
bool natural_less(std::string_view a, std::string_view b)
{
    auto digit = [](char c) { return c >= '0' && c <= '9'; };
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c + 32) : c; };
    size_t i = 0, j = 0;
    while (i < a.size() && j < b.size()) {
        if (digit(a[i]) && digit(b[j])) {
            // Interface names are at most 15 bytes: no overflow.
            uint64_t x = 0, y = 0;
            while (i < a.size() && digit(a[i]))
                x = x * 10 + uint64_t(a[i++] - '0');
            while (j < b.size() && digit(b[j]))
                y = y * 10 + uint64_t(b[j++] - '0');
            if (x != y)
                return x < y;
        } else if (digit(a[i]) != digit(b[j])) {
            return digit(a[i]);
        } else if (lower(a[i]) != lower(b[j])) {
            return lower(a[i]) < lower(b[j]);
        } else {
            ++i, ++j;
        }
    }
    return i == a.size() && j < b.size();
}

}

Result<NetworkConfig> map_gce_network(const InstanceMetadata&, const std::vector<SystemNic>& system_nics, const MappingOptions& options)
{
    const SystemNic* chosen = nullptr;
    for (const auto& nic : system_nics) {
        if (!chosen || nic.name == "eth0" || (chosen->name != "eth0" && natural_less(nic.name, chosen->name)))
            chosen = &nic;
    }
    MappingOptions fallback = options;
    if (chosen)
        fallback.leased_mac = chosen->mac;
    auto config = fallback_network(system_nics, fallback);
    if (config.ok())
        config->interfaces.front().dhcp6 = true;
    return config;
}

}
