// Hetzner Cloud's document and network config: cloud-init 25.1.4's
// DataSourceHetzner and helpers/hetzner.py. The network config is the
// metadata's network-config member, cloud-init's v1 as it is (DHCPv4, and a
// static IPv6 address whose gateway is fe80::1: every format names the
// interface with the route, so the link-local gateway needs nothing more;
// cloud-init's netplan renderer adds on-link, which a link-local gateway
// does not need).
#include "clouds/hetzner/hetzner.h"

#include "clouds/cloud_init_network.h"
#include "clouds/values.h"
#include "common/yaml.h"

namespace mb::clouds {

namespace {

constexpr const char* metadata_path = "/hetzner/v1/metadata";
constexpr std::string_view where = "hetzner metadata";

}

std::unique_ptr<Provider> make_hetzner_provider(Session& session)
{
    static constexpr DocumentService service {
        .path = metadata_path,
        .apply = apply_hetzner_metadata,
        .serial_is_instance_id = true,
        // 204 when the server has none.
        .user_data_path = "/hetzner/v1/userdata",
        .decode = hetzner_user_data,
    };
    return std::make_unique<DocumentProvider>(session, service);
}

Status apply_hetzner_metadata(std::string_view yaml, InstanceMetadata& instance, std::vector<std::string>& warnings)
{
    auto document = TRY(parse_yaml(yaml));
    if (!document.is_object())
        return Error::invalid("hetzner metadata: not a YAML mapping");
    // cloud-init reads md["instance-id"] (a KeyError without it).
    take_string_member(document, "instance-id", instance.instance_id, is_identifier, where, warnings);
    if (instance.instance_id.empty())
        return Error::invalid("hetzner metadata: no valid instance-id");
    take_string_member(document, "hostname", instance.local_hostname, is_valid_hostname, where, warnings);
    instance.hostname = instance.local_hostname;
    append_json_public_keys(document.find("public-keys"), "public-keys", instance.public_keys, warnings);
    // Read here for its warnings; the mapping reads it again with the
    // system's NICs, and says why when it refuses it.
    const JsonValue* network = document.find("network-config");
    instance.has_network_data = network && map_cloud_init_document(*network, {}, warnings).ok();
    return {};
}

std::string hetzner_user_data(std::string body)
{
    // b64decode(validate=True) refuses whitespace, which base64_decode()
    // would skip.
    if (body.find_first_of(" \t\r\n") == std::string::npos) {
        if (auto decoded = base64_decode(body))
            return *decoded;
    }
    return body;
}

Result<NetworkConfig> map_hetzner_network(const InstanceMetadata& metadata, const std::vector<SystemNic>& system_nics, const MappingOptions&)
{
    for (const auto& [path, body] : metadata.raw) {
        if (!metadata.has_network_data || path != metadata_path)
            continue;
        std::vector<std::string> warnings; // said when it was fetched
        auto document = TRY(parse_yaml(body));
        return map_cloud_init_document(*document.find("network-config"), system_nics, warnings);
    }
    // cloud-init: "Unable to get meta-data from server....".
    return Error::invalid("the metadata has no usable network-config");
}

}
