// Alibaba's meta-data/all into the model; the network part written back as
// a meta-data/all document and parsed again must give the same NICs (MAC
// and DHCPv6 flag, in the same order); then the mapping and the renderers.
#include "clouds/alibaba/alibaba.h"
#include "common/json_writer.h"

#include "metadata_v1_check.h"

#include <cstdint>

using namespace mb;
using namespace mb::clouds;

namespace {

std::string encode(const InstanceMetadata& m)
{
    JsonWriter json;
    json.open_object();
    json.key("network");
    json.open_object();
    json.key("interfaces");
    json.open_object();
    json.key("macs");
    json.open_object();
    for (auto const& nic : m.nics) {
        json.key(nic.mac.to_string());
        json.open_object();
        if (nic.ipv6_dhcp)
            json.field("ipv6s", "[2001:db8::1]");
        json.close_object();
    }
    json.close_object();
    json.close_object();
    json.close_object();
    json.close_object();
    return json.release();
}

}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    std::string_view text(reinterpret_cast<const char*>(data), size);
    InstanceMetadata m;
    std::vector<std::string> warnings;
    if (apply_alibaba_metadata(text, m, warnings).is_error())
        return 0;
    if (!m.instance_id.empty() && !is_safe_identifier(m.instance_id))
        std::abort();
    if (!m.hostname.empty() && !is_valid_hostname(m.hostname))
        std::abort();
    for (auto const& key : m.public_keys) {
        if (!is_openssh_public_key(key))
            std::abort();
    }
    if (m.nics.size() > 128 || (!m.has_network_data && !m.nics.empty()))
        std::abort();
    if (m.has_network_data) {
        InstanceMetadata again;
        if (apply_alibaba_metadata(encode(m), again, warnings).is_error() || !again.has_network_data)
            std::abort();
        // Object keys come back sorted: compare as sets of (MAC, IPv6).
        if (again.nics.size() > m.nics.size())
            std::abort();
        for (auto const& nic : again.nics) {
            bool found = false;
            for (auto const& original : m.nics)
                found = found || (original.mac == nic.mac && original.ipv6_dhcp == nic.ipv6_dhcp);
            if (!found)
                std::abort();
        }
    }
    // Every NIC on the system under a name: each is one interface the
    // renderers accept (a duplicate MAC in the metadata is refused).
    std::vector<SystemNic> system;
    for (auto const& nic : m.nics)
        system.push_back({ nic.mac, "n" + std::to_string(system.size()) });
    auto config = map_alibaba_network(m, system, {});
    if (config.ok() && (render::render_netplan(*config).is_error() || render::render_ifupdown(*config).is_error()))
        std::abort();
    return 0;
}
