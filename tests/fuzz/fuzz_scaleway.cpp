// Scaleway's /conf?format=json into the model; its addresses written back
// as public_ips and parsed again must give the same NIC (every kept value
// prints and parses back, the IPv6 gateway too); then
// the mapping, with and without a lease address among them, and the
// renderers.
#include "clouds/scaleway/scaleway.h"
#include "common/json_writer.h"

#include "metadata_v1_check.h"

#include <cstdint>

using namespace mb;
using namespace mb::clouds;

namespace {

std::string encode(const NicMetadata& nic)
{
    JsonWriter json;
    json.open_object();
    json.key("public_ips");
    json.open_array();
    for (auto const& address : nic.ipv4_addresses) {
        json.open_object();
        json.field("address", address.address().to_string());
        json.field("netmask", std::to_string(address.length()));
        json.field("family", "inet");
        json.close_object();
    }
    for (size_t i = 0; i < nic.ipv6_addresses.size(); ++i) {
        json.open_object();
        json.field("address", nic.ipv6_addresses[i].address().to_string());
        json.field("netmask", std::to_string(nic.ipv6_addresses[i].length()));
        // An inet6 entry has a gateway; one of no family (which cloud-init
        // takes as an address alone) has none.
        if (nic.ipv6_gateway) {
            json.field("family", "inet6");
            json.field("gateway", nic.ipv6_gateway->to_string());
        }
        json.close_object();
    }
    json.close_array();
    json.close_object();
    return json.release();
}

}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    std::string_view text(reinterpret_cast<const char*>(data), size);
    InstanceMetadata m;
    std::vector<std::string> warnings;
    if (apply_scaleway_metadata(text, m, warnings).is_error())
        return 0;
    check_identity(m);
    if (!m.instance_id.empty() && !is_safe_identifier(m.instance_id))
        std::abort();
    if (m.nics.size() != 1)
        std::abort();
    auto const& nic = m.nics[0];
    // A gateway came with an IPv6 address.
    if ((nic.ipv6_gateway && nic.ipv6_addresses.empty()) || nic.ipv4_addresses.size() + nic.ipv6_addresses.size() > 64)
        std::abort();
    if (!nic.ipv4_dhcp) {
        InstanceMetadata again;
        if (apply_scaleway_metadata(encode(nic), again, warnings).is_error() || again.nics.size() != 1)
            std::abort();
        auto const& back = again.nics[0];
        if (back.ipv4_addresses != nic.ipv4_addresses || back.ipv6_addresses != nic.ipv6_addresses || back.ipv6_gateway != nic.ipv6_gateway)
            std::abort();
    }
    auto mac = *MacAddress::parse("de:00:00:00:00:01");
    std::vector<SystemNic> system { { mac, "eth0" } };
    MappingOptions options;
    options.leased_mac = mac;
    for (int with_lease = 0; with_lease < 2; ++with_lease) {
        if (with_lease && !nic.ipv4_addresses.empty())
            options.leased_address = nic.ipv4_addresses.front().address();
        auto config = map_scaleway_network(m, system, options);
        if (config.is_error() || config->interfaces.size() != 1)
            std::abort();
        if (render::render_netplan(*config).is_error() || render::render_ifupdown(*config).is_error())
            std::abort();
    }
    return 0;
}
