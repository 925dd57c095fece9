#include "clouds/upcloud/upcloud.h"

#include "clouds/metadata_v1.h"
#include "clouds/values.h"

namespace mb::clouds {

namespace {

// cloud-init compares an address's dns list with the global one as they
// are: the same strings in the same order.
bool same_strings(const JsonValue& list, const JsonValue* other)
{
    if (!other || list.items().size() != other->items().size())
        return false;
    for (size_t i = 0; i < list.items().size(); ++i) {
        if (list.items()[i].as_string() != other->items()[i].as_string())
            return false;
    }
    return true;
}

// One of ip_addresses[] into `nic`; false when a value is malformed.
bool apply_address(const JsonValue& entry, const JsonValue* global_dns, NicMetadata& nic, std::vector<std::string>& warnings)
{
    auto text = [&](const char* key) { return v1_member_text(entry, key); };
    bool ipv6 = text("family") == "IPv6";
    // Only JSON true: cloud-init takes any truthy value.
    if (entry.find("dhcp") && entry.find("dhcp")->as_bool().value_or(false)) {
        // cloud-init: "UpCloud currently passes IPv6 addresses via SLAAC",
        // hence ipv6_dhcpv6-stateless.
        (ipv6 ? nic.ipv6_dhcp : nic.ipv4_dhcp) = true;
        nic.ipv6_slaac |= ipv6;
        return true;
    }
    // The prefix length is the network's ("198.18.0.0/22"; a floating
    // address's is its own /32). cloud-init writes no netmask for a
    // network without one, which metaboot refuses.
    std::string_view network = text("network");
    size_t slash = network.find('/');
    if (slash == network.npos)
        return false;
    auto length = parse_decimal(network.substr(slash + 1), 255);
    if (!length || !add_static_address(nic, ipv6, text("address"), *length, text("gateway")))
        return false;
    // The address's own DNS servers only where they are not the global ones.
    const JsonValue* dns = entry.find("dns");
    if (dns && !dns->items().empty() && !same_strings(*dns, global_dns))
        append_json_addresses(dns, "DNS server", nic.dns_ipv4, nic.dns_ipv6, warnings);
    return true;
}

bool apply_network(const JsonValue* network, InstanceMetadata& instance, std::vector<std::string>& warnings)
{
    const JsonValue* interfaces = network ? network->find("interfaces") : nullptr;
    if (!interfaces || !interfaces->is_array())
        return false;
    const JsonValue* dns = network->find("dns");
    append_json_addresses(dns, "DNS server", instance.dns_ipv4, instance.dns_ipv6, warnings);
    for (const auto& entry : interfaces->items()) {
        auto mac = MacAddress::parse(entry.string_member("mac").value_or(""));
        const JsonValue* addresses = entry.find("ip_addresses");
        if (!mac || !addresses || !addresses->is_array())
            return false;
        NicMetadata& nic = instance.nics.emplace_back();
        nic.mac = *mac;
        for (const auto& address : addresses->items()) {
            if (!apply_address(address, dns, nic, warnings))
                return false;
        }
    }
    return !instance.nics.empty();
}

}

[[gnu::noinline]] Status apply_upcloud_metadata(std::string_view json, InstanceMetadata& instance, std::vector<std::string>& warnings)
{
    auto document = TRY(parse_json(json));
    if (!document.is_object())
        return Error::invalid("metadata/v1.json: not a JSON object");
    take_string_member(document, "instance_id", instance.instance_id, is_identifier, "metadata/v1.json", warnings);
    apply_v1_identity(document, instance, warnings);
    if (apply_network(document.find("network"), instance, warnings)) {
        instance.has_network_data = true;
    } else {
        instance.nics.clear();
        warnings.push_back("no network data: network.interfaces missing or malformed");
    }
    return {};
}

}
