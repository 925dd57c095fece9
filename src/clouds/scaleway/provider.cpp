// Scaleway's /conf?format=json into the model (the provider is
// DocumentProvider, in detect.cpp).
#include "clouds/scaleway/scaleway.h"

#include "clouds/values.h"

namespace mb::clouds {

namespace {

constexpr const char* where = "conf";
constexpr size_t max_addresses = 64;
constexpr const char* bad_address = "conf: dropping an address (no address, netmask or gateway)";

// An address member and its netmask, a prefix length as a string ("64")
// or a number, into `nic`; false when either does not parse.
bool add_address(const JsonValue& entry, NicMetadata& nic, bool with_default_route)
{
    const JsonValue* netmask = entry.find("netmask");
    auto text = netmask ? netmask->as_string() : std::nullopt;
    auto length = text ? parse_decimal(*text, 128) : netmask ? netmask->as_unsigned(128) : std::nullopt;
    auto address = entry.string_member("address").value_or("");
    if (!length)
        return false;
    if (auto v4 = Ipv4Address::parse(address); v4 && *length <= 32) {
        nic.ipv4_addresses.emplace_back(*v4, uint8_t(*length));
        return true;
    }
    auto v6 = Ipv6Address::parse(address);
    if (!v6)
        return false;
    if (with_default_route) {
        auto gateway = Ipv6Address::parse(entry.string_member("gateway").value_or(""));
        if (!gateway)
            return false;
        // cloud-init adds a default route for each inet6 address; one,
        // through the first gateway, is the same route (Scaleway gives one
        // IPv6 block, and two equal routes are one in every format).
        if (!nic.ipv6_gateway)
            nic.ipv6_gateway = gateway;
    }
    nic.ipv6_addresses.emplace_back(*v6, uint8_t(*length));
    return true;
}

bool is_null(const JsonValue* value)
{
    return !value || value->type() == JsonValue::Type::Null;
}

}

[[gnu::noinline]] Status apply_scaleway_metadata(std::string_view json, InstanceMetadata& instance, std::vector<std::string>& warnings)
{
    auto document = TRY(parse_json(json));
    if (!document.is_object())
        return Error::invalid("conf: not a JSON object");
    take_string_member(document, "id", instance.instance_id, is_identifier, where, warnings);
    take_string_member(document, "hostname", instance.hostname, is_valid_hostname, where, warnings);
    instance.local_hostname = instance.hostname;
    if (const JsonValue* keys = document.find("ssh_public_keys")) {
        for (const auto& key : keys->items())
            append_json_public_keys(key.find("key"), "ssh_public_keys", instance.public_keys, warnings);
    }
    if (const JsonValue* tags = document.find("tags")) {
        for (const auto& tag : tags->items()) {
            std::string_view text = tag.as_string().value_or("");
            if (!text.starts_with("AUTHORIZED_KEY="))
                continue;
            std::string key(text.substr(15));
            for (char& c : key)
                c = c == '_' ? ' ' : c;
            append_public_keys(key, "tags", instance.public_keys, warnings);
        }
    }

    NicMetadata& nic = instance.nics.emplace_back();
    const JsonValue* legacy_ipv6 = document.find("ipv6");
    if (!is_null(document.find("private_ip"))) {
        nic.ipv4_dhcp = true;
        if (!is_null(legacy_ipv6) && !add_address(*legacy_ipv6, nic, true))
            warnings.push_back(bad_address);
    } else if (const JsonValue* ips = document.find("public_ips")) {
        for (const auto& ip : ips->items()) {
            if (nic.ipv4_addresses.size() + nic.ipv6_addresses.size() == max_addresses)
                break;
            if (!add_address(ip, nic, ip.string_member("family") == "inet6"))
                warnings.push_back(bad_address);
        }
    }
    instance.has_network_data = true;
    return {};
}

}
