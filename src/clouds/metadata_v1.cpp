#include "clouds/metadata_v1.h"

#include "clouds/values.h"
#include "model/nic_matching.h"

namespace mb::clouds {

namespace {

template<typename T>
void append_all(std::vector<T>& out, const auto& items, size_t from, size_t to)
{
    for (size_t i = from; i < to && i < items.size(); ++i)
        out.push_back(items[i]);
}

}

void apply_v1_identity(const JsonValue& document, InstanceMetadata& instance, std::vector<std::string>& warnings)
{
    constexpr std::string_view where = "metadata/v1.json";
    take_string_member(document, "hostname", instance.hostname, is_valid_hostname, where, warnings);
    instance.local_hostname = instance.hostname;
    take_string_member(document, "region", instance.availability_zone, is_identifier, where, warnings);
    append_json_public_keys(document.find("public_keys"), "public_keys", instance.public_keys, warnings);
    if (auto user_data = document.string_member("user_data"))
        instance.user_data.emplace(*user_data);
}

std::string_view v1_member_text(const JsonValue& object, const char* key)
{
    const JsonValue* member = object.find(key);
    if (!member || member->type() == JsonValue::Type::Null)
        return "";
    return member->as_string().value_or("?");
}

bool add_static_address(NicMetadata& nic, bool ipv6, std::string_view address, uint64_t length, std::string_view gateway)
{
    if (ipv6) {
        auto parsed = Ipv6Address::parse(address);
        auto via = Ipv6Address::parse(gateway);
        if (!parsed || length > 128 || (!gateway.empty() && !via))
            return false;
        nic.ipv6_addresses.emplace_back(*parsed, uint8_t(length));
        if (!nic.ipv6_gateway)
            nic.ipv6_gateway = via;
        return true;
    }
    auto parsed = Ipv4Address::parse(address);
    auto via = Ipv4Address::parse(gateway);
    if (!parsed || length > 32 || (!gateway.empty() && !via))
        return false;
    nic.ipv4_addresses.emplace_back(*parsed, uint8_t(length));
    if (!nic.ipv4_gateway)
        nic.ipv4_gateway = via;
    return true;
}

Result<NetworkConfig> map_listed_nics(const InstanceMetadata& metadata, const std::vector<SystemNic>& system_nics, NicNames names)
{
    TRY(check_system_nics(system_nics));
    if (!metadata.has_network_data || metadata.nics.empty())
        return Error::invalid("the metadata has no network interfaces");
    NetworkConfig config;
    auto matches = TRY(match_system_nics(metadata, system_nics, config.skipped_macs));
    // cloud-init refuses the whole config ("Did not find network interface
    // on system with mac"): a NIC the metadata names but the initramfs
    // cannot see would leave its addresses unconfigured.
    if (!config.skipped_macs.empty())
        return Error::invalid(concat({ "no NIC on this system has MAC ", config.skipped_macs.front().to_string() }));
    for (auto [nic, system] : matches) {
        Interface& interface = config.interfaces.emplace_back();
        interface.name = system->name;
        if (names == NicNames::DigitalOcean)
            interface.name = nic->device_number.value_or(0) ? "eth1" : "eth0";
        interface.match_mac = nic->mac;
        interface.set_name = interface.name;
        interface.dhcp4 = nic->ipv4_dhcp;
        interface.dhcp6 = nic->ipv6_dhcp;
        interface.dhcp6_stateless = nic->ipv6_dhcp && nic->ipv6_slaac;
        // IPv4 and IPv6 in turn: DigitalOcean's subnet order (ipv4, ipv6,
        // anchor_ipv4, anchor_ipv6).
        auto& addresses = interface.addresses;
        for (size_t i = 0; i < nic->ipv4_addresses.size() || i < nic->ipv6_addresses.size(); ++i) {
            append_all(addresses, nic->ipv4_addresses, i, i + 1);
            append_all(addresses, nic->ipv6_addresses, i, i + 1);
        }
        if (nic->ipv4_gateway)
            interface.routes.push_back(Route { Ipv4Prefix(), IpAddress(*nic->ipv4_gateway) });
        if (nic->ipv6_gateway)
            interface.routes.push_back(Route { Ipv6Prefix(), IpAddress(*nic->ipv6_gateway) });
        bool own = !nic->dns_ipv4.empty() || !nic->dns_ipv6.empty();
        size_t count = addresses.empty() ? 0 : SIZE_MAX;
        append_all(interface.nameservers, own ? nic->dns_ipv4 : metadata.dns_ipv4, 0, count);
        append_all(interface.nameservers, own ? nic->dns_ipv6 : metadata.dns_ipv6, 0, count);
    }
    TRY(validate(config));
    return config;
}

}
