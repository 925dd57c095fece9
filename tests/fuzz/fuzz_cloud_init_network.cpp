// cloud-init network config v1/v2 (YAML) -> NetworkConfig. Whatever the
// mapping accepts, every renderer must accept too (the mapping validates
// each interface as the renderers do), and mapping it again gives the same
// config.
#include "clouds/cloud_init_network.h"
#include "render/ifupdown.h"
#include "render/netplan.h"

#include <cstdint>
#include <cstdlib>
#include <string_view>

using namespace mb;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    std::string_view yaml(reinterpret_cast<const char*>(data), size);
    static const std::vector<SystemNic> nics = {
        { MacAddress({ 0x52, 0x54, 0, 0, 0, 1 }), "ens3", false, "virtio_net" },
        { MacAddress({ 0x52, 0x54, 0, 0, 0, 2 }), "eth1", false, "" },
    };
    std::vector<std::string> warnings;
    auto config = clouds::map_cloud_init_network(yaml, nics, warnings);
    if (config.is_error())
        return 0;
    if (config->interfaces.empty() || render::render_netplan(*config).is_error() || render::render_ifupdown(*config).is_error())
        std::abort();
    std::vector<std::string> again_warnings;
    auto again = clouds::map_cloud_init_network(yaml, nics, again_warnings);
    if (again.is_error() || !(*again == *config) || again_warnings != warnings)
        std::abort();
    return 0;
}
