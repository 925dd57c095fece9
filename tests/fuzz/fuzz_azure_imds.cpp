// Azure's IMDS /metadata/instance document into the model, and the model
// through the mapping and every renderer. Every kept value must be one the
// validators accept and must print and parse back unchanged; the mapping
// must never hand the renderers a config validate() refuses.
#include "clouds/azure/azure.h"
#include "clouds/values.h"
#include "render/ifupdown.h"
#include "render/netplan.h"
#include "render/networkd.h"
#include "render/networkmanager.h"

#include <cstdint>
#include <cstdlib>
#include <string>

using namespace mb;
using namespace mb::clouds;

template<typename T>
static void check_round_trip(const T& value)
{
    auto again = T::parse(value.to_string());
    if (!again || *again != value)
        std::abort();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    std::string_view text(reinterpret_cast<const char*>(data), size);
    InstanceMetadata instance;
    std::optional<std::string> user_data;
    std::vector<std::string> warnings;
    if (apply_azure_instance(text, instance, user_data, warnings).is_error())
        return 0;
    for (auto const& warning : warnings) {
        if (warning.find('\n') != std::string::npos)
            std::abort();
    }
    if (!instance.hostname.empty() && !is_valid_hostname(instance.hostname))
        std::abort();
    for (auto const* field : { &instance.instance_id, &instance.region, &instance.instance_type, &instance.availability_zone }) {
        if (!field->empty() && !is_safe_identifier(*field))
            std::abort();
    }
    for (auto const& key : instance.public_keys) {
        if (!is_openssh_public_key(key))
            std::abort();
    }
    // Decoding what base64_encode made must give the bytes back.
    if (user_data && base64_decode(base64_encode(*user_data)) != user_data)
        std::abort();
    std::vector<SystemNic> system;
    for (auto const& nic : instance.nics) {
        check_round_trip(nic.mac);
        for (auto const& p : nic.ipv4_addresses)
            check_round_trip(p);
        for (auto const& p : nic.ipv6_addresses)
            check_round_trip(p);
        if (system.size() < 3)
            system.push_back({ nic.mac, "eth" + std::to_string(system.size()), false, system.empty() ? "hv_netvsc" : "" });
    }
    MappingOptions options;
    if (!system.empty())
        options.leased_mac = system[0].mac;
    auto config = map_azure_network(instance, system, options);
    if (config.is_error())
        return 0; // a duplicate MAC among the system NICs, or none to fall back to
    if (validate(*config).is_error())
        std::abort();
    if (render::render_netplan(*config).is_error() || render::render_ifupdown(*config).is_error()
        || render::render_networkd(*config, render::networkd_directory).is_error()
        || render::render_networkmanager(*config, render::networkmanager_directory, "etc/systemd/network").is_error())
        std::abort();
    return 0;
}
