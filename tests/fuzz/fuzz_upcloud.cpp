// UpCloud's metadata/v1.json into the model; the network part written back
// as a v1.json document and parsed again must give the same NICs (every
// kept value prints and parses back; DHCP, stateless DHCPv6, static
// addresses with their prefixes and the first gateway of each family);
// then the mapping and the renderers.
#include "clouds/metadata_v1.h"
#include "clouds/upcloud/upcloud.h"
#include "common/json_writer.h"

#include "metadata_v1_check.h"

#include <cstdint>

using namespace mb;
using namespace mb::clouds;

namespace {

template<typename Prefix, typename Address>
void write_static(JsonWriter& json, const std::vector<Prefix>& addresses, const std::optional<Address>& gateway, const char* family)
{
    for (size_t i = 0; i < addresses.size(); ++i) {
        json.open_object();
        json.field("address", addresses[i].address().to_string());
        json.field("dhcp", false);
        json.field("family", family);
        json.field("gateway", i == 0 && gateway ? gateway->to_string() : std::string());
        json.field("network", "x/" + std::to_string(addresses[i].length()));
        json.close_object();
    }
}

std::string encode(const InstanceMetadata& m)
{
    JsonWriter json;
    json.open_object();
    json.key("network");
    json.open_object();
    json.key("interfaces");
    json.open_array();
    for (auto const& nic : m.nics) {
        json.open_object();
        json.field("mac", nic.mac.to_string());
        json.key("ip_addresses");
        json.open_array();
        for (int ipv6 = 0; ipv6 < 2; ++ipv6) {
            if (ipv6 ? nic.ipv6_dhcp : nic.ipv4_dhcp) {
                json.open_object();
                json.field("dhcp", true);
                json.field("family", ipv6 ? "IPv6" : "IPv4");
                json.close_object();
            }
        }
        write_static(json, nic.ipv4_addresses, nic.ipv4_gateway, "IPv4");
        write_static(json, nic.ipv6_addresses, nic.ipv6_gateway, "IPv6");
        json.close_array();
        json.close_object();
    }
    json.close_array();
    json.close_object();
    json.close_object();
    return json.release();
}

bool same_nic(const NicMetadata& a, const NicMetadata& b)
{
    return a.mac == b.mac && a.ipv4_dhcp == b.ipv4_dhcp && a.ipv6_dhcp == b.ipv6_dhcp && a.ipv6_slaac == b.ipv6_slaac
        && a.ipv4_addresses == b.ipv4_addresses && a.ipv4_gateway == b.ipv4_gateway && a.ipv6_addresses == b.ipv6_addresses
        && a.ipv6_gateway == b.ipv6_gateway;
}

}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    std::string_view text(reinterpret_cast<const char*>(data), size);
    InstanceMetadata m;
    std::vector<std::string> warnings;
    if (apply_upcloud_metadata(text, m, warnings).is_error())
        return 0;
    check_identity(m);
    if (!m.instance_id.empty() && !is_safe_identifier(m.instance_id))
        std::abort();
    for (auto const& nic : m.nics) {
        // UpCloud's DHCPv6 is always the stateless kind.
        if (nic.ipv6_dhcp != nic.ipv6_slaac)
            std::abort();
    }
    if (m.has_network_data) {
        InstanceMetadata again;
        if (apply_upcloud_metadata(encode(m), again, warnings).is_error() || again.nics.size() != m.nics.size())
            std::abort();
        for (size_t i = 0; i < m.nics.size(); ++i) {
            if (!same_nic(m.nics[i], again.nics[i]))
                std::abort();
        }
    }
    check_mapping(m, [](const InstanceMetadata& metadata, const std::vector<SystemNic>& system, const MappingOptions&) {
        return map_listed_nics(metadata, system, NicNames::Kernel);
    });
    return 0;
}
