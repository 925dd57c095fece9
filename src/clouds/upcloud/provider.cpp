#include "clouds/upcloud/upcloud.h"

#include "clouds/values.h"

namespace mb::clouds {

namespace {

// One of ip_addresses[] into `nic`; false when a value is malformed.
bool apply_address(const JsonValue& entry, const InstanceMetadata& instance, NicMetadata& nic, std::vector<std::string>& warnings)
{
    auto text = [&](const char* key) { return entry.string_member(key).value_or(""); };
    bool ipv6 = text("family") == "IPv6";
    if (entry.find("dhcp") && entry.find("dhcp")->as_bool().value_or(false)) {
        // cloud-init: "UpCloud currently passes IPv6 addresses via SLAAC",
        // hence ipv6_dhcpv6-stateless.
        (ipv6 ? nic.ipv6_dhcp : nic.ipv4_dhcp) = true;
        nic.ipv6_slaac |= ipv6;
        return true;
    }
    // The prefix length is the network's ("198.18.0.0/22"); cloud-init
    // writes no netmask for a network without one, which metaboot refuses.
    std::string_view network = text("network");
    size_t slash = network.find('/');
    if (slash == network.npos)
        return false;
    std::string prefix = concat({ text("address"), network.substr(slash) });
    std::string_view gateway = text("gateway");
    if (ipv6) {
        auto address = Ipv6Prefix::parse(prefix);
        auto via = Ipv6Address::parse(gateway);
        if (!address || (!gateway.empty() && !via))
            return false;
        nic.ipv6_addresses.push_back(*address);
        if (!nic.ipv6_gateway)
            nic.ipv6_gateway = via;
    } else {
        auto address = Ipv4Prefix::parse(prefix);
        auto via = Ipv4Address::parse(gateway);
        if (!address || (!gateway.empty() && !via))
            return false;
        nic.ipv4_addresses.push_back(*address);
        if (!nic.ipv4_gateway)
            nic.ipv4_gateway = via;
    }
    // The address's own DNS servers only where they are not the global ones.
    std::vector<Ipv4Address> dns_ipv4;
    std::vector<Ipv6Address> dns_ipv6;
    append_json_addresses(entry.find("dns"), "DNS server", dns_ipv4, dns_ipv6, warnings);
    if (dns_ipv4 != instance.dns_ipv4 || dns_ipv6 != instance.dns_ipv6) {
        nic.dns_ipv4.insert(nic.dns_ipv4.end(), dns_ipv4.begin(), dns_ipv4.end());
        nic.dns_ipv6.insert(nic.dns_ipv6.end(), dns_ipv6.begin(), dns_ipv6.end());
    }
    return true;
}

bool apply_network(const JsonValue* network, InstanceMetadata& instance, std::vector<std::string>& warnings)
{
    const JsonValue* interfaces = network ? network->find("interfaces") : nullptr;
    if (!interfaces || !interfaces->is_array())
        return false;
    append_json_addresses(network->find("dns"), "DNS server", instance.dns_ipv4, instance.dns_ipv6, warnings);
    for (const auto& entry : interfaces->items()) {
        auto mac = MacAddress::parse(entry.string_member("mac").value_or(""));
        const JsonValue* addresses = entry.find("ip_addresses");
        if (!mac || !addresses || !addresses->is_array())
            return false;
        NicMetadata& nic = instance.nics.emplace_back();
        nic.mac = *mac;
        for (const auto& address : addresses->items()) {
            if (!apply_address(address, instance, nic, warnings))
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
    constexpr std::string_view where = "metadata/v1.json";
    take_string_member(document, "instance_id", instance.instance_id, is_identifier, where, warnings);
    take_string_member(document, "hostname", instance.hostname, is_valid_hostname, where, warnings);
    instance.local_hostname = instance.hostname;
    // cloud-init gives the region as the availability zone only.
    take_string_member(document, "region", instance.availability_zone, is_identifier, where, warnings);
    append_json_public_keys(document.find("public_keys"), "public_keys", instance.public_keys, warnings);
    if (auto user_data = document.string_member("user_data"))
        instance.user_data.emplace(*user_data);

    if (apply_network(document.find("network"), instance, warnings)) {
        instance.has_network_data = true;
    } else {
        instance.nics.clear();
        warnings.push_back("no network data: network.interfaces missing or malformed");
    }
    return {};
}

}
