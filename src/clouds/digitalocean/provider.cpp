#include "clouds/digitalocean/digitalocean.h"

#include "clouds/metadata_v1.h"
#include "clouds/values.h"

namespace mb::clouds {

namespace {

// interfaces.public[0] and interfaces.private[0] into the model; false
// when a value is malformed.
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
        static constexpr const char* subnets[] = { "ipv4", "ipv6", "anchor_ipv4", "anchor_ipv6" };
        for (unsigned i = 0; i < 4; ++i) {
            const JsonValue* subnet = entry.find(subnets[i]);
            // cloud-init skips an absent or empty (falsy) subnet.
            if (!subnet || (subnet->is_object() && subnet->keys().empty()))
                continue;
            auto text = [&](const char* key) { return v1_member_text(*subnet, key); };
            bool ipv6 = i & 1;
            // IPv4: a netmask; IPv6: the length as a number ("cidr").
            std::optional<uint64_t> length;
            if (ipv6)
                length = subnet->find("cidr") ? subnet->find("cidr")->as_unsigned(128) : std::nullopt;
            else if (auto mask = Ipv4Address::parse(text("netmask")))
                length = Ipv4Prefix::length_from_netmask(*mask);
            // The gateway only on the public, non-anchor subnets.
            if (!length || !add_static_address(nic, ipv6, text("ip_address"), *length, !kind && i < 2 ? text("gateway") : ""))
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
    // A JSON number; one a double holds exactly.
    if (const JsonValue* id = document.find("droplet_id")) {
        if (auto number = id->as_unsigned(uint64_t(1) << 53))
            instance.instance_id = std::to_string(*number);
        else
            warnings.push_back("dropping droplet_id: not a droplet id");
    }
    apply_v1_identity(document, instance, warnings);
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
