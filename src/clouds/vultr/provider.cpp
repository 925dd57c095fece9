// Vultr's document and network config: cloud-init 25.1.4's DataSourceVultr
// and helpers/vultr.py.
//
// Deliberate differences from cloud-init:
// - A missing member (ipv4.additional, region, hostname) is "none" where
//   cloud-init raises and the datasource fails.
// - A route on the first NIC's DHCP subnet is dropped, as cloud-init's
//   netplan renderer drops it (the v1 mapper's semantics); its ENI and
//   networkd renderers would write it.
#include "clouds/vultr/vultr.h"

#include "clouds/cloud_init_network.h"
#include "clouds/values.h"
#include "common/json_writer.h"

namespace mb::clouds {

namespace {

constexpr std::string_view where = "v1.json";

const std::vector<JsonValue>& items(const JsonValue* value)
{
    static const std::vector<JsonValue> none;
    return value ? value->items() : none;
}

// Python's truth of interface.get("unconfigured").
bool truthy(const JsonValue* value)
{
    if (!value)
        return false;
    if (auto flag = value->as_bool())
        return *flag;
    if (auto number = value->as_number())
        return *number != 0;
    return !value->items().empty() || !value->as_string().value_or("").empty();
}

// `value` as JSON text onto `out`, with its scalars as the YAML reader
// gives them (the v1 mapper's input): true and false, whole numbers in
// decimal, any other number "-", which no check accepts.
void append_text(std::string& out, const JsonValue& value)
{
    bool object = value.is_object();
    if (object || value.is_array()) {
        out += object ? '{' : '[';
        for (size_t i = 0; i < value.items().size(); ++i) {
            if (i)
                out += ", ";
            if (object)
                out += json_string(value.keys()[i]) + ": ";
            append_text(out, value.items()[i]);
        }
        out += object ? '}' : ']';
    } else if (auto flag = value.as_bool()) {
        out += *flag ? "\"true\"" : "\"false\"";
    } else if (value.as_number()) {
        auto whole = value.as_unsigned(uint64_t(1) << 53);
        out += json_string(whole ? std::to_string(*whole) : "-");
    } else if (auto text = value.as_string()) {
        out += json_string(*text);
    } else {
        out += "null";
    }
}

// Members of `object` under new names ({name, key} pairs), those it has,
// each after ", ".
void copy(std::string& out, const JsonValue* object, std::initializer_list<std::pair<const char*, const char*>> pairs)
{
    for (auto [name, key] : pairs) {
        if (const JsonValue* value = object ? object->find(key) : nullptr) {
            out += concat({ ", \"", name, "\": " });
            append_text(out, *value);
        }
    }
}

// helpers/vultr.py generate_network_config() and generate_interface(), as
// v1 JSON text; the mapper names the NICs by MAC.
std::string generated_config(const JsonValue* interfaces)
{
    std::string out = R"({"version": "1", "config": [{"type": "nameserver", "address": ["108.61.10.10", "2001:19f0:300:1704::6"]})";
    for (size_t i = 0; i < items(interfaces).size(); ++i) {
        const JsonValue& interface = items(interfaces)[i];
        if (i && truthy(interface.find("unconfigured")))
            continue;
        const JsonValue* ipv4 = interface.find("ipv4");
        const JsonValue* ipv6 = interface.find("ipv6");
        out += R"(, {"type": "physical")";
        // The first NIC (public): DHCPv4 and SLAAC with accept-ra 1 (the
        // interface's own accept-ra wins); each other one its static IPv4
        // with the interface's routes. The first NIC's routes would go on
        // its DHCP subnet, where cloud-init's netplan renderer (and the
        // mapper) drop them.
        if (i == 0 && !interface.find("accept-ra"))
            out += R"(, "accept-ra": "1")";
        copy(out, &interface, { { "mac_address", "mac" }, { "mtu", "mtu" }, { "accept-ra", "accept-ra" } });
        out += R"(, "subnets": [)";
        if (i == 0) {
            out += R"({"type": "dhcp"}, {"type": "ipv6_slaac"})";
        } else {
            out += R"({"type": "static")";
            copy(out, ipv4, { { "address", "address" }, { "netmask", "netmask" } });
            copy(out, &interface, { { "routes", "routes" } });
            out += '}';
        }
        for (const JsonValue* family : { ipv4, ipv6 }) {
            for (const auto& extra : items(family ? family->find("additional") : nullptr)) {
                out += family == ipv4 ? R"(, {"type": "static")" : R"(, {"type": "static6")";
                // IPv6: "network/prefix", which the mapper reads from the
                // two (each family has only its own members).
                copy(out, &extra, { { "address", family == ipv4 ? "address" : "network" }, { "netmask", "netmask" }, { "prefix", "prefix" }, { "routes", "routes" } });
                out += '}';
            }
        }
        out += "]}";
    }
    return out + "]}";
}

}

[[gnu::noinline]] Status apply_vultr_metadata(std::string_view json, InstanceMetadata& instance, std::vector<std::string>& warnings)
{
    auto document = TRY(parse_json(json));
    if (!document.is_object())
        return Error::invalid("v1.json: not a JSON object");
    take_string_member(document, "instance-v2-id", instance.instance_id, is_identifier, where, warnings);
    // get_datasource_data(): "Default hostname is "guest" for whitelabel".
    if (document.string_member("hostname") == "")
        instance.local_hostname = "guest";
    else
        take_string_member(document, "hostname", instance.local_hostname, is_valid_hostname, where, warnings);
    instance.hostname = instance.local_hostname;
    // refactor_metadata(): the country code wins over the region code,
    // lower case.
    if (const JsonValue* region = document.find("region")) {
        take_string_member(*region, region->find("countrycode") ? "countrycode" : "regioncode", instance.region, is_identifier, where, warnings);
        instance.region = to_lower(instance.region);
    }
    append_json_public_keys(document.find("public-keys"), "public-keys", instance.public_keys, warnings);
    if (auto user_data = document.string_member("user-data"); user_data && !user_data->empty())
        instance.user_data.emplace(*user_data);
    instance.has_network_data = document.find("cloud_interfaces") || document.find("interfaces");
    return {};
}

Result<NetworkConfig> map_vultr_network(const InstanceMetadata& metadata, const std::vector<SystemNic>& system_nics, const MappingOptions&)
{
    for (const auto& [path, body] : metadata.raw) {
        if (!metadata.has_network_data || path != "/v1.json")
            continue;
        auto document = TRY(parse_json(body));
        const JsonValue* given = document.find("cloud_interfaces");
        std::string text;
        if (given)
            append_text(text, *given);
        auto v1 = TRY(parse_json(given ? text : generated_config(document.find("interfaces"))));
        // An entry the mapper skips is not logged (a mapping has no log);
        // nothing usable is the error the run reports before its fallback.
        std::vector<std::string> warnings;
        return map_cloud_init_document(v1, system_nics, warnings, InterfaceNames::ByMac);
    }
    return Error::invalid("the metadata has no network interfaces");
}

}
