#include "clouds/openstack/openstack.h"

#include "common/text.h"
#include "common/json.h"
#include "clouds/values.h"

#include <algorithm>

namespace mb::clouds {

namespace {

constexpr std::string_view network_data_version = "2015-10-15";

void add_dns(const JsonValue& services, std::vector<Ipv4Address>& v4, std::vector<Ipv6Address>& v6, std::vector<std::string>& warnings)
{
    for (auto const& service : services.items()) {
        if (service.string_member("type") != "dns")
            continue;
        auto address = service.string_member("address");
        if (!address) {
            warnings.push_back("dropping a dns service without an address");
        } else if (auto a4 = Ipv4Address::parse(*address)) {
            if (std::find(v4.begin(), v4.end(), *a4) == v4.end())
                v4.push_back(*a4);
        } else if (auto a6 = Ipv6Address::parse(*address)) {
            if (std::find(v6.begin(), v6.end(), *a6) == v6.end())
                v6.push_back(*a6);
        } else {
            warnings.push_back(concat({ "dropping dns service address '", printable(*address), "'" }));
        }
    }
}

// "ip_address" with either a "/len" suffix or a separate "netmask".
template<typename Prefix, typename Address, typename FromMask>
std::optional<Prefix> network_address(const JsonValue& network, FromMask length_from_mask)
{
    auto text = network.string_member("ip_address");
    if (!text)
        return std::nullopt;
    if (text->find('/') != std::string_view::npos)
        return Prefix::parse(*text);
    auto address = Address::parse(*text);
    auto mask_text = network.string_member("netmask");
    if (!address || !mask_text)
        return std::nullopt;
    auto mask = Address::parse(*mask_text);
    if (!mask)
        return std::nullopt;
    auto length = length_from_mask(*mask);
    if (!length)
        return std::nullopt;
    return Prefix(*address, *length);
}

template<typename Prefix, typename Address, typename Route, typename FromMask>
void add_routes(const JsonValue& network, std::vector<Route>& routes, std::optional<Address>& gateway, FromMask length_from_mask, std::vector<std::string>& warnings)
{
    auto const* list = network.find("routes");
    if (!list)
        return;
    for (auto const& route : list->items()) {
        auto destination = route.string_member("network");
        auto mask_text = route.string_member("netmask");
        auto via = route.string_member("gateway");
        std::optional<Address> dest, mask, next_hop;
        if (destination)
            dest = Address::parse(*destination);
        if (mask_text)
            mask = Address::parse(*mask_text);
        if (via)
            next_hop = Address::parse(*via);
        std::optional<uint8_t> length;
        if (mask)
            length = length_from_mask(*mask);
        if (!dest || !length || !next_hop) {
            warnings.push_back(concat({ "dropping a malformed route of network '", printable(network.string_member("id").value_or("")), "'" }));
            continue;
        }
        if (*length == 0) {
            gateway = next_hop;
            continue;
        }
        routes.push_back(Route { Prefix(*dest, *length), *next_hop, std::nullopt });
    }
}

}

Result<std::string> select_openstack_version(std::string_view listing)
{
    auto entries = parse_listing(listing);
    if (std::find(entries.begin(), entries.end(), "latest") != entries.end())
        return std::string("latest");
    std::optional<std::string_view> newest;
    for (auto entry : entries) {
        bool dated = entry.size() == 10 && entry[4] == '-' && entry[7] == '-' && parse_decimal(entry.substr(0, 4)) && parse_decimal(entry.substr(5, 2)) && parse_decimal(entry.substr(8, 2));
        if (dated && entry >= network_data_version && (!newest || entry > *newest))
            newest = entry;
    }
    if (!newest)
        return Error::unsupported("the OpenStack metadata service offers no version with network_data.json");
    return std::string(*newest);
}

Status apply_openstack_meta_data(std::string_view json, InstanceMetadata& instance, std::vector<std::string>& warnings)
{
    auto document = parse_json(json);
    if (document.is_error())
        return document.release_error().context("meta_data.json");
    if (!document->is_object())
        return Error::invalid("meta_data.json: not a JSON object");

    take_string_member(*document, "uuid", instance.instance_id, is_identifier, "meta_data.json", warnings);
    take_string_member(*document, "hostname", instance.hostname, is_valid_hostname, "meta_data.json", warnings);
    take_string_member(*document, "availability_zone", instance.availability_zone, is_identifier, "meta_data.json", warnings);
    instance.local_hostname = instance.hostname;

    if (auto const* keys = document->find("public_keys")) {
        for (auto const& value : keys->items()) {
            auto text = value.as_string();
            if (!text) {
                warnings.push_back("dropping a public key that is not a string");
                continue;
            }
            append_public_keys(*text, "meta_data.json public_keys", instance.public_keys, warnings);
        }
    }
    return {};
}

Status apply_openstack_network_data(std::string_view json, InstanceMetadata& instance, std::vector<std::string>& warnings)
{
    auto document = parse_json(json);
    if (document.is_error())
        return document.release_error().context("network_data.json");
    if (!document->is_object())
        return Error::invalid("network_data.json: not a JSON object");
    auto const* links = document->find("links");
    auto const* networks = document->find("networks");
    if ((links && !links->is_array()) || (networks && !networks->is_array()))
        return Error::invalid("network_data.json: links and networks must be arrays");

    std::vector<std::string> link_ids; // parallel to instance.nics
    if (links) {
        for (auto const& link : links->items()) {
            auto id = link.string_member("id");
            auto type = link.string_member("type").value_or("");
            if (!id) {
                warnings.push_back("dropping a link without an id");
                continue;
            }
            // Bonds and VLANs are built from other links; metaboot configures
            // physical NICs only.
            if (type == "bond" || type == "vlan") {
                warnings.push_back(concat({ "skipping link '", printable(*id), "': type ", printable(type), " is not supported" }));
                continue;
            }
            auto mac_text = link.string_member("ethernet_mac_address");
            auto mac = mac_text ? MacAddress::parse(*mac_text) : std::nullopt;
            if (!mac) {
                warnings.push_back(concat({ "dropping link '", printable(*id), "': no valid ethernet_mac_address" }));
                continue;
            }
            if (std::find(link_ids.begin(), link_ids.end(), *id) != link_ids.end()) {
                warnings.push_back(concat({ "dropping duplicate link id '", printable(*id), "'" }));
                continue;
            }
            NicMetadata nic;
            nic.mac = *mac;
            if (auto const* mtu = link.find("mtu"); mtu && mtu->type() != JsonValue::Type::Null) {
                auto value = mtu->as_unsigned(65535);
                if (value && *value >= 68)
                    nic.mtu = uint32_t(*value);
                else
                    warnings.push_back(concat({ "dropping mtu of link '", printable(*id), "'" }));
            }
            link_ids.emplace_back(*id);
            instance.nics.push_back(std::move(nic));
        }
    }

    if (networks) {
        for (auto const& network : networks->items()) {
            auto link = network.string_member("link").value_or("");
            auto type = network.string_member("type").value_or("");
            auto it = std::find(link_ids.begin(), link_ids.end(), link);
            if (it == link_ids.end()) {
                warnings.push_back(concat({ "dropping network on unknown link '", printable(link), "'" }));
                continue;
            }
            auto& nic = instance.nics[size_t(it - link_ids.begin())];
            if (type == "ipv4_dhcp") {
                nic.ipv4_dhcp = true;
            } else if (type == "ipv6_dhcp" || type == "ipv6_dhcpv6-stateful") {
                nic.ipv6_dhcp = true;
            } else if (type == "ipv6_slaac" || type == "ipv6_dhcpv6-stateless") {
                // Stateless DHCPv6 still takes its address by SLAAC
                // (RFC 8415 §6.1); only options come from DHCPv6.
                nic.ipv6_slaac = true;
            } else if (type == "ipv4") {
                auto prefix = network_address<Ipv4Prefix, Ipv4Address>(network, Ipv4Prefix::length_from_netmask);
                if (!prefix) {
                    warnings.push_back(concat({ "dropping ipv4 network on '", printable(link), "': bad ip_address or netmask" }));
                    continue;
                }
                nic.ipv4_addresses.push_back(*prefix);
                add_routes<Ipv4Prefix>(network, nic.ipv4_routes, nic.ipv4_gateway, Ipv4Prefix::length_from_netmask, warnings);
            } else if (type == "ipv6") {
                auto prefix = network_address<Ipv6Prefix, Ipv6Address>(network, ipv6_prefix_length_from_netmask);
                if (!prefix) {
                    warnings.push_back(concat({ "dropping ipv6 network on '", printable(link), "': bad ip_address or netmask" }));
                    continue;
                }
                nic.ipv6_addresses.push_back(*prefix);
                add_routes<Ipv6Prefix>(network, nic.ipv6_routes, nic.ipv6_gateway, ipv6_prefix_length_from_netmask, warnings);
            } else {
                warnings.push_back(concat({ "skipping network type '", printable(type), "'" }));
                continue;
            }
            if (auto const* services = network.find("services"))
                add_dns(*services, nic.dns_ipv4, nic.dns_ipv6, warnings);
        }
    }

    if (auto const* services = document->find("services"))
        add_dns(*services, instance.dns_ipv4, instance.dns_ipv6, warnings);
    instance.has_network_data = links != nullptr;
    return {};
}

OpenStackProvider::OpenStackProvider(Session& session)
    : m_session(session)
{
}

Result<std::string> OpenStackProvider::get(const std::string& path)
{
    return body_of(m_session.send(http::Method::Get, path, {}, m_session.options().request_timeout), "GET " + path);
}

Result<InstanceMetadata> OpenStackProvider::instance()
{
    auto versions = TRY(get("/openstack/"));
    m_version = TRY(select_openstack_version(versions));
    InstanceMetadata instance;
    instance.api_version = m_version;
    auto base = "/openstack/" + m_version + "/";

    // The three documents do not depend on each other: one pipelined round
    // trip (user_data() then answers from what came back).
    const std::string paths[] = { base + "meta_data.json", base + "network_data.json", base + "user_data" };
    auto responses = m_session.send_batch(http::Method::Get, paths, {}, m_session.options().request_timeout);
    m_user_data = body_of(std::move(responses[2]), "GET " + paths[2]);

    auto meta_data = TRY(body_of(std::move(responses[0]), "GET " + paths[0]));
    TRY(apply_openstack_meta_data(meta_data, instance, m_session.warnings()));
    m_public_keys = instance.public_keys;

    auto network_data = body_of(std::move(responses[1]), "GET " + paths[1]);
    if (network_data.ok()) {
        TRY(apply_openstack_network_data(*network_data, instance, m_session.warnings()));
    } else if (network_data.error().kind() == ErrorKind::NotFound) {
        m_session.warn("no network_data.json");
    } else {
        return network_data.release_error();
    }
    return instance;
}

Result<std::vector<std::string>> OpenStackProvider::public_keys()
{
    return m_public_keys;
}

Result<std::optional<std::string>> OpenStackProvider::user_data()
{
    if (m_user_data)
        return optional_body(std::move(*m_user_data));
    return optional_body(get("/openstack/" + m_version + "/user_data"));
}

}
