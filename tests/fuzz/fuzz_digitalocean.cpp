// DigitalOcean's metadata/v1.json into the model; the network part written
// back as a v1.json document and parsed again must give the same NICs and
// DNS servers (every kept value prints and parses back, and the gateway and
// anchor rules hold); then the mapping and the renderers.
#include "clouds/digitalocean/digitalocean.h"
#include "common/json_writer.h"

#include "metadata_v1_check.h"

#include <cstdint>

using namespace mb;
using namespace mb::clouds;

namespace {

// One family's addresses as "ipv4" and "anchor_ipv4" (or ipv6) objects,
// the gateway on the first.
template<typename Prefix, typename Address>
void write_family(JsonWriter& json, const std::vector<Prefix>& addresses, const std::optional<Address>& gateway, bool ipv6)
{
    for (size_t i = 0; i < addresses.size(); ++i) {
        bool anchor = i > 0;
        json.key(std::string(anchor ? "anchor_" : "") + (ipv6 ? "ipv6" : "ipv4"));
        json.open_object();
        json.field("ip_address", addresses[i].address().to_string());
        if constexpr (std::is_same_v<Prefix, Ipv6Prefix>)
            json.field("cidr", uint64_t(addresses[i].length()));
        else
            json.field("netmask", addresses[i].netmask().to_string());
        if (!anchor && gateway)
            json.field("gateway", gateway->to_string());
        json.close_object();
    }
}

std::string encode(const InstanceMetadata& m)
{
    JsonWriter json;
    json.open_object();
    json.key("interfaces");
    json.open_object();
    for (auto const& nic : m.nics) {
        bool is_public = nic.device_number.value_or(0) == 0;
        json.key(is_public ? "public" : "private");
        json.open_array();
        json.open_object();
        json.field("mac", nic.mac.to_string());
        write_family(json, nic.ipv4_addresses, nic.ipv4_gateway, false);
        write_family(json, nic.ipv6_addresses, nic.ipv6_gateway, true);
        json.close_object();
        json.close_array();
    }
    json.close_object();
    json.key("dns");
    json.open_object();
    json.key("nameservers");
    json.open_array();
    for (auto const& a : m.dns_ipv4)
        json.string(a.to_string());
    for (auto const& a : m.dns_ipv6)
        json.string(a.to_string());
    json.close_array();
    json.close_object();
    json.close_object();
    return json.release();
}

bool same_nic(const NicMetadata& a, const NicMetadata& b)
{
    return a.mac == b.mac && a.device_number == b.device_number && a.ipv4_addresses == b.ipv4_addresses && a.ipv4_gateway == b.ipv4_gateway
        && a.ipv6_addresses == b.ipv6_addresses && a.ipv6_gateway == b.ipv6_gateway;
}

}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    std::string_view text(reinterpret_cast<const char*>(data), size);
    InstanceMetadata m;
    std::vector<std::string> warnings;
    if (apply_digitalocean_metadata(text, m, warnings).is_error())
        return 0;
    check_identity(m);
    if (!m.instance_id.empty() && m.instance_id.find_first_not_of("0123456789") != std::string::npos)
        std::abort();
    if (m.nics.size() > 2)
        std::abort();
    for (auto const& nic : m.nics) {
        // Two subnets a family at most (the subnet and its anchor); a
        // gateway only on the public NIC; nothing by DHCP.
        if (nic.ipv4_addresses.size() > 2 || nic.ipv6_addresses.size() > 2 || nic.ipv4_dhcp || nic.ipv6_dhcp)
            std::abort();
        if (nic.device_number != 0u && (nic.ipv4_gateway || nic.ipv6_gateway))
            std::abort();
    }
    if (m.has_network_data) {
        InstanceMetadata again;
        if (apply_digitalocean_metadata(encode(m), again, warnings).is_error() || again.nics.size() != m.nics.size())
            std::abort();
        for (size_t i = 0; i < m.nics.size(); ++i) {
            if (!same_nic(m.nics[i], again.nics[i]))
                std::abort();
        }
        if (again.dns_ipv4 != m.dns_ipv4 || again.dns_ipv6 != m.dns_ipv6)
            std::abort();
    }
    check_mapping(m, map_digitalocean_network);
    return 0;
}
