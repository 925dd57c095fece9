#include "clouds/digitalocean/digitalocean.h"

#include "clouds/values.h"

namespace mb::clouds {

namespace {

// One "ipv4" or "ipv6" (or anchor_) object: ip_address with netmask (IPv4)
// or cidr (IPv6), and the gateway when `gateway` says to keep it.
bool apply_subnet(const JsonValue& subnet, bool ipv6, bool gateway, NicMetadata& nic)
{
    auto text = [&](const char* key) { return subnet.string_member(key).value_or(""); };
    if (ipv6) {
        auto address = Ipv6Address::parse(text("ip_address"));
        auto length = subnet.find("cidr") ? subnet.find("cidr")->as_unsigned(128) : std::nullopt;
        auto via = Ipv6Address::parse(text("gateway"));
        if (!address || !length || (gateway && !via))
            return false;
        nic.ipv6_addresses.emplace_back(*address, uint8_t(*length));
        if (gateway)
            nic.ipv6_gateway = via;
        return true;
    }
    auto address = Ipv4Address::parse(text("ip_address"));
    auto mask = Ipv4Address::parse(text("netmask"));
    auto length = mask ? Ipv4Prefix::length_from_netmask(*mask) : std::nullopt;
    auto via = Ipv4Address::parse(text("gateway"));
    if (!address || !length || (gateway && !via))
        return false;
    nic.ipv4_addresses.emplace_back(*address, *length);
    if (gateway)
        nic.ipv4_gateway = via;
    return true;
}

// interfaces.public[0] and interfaces.private[0] into the model.
bool apply_interfaces(const JsonValue* interfaces, InstanceMetadata& instance)
{
    if (!interfaces || !interfaces->is_object())
        return false;
    for (unsigned kind = 0; kind < 2; ++kind) {
        const JsonValue* list = interfaces->find(kind ? "private" : "public");
        // cloud-init reads only the first entry of each list.
        if (!list || !list->is_array() || list->items().empty())
            continue;
        const JsonValue& entry = list->items().front();
        auto mac = MacAddress::parse(entry.string_member("mac").value_or(""));
        if (!mac)
            return false;
        NicMetadata& nic = instance.nics.emplace_back();
        nic.mac = *mac;
        nic.device_number = kind;
        // The gateway only on the public, non-anchor subnets.
        static constexpr const char* subnets[] = { "ipv4", "ipv6", "anchor_ipv4", "anchor_ipv6" };
        for (unsigned i = 0; i < 4; ++i) {
            const JsonValue* subnet = entry.find(subnets[i]);
            // cloud-init skips an absent or empty (falsy) subnet.
            if (!subnet || (subnet->is_object() && subnet->keys().empty()))
                continue;
            if (!apply_subnet(*subnet, i & 1, !kind && i < 2, nic))
                return false;
        }
    }
    return !instance.nics.empty();
}

}

[[gnu::noinline]] Status apply_digitalocean_metadata(std::string_view json, InstanceMetadata& instance, std::vector<std::string>& warnings)
{
    auto document = TRY(parse_json(json));
    if (!document.is_object())
        return Error::invalid("metadata/v1.json: not a JSON object");
    constexpr std::string_view where = "metadata/v1.json";
    // A JSON number; one a double holds exactly.
    if (const JsonValue* id = document.find("droplet_id")) {
        if (auto number = id->as_unsigned(uint64_t(1) << 53))
            instance.instance_id = std::to_string(*number);
        else
            warnings.push_back("dropping droplet_id: not a droplet id");
    }
    take_string_member(document, "hostname", instance.hostname, is_valid_hostname, where, warnings);
    instance.local_hostname = instance.hostname;
    // cloud-init gives the region as the availability zone only.
    take_string_member(document, "region", instance.availability_zone, is_identifier, where, warnings);
    append_json_public_keys(document.find("public_keys"), "public_keys", instance.public_keys, warnings);
    if (auto user_data = document.string_member("user_data"))
        instance.user_data.emplace(*user_data);

    if (apply_interfaces(document.find("interfaces"), instance)) {
        instance.has_network_data = true;
        const JsonValue* dns = document.find("dns");
        append_json_addresses(dns ? dns->find("nameservers") : nullptr, "DNS server", instance.dns_ipv4, instance.dns_ipv6, warnings);
    } else {
        instance.nics.clear();
        warnings.push_back("no network data: interfaces missing or malformed");
    }
    return {};
}

}
