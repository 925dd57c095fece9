#include "model/instance_json.h"

#include "common/json_writer.h"

namespace mb {

namespace {

bool is_secret_path(std::string_view path)
{
    for (const char* marker : { "user-data", "user_data", "iam/security-credentials", "identity-credentials" }) {
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
        json.key("destination");
        json.string(route.destination.to_string());
        json.key("gateway");
        json.string(route.gateway.to_string());
        json.key("metric");
        json.optional_number(route.metric);
        json.close_object();
    }
    json.close_array();
}

void write_nic(JsonWriter& json, const NicMetadata& nic)
{
    json.open_object();
    json.key("mac");
    json.string(nic.mac.to_string());
    json.key("device_number");
    json.optional_number(nic.device_number);
    json.key("network_card");
    json.optional_number(nic.network_card);
    json.key("mtu");
    json.optional_number(nic.mtu);
    json.key("ipv4_dhcp");
    json.boolean(nic.ipv4_dhcp);
    json.key("ipv4_addresses");
    json.text_list(nic.ipv4_addresses);
    json.key("ipv4_subnet");
    json.optional_text(nic.ipv4_subnet);
    json.key("ipv4_vpc_blocks");
    json.text_list(nic.ipv4_vpc_blocks);
    json.key("ipv4_routes");
    write_routes(json, nic.ipv4_routes);
    json.key("ipv4_gateway");
    json.optional_text(nic.ipv4_gateway);
    json.key("ipv6_dhcp");
    json.boolean(nic.ipv6_dhcp);
    json.key("ipv6_slaac");
    json.boolean(nic.ipv6_slaac);
    json.key("ipv6_addresses");
    json.text_list(nic.ipv6_addresses);
    json.key("ipv6_subnets");
    json.text_list(nic.ipv6_subnets);
    json.key("ipv6_routes");
    write_routes(json, nic.ipv6_routes);
    json.key("ipv6_gateway");
    json.optional_text(nic.ipv6_gateway);
    json.key("dns_ipv4");
    json.text_list(nic.dns_ipv4);
    json.key("dns_ipv6");
    json.text_list(nic.dns_ipv6);
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
    json.key("provider");
    json.string(metadata.cloud);
    json.key("api_version");
    json.string(metadata.api_version);
    json.key("instance_id");
    json.string(metadata.instance_id);
    json.key("local_hostname");
    json.string(metadata.local_hostname);
    json.key("hostname");
    json.string(metadata.hostname);
    json.key("instance_type");
    json.string(metadata.instance_type);
    json.key("region");
    json.string(metadata.region);
    json.key("availability_zone");
    json.string(metadata.availability_zone);
    json.key("primary_mac");
    json.optional_text(metadata.primary_mac);
    json.key("has_network_data");
    json.boolean(metadata.has_network_data);
    json.key("nics");
    json.open_array();
    for (const auto& nic : metadata.nics)
        write_nic(json, nic);
    json.close_array();
    json.key("dns_ipv4");
    json.text_list(metadata.dns_ipv4);
    json.key("dns_ipv6");
    json.text_list(metadata.dns_ipv6);
    json.key("public_keys");
    json.open_array();
    for (const auto& key : metadata.public_keys)
        json.string(key);
    json.close_array();
    json.key("user_data_present");
    json.boolean(metadata.user_data.has_value());
    json.key("raw");
    json.open_array();
    for (const auto& [path, body] : metadata.raw) {
        if (is_secret_path(path))
            continue;
        json.open_object();
        json.key("path");
        json.string(path);
        json.key("body");
        json.string(body);
        json.close_object();
    }
    json.close_array();
}

}
