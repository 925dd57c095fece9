// Hetzner Cloud's metadata YAML into the model: the identity kept is valid,
// a network-config the fetch accepted maps the same again and every
// renderer takes it; the user-data rule (cloud-init's maybe_b64decode)
// changes a text only into what that text strictly encodes.
#include "clouds/hetzner/hetzner.h"
#include "common/text.h"
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
    auto user_data = hetzner_user_data(text);
    if (user_data != text && (text.find_first_of(" \t\r\n") != std::string::npos || base64_encode(user_data).size() != text.size()))
        std::abort();
    InstanceMetadata m;
    std::vector<std::string> warnings;
    if (apply_hetzner_metadata(text, m, warnings).is_error())
        return 0;
    if (!is_safe_identifier(m.instance_id) || m.local_hostname != m.hostname)
        std::abort();
    if (!m.hostname.empty() && !is_valid_hostname(m.hostname))
        std::abort();
    for (auto const& key : m.public_keys) {
        if (!is_openssh_public_key(key))
            std::abort();
    }
    m.raw.emplace_back("/hetzner/v1/metadata", text);
    auto config = map_hetzner_network(m, {}, {});
    // The fetch's reading and the mapping's agree.
    if (config.ok() != m.has_network_data)
        std::abort();
    if (config.is_error())
        return 0;
    if (config->interfaces.empty() || render::render_netplan(*config).is_error() || render::render_ifupdown(*config).is_error())
        std::abort();
    auto again = map_hetzner_network(m, {}, {});
    if (again.is_error() || !(*again == *config))
        std::abort();
    return 0;
}
