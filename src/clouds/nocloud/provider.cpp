#include "clouds/nocloud/nocloud.h"

#include "clouds/cloud_init_network.h"
#include "clouds/values.h"
#include "common/format.h"
#include "common/yaml.h"

namespace mb::clouds {

namespace {

// util.read_seeded() appends each name to the seed URL, after a '/' it adds
// when the URL has none; http::Url keeps the path without it.
constexpr std::string_view meta_data_path = "/meta-data";
constexpr std::string_view network_config_path = "/network-config";

}

namespace {

// One identity value, checked as cloud-init's consumers need it: a bad one is
// dropped with a warning naming where it came from.
void take(InstanceMetadata& instance, std::string InstanceMetadata::*field, const char* source, std::string_view key, std::string_view text,
    std::vector<std::string>& warnings)
{
    if (field == &InstanceMetadata::local_hostname ? is_valid_hostname(text) : is_identifier(text))
        instance.*field = text;
    else
        warnings.push_back(concat({ "dropping ", source, key, ": '", printable(text), "'" }));
}

}

Status apply_nocloud_meta_data(std::string_view yaml, InstanceMetadata& instance, std::vector<std::string>& warnings)
{
    auto document = TRY(parse_yaml(yaml));
    // cloud-init reads an empty meta-data as no keys (find() finds none
    // in Null).
    if (!document.is_object() && document.type() != JsonValue::Type::Null)
        return Error::invalid("meta-data: not a YAML mapping");
    if (text_of(document.find("dsmode")) == "disabled")
        return Error::refused("meta-data: dsmode is disabled");
    instance.instance_id = "nocloud";
    static constexpr std::pair<const char*, std::string InstanceMetadata::*> fields[] = {
        { "instance-id", &InstanceMetadata::instance_id },
        { "local-hostname", &InstanceMetadata::local_hostname },
        { "availability-zone", &InstanceMetadata::availability_zone },
        { "region", &InstanceMetadata::region },
    };
    for (auto [key, field] : fields) {
        if (auto text = text_of(document.find(key)); !text.empty())
            take(instance, field, "meta-data ", key, text, warnings);
    }
    instance.hostname = instance.local_hostname;
    // A list of keys, or one text of key lines (normalize_pubkey_data).
    append_json_public_keys(document.find("public-keys"), "meta-data public-keys", instance.public_keys, warnings);
    if (document.find("network-interfaces"))
        warnings.emplace_back("meta-data network-interfaces (ENI, deprecated by cloud-init) is not read");
    return {};
}

void apply_nocloud_arguments(std::string_view serial, std::string_view cmdline, InstanceMetadata& instance, std::vector<std::string>& warnings)
{
    NocloudArguments from_serial, from_cmdline;
    nocloud_named(serial, from_serial);
    nocloud_named(cmdline, from_cmdline);
    // mergemanydict([serial's, cmdline's, seed's]): the first that has a key wins.
    if (auto hostname = from_serial.hostname ? from_serial.hostname : from_cmdline.hostname)
        take(instance, &InstanceMetadata::local_hostname, "NoCloud argument ", "h=", *hostname, warnings);
    if (auto instance_id = from_serial.instance_id ? from_serial.instance_id : from_cmdline.instance_id)
        take(instance, &InstanceMetadata::instance_id, "NoCloud argument ", "i=", *instance_id, warnings);
    instance.hostname = instance.local_hostname;
}

Result<InstanceMetadata> NocloudProvider::instance()
{
    InstanceMetadata instance;
    instance.api_version = "seed";
    auto get = [&](std::string_view path) { return body_of(m_session.send(http::Method::Get, path, {}, m_session.options().request_timeout), strf("GET %.*s", int(path.size()), path.data())); };
    // The meta-data is required, the network-config optional: cloud-init
    // goes on without it on any failure.
    TRY(apply_nocloud_meta_data(TRY(get(meta_data_path)), instance, m_session.warnings()));
    apply_nocloud_arguments(m_session.options().system_serial, m_session.options().cmdline, instance, m_session.warnings());
    auto network = optional_body(get(network_config_path));
    if (network.is_error()) {
        m_session.warn("no network-config: " + network.error().message());
    } else if (*network) {
        // Read once here for its warnings; the mapping reads it again from
        // the raw cache with the system's NICs.
        auto config = map_cloud_init_network(**network, {}, m_session.warnings());
        instance.has_network_data = config.ok();
        if (config.is_error())
            m_session.warn(strf("network-config refused (%s): cloud-init's fallback instead", config.error().message().c_str()));
    }
    return instance;
}

Result<std::optional<std::string>> NocloudProvider::user_data()
{
    // cloud-init requires a user-data beside the meta-data; metaboot needs
    // none for the network, so a 404 is no user-data.
    return optional_body(body_of(m_session.send(http::Method::Get, "/user-data", {}, m_session.options().request_timeout), "GET /user-data"));
}

Result<NetworkConfig> map_nocloud_network(const InstanceMetadata& metadata, const std::vector<SystemNic>& system_nics, const MappingOptions& options)
{
    for (const auto& [path, body] : metadata.raw) {
        if (!metadata.has_network_data || path != network_config_path)
            continue;
        std::vector<std::string> warnings; // said when it was fetched
        auto config = map_cloud_init_network(body, system_nics, warnings);
        if (config.ok())
            return config;
    }
    // cloud-init's fallback is dhcp4 and dhcp6 on the first NIC with a
    // carrier (eth0, else in natural order). Unlike GCE's, a NoCloud
    // machine's other NICs may have no cable; the leased NIC surely has one,
    // and metaboot knows no other NIC's carrier, so it is that NIC.
    auto fallback = fallback_network(system_nics, options);
    if (fallback.ok())
        fallback->interfaces.front().dhcp6 = true;
    return fallback;
}

}
