#include "model/instance_json.h"

#include "common/json_writer.h"

namespace mb {

namespace {

bool is_secret_path(std::string_view path)
{
    // The one-document services (DigitalOcean's, UpCloud's and Vultr's
    // v1.json) carry the user-data inside; Hetzner's is "userdata".
    for (const char* marker : { "user-data", "user_data", "userdata", "v1.json", "iam/security-credentials", "identity-credentials" }) {
        if (path.find(marker) != std::string_view::npos)
            return true;
    }
    return false;
}

template<typename Route>
void write_routes(JsonWriter& json, const std::vector<Route>& routes)
{
    json.open_array();
    for (const auto& route : routes) {
        json.open_object();
        json.field("destination", route.destination.to_string());
        json.field("gateway", route.gateway.to_string());
        json.optional_number_field("metric", route.metric);
        json.close_object();
    }
    json.close_array();
}

void write_nic(JsonWriter& json, const NicMetadata& nic)
{
    json.open_object();
    json.field("mac", nic.mac.to_string());
    json.optional_number_field("device_number", nic.device_number);
    json.optional_number_field("network_card", nic.network_card);
    json.optional_number_field("mtu", nic.mtu);
    json.field("ipv4_dhcp", nic.ipv4_dhcp);
    json.text_list_field("ipv4_addresses", nic.ipv4_addresses);
    json.optional_text_field("ipv4_subnet", nic.ipv4_subnet);
    json.text_list_field("ipv4_vpc_blocks", nic.ipv4_vpc_blocks);
    json.key("ipv4_routes");
    write_routes(json, nic.ipv4_routes);
    json.optional_text_field("ipv4_gateway", nic.ipv4_gateway);
    json.field("ipv6_dhcp", nic.ipv6_dhcp);
    json.field("ipv6_slaac", nic.ipv6_slaac);
    json.text_list_field("ipv6_addresses", nic.ipv6_addresses);
    json.text_list_field("ipv6_subnets", nic.ipv6_subnets);
    json.key("ipv6_routes");
    write_routes(json, nic.ipv6_routes);
    json.optional_text_field("ipv6_gateway", nic.ipv6_gateway);
    json.text_list_field("dns_ipv4", nic.dns_ipv4);
    json.text_list_field("dns_ipv6", nic.dns_ipv6);
    json.close_object();
}

}

std::string metadata_to_json(const InstanceMetadata& metadata)
{
    JsonWriter json(JsonWriter::Layout::Pretty);
    write_metadata(json, metadata);
    return json.release();
}

void write_metadata(JsonWriter& json, const InstanceMetadata& metadata)
{
    json.open_object();
    write_metadata_fields(json, metadata);
    json.close_object();
}

void write_metadata_fields(JsonWriter& json, const InstanceMetadata& metadata)
{
    json.field("provider", metadata.cloud);
    json.field("api_version", metadata.api_version);
    json.field("instance_id", metadata.instance_id);
    json.field("local_hostname", metadata.local_hostname);
    json.field("hostname", metadata.hostname);
    json.field("instance_type", metadata.instance_type);
    json.field("region", metadata.region);
    json.field("availability_zone", metadata.availability_zone);
    json.optional_text_field("primary_mac", metadata.primary_mac);
    json.field("has_network_data", metadata.has_network_data);
    json.key("nics");
    json.open_array();
    for (const auto& nic : metadata.nics)
        write_nic(json, nic);
    json.close_array();
    json.text_list_field("dns_ipv4", metadata.dns_ipv4);
    json.text_list_field("dns_ipv6", metadata.dns_ipv6);
    json.string_list_field("public_keys", metadata.public_keys);
    json.field("user_data_present", metadata.user_data.has_value());
    json.key("raw");
    json.open_array();
    for (const auto& [path, body] : metadata.raw) {
        if (is_secret_path(path))
            continue;
        json.open_object();
        json.field("path", path);
        json.field("body", body);
        json.close_object();
    }
    json.close_array();
}

}
