// GCE's two JSON answers and its "user:key" lines into the model. Whatever
// the input, every kept key is one valid OpenSSH line, every kept name a
// valid host name, and the short hostname and region are cut from them.
#include "clouds/gce/gce.h"
#include "clouds/values.h"
#include "common/dns_name.h"

#include <cstdint>
#include <cstdlib>
#include <string>

using namespace mb;
using namespace mb::clouds;

static void check_names(const InstanceMetadata& m)
{
    for (auto* name : { &m.hostname, &m.availability_zone, &m.instance_type }) {
        if (!name->empty() && !is_valid_hostname(*name))
            std::abort();
    }
    if (!m.hostname.starts_with(m.local_hostname) || m.local_hostname.find('.') != std::string::npos)
        std::abort();
    if (!m.availability_zone.starts_with(m.region))
        std::abort();
    for (auto const& key : m.public_keys) {
        if (!is_openssh_public_key(key))
            std::abort();
    }
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    std::string_view text(reinterpret_cast<const char*>(data), size);
    std::vector<std::string> warnings;
    // `now` from the first bytes, so expiry goes both ways.
    int64_t now = size >= 4 ? int64_t(uint32_t(data[0]) << 24 | uint32_t(data[1]) << 16 | uint32_t(data[2]) << 8 | data[3]) * 2 : 0;
    for (auto kind : { GceDocument::Instance, GceDocument::Project }) {
        InstanceMetadata m;
        bool project_keys = false;
        if (apply_gce_json(text, kind, m, now, project_keys, warnings).ok())
            check_names(m);
    }
    InstanceMetadata keys;
    append_gce_keys(text, now, keys.public_keys, warnings);
    check_names(keys);
    return 0;
}
