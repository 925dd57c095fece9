#include "clouds/oracle/oracle.h"

#include "clouds/values.h"
#include "common/json.h"
#include "common/text.h"

#include <cstring>

namespace mb::clouds {

namespace {


// A string member, or "" when it is absent or not a string: cloud-init
// treats an empty value as a missing one.
std::string_view member_text(const JsonValue& object, const char* key)
{
    return object.string_member(key).value_or("");
}

}

// Out of line: inlined into their one caller they come out larger.
[[gnu::noinline]] Status apply_oracle_instance(std::string_view json, InstanceMetadata& instance, std::vector<std::string>& warnings)
{
    auto document = TRY(parse_json(json));
    if (!document.is_object())
        return Error::invalid("instance: not a JSON object");
    // cloud-init's names: id is the instance-id, ociAdName the
    // availability-zone, hostname the local-hostname.
    take_string_member(document, "id", instance.instance_id, is_identifier, "instance", warnings);
    take_string_member(document, "hostname", instance.hostname, is_valid_hostname, "instance", warnings);
    take_string_member(document, "ociAdName", instance.availability_zone, is_identifier, "instance", warnings);
    take_string_member(document, "shape", instance.instance_type, is_identifier, "instance", warnings);
    instance.local_hostname = instance.hostname;

    if (const JsonValue* metadata = document.find("metadata")) {
        append_public_keys(member_text(*metadata, "ssh_authorized_keys"), "ssh_authorized_keys", instance.public_keys, warnings);
        // cloud-init skips an empty user_data the same way.
        auto user_data = member_text(*metadata, "user_data");
        if (!user_data.empty()) {
            instance.user_data = base64_decode(user_data);
            if (!instance.user_data)
                warnings.push_back("dropping user_data: not base64");
        }
    }
    return {};
}

[[gnu::noinline]] Status apply_oracle_vnics(std::string_view json, InstanceMetadata& instance, std::vector<std::string>& warnings)
{
    auto document = TRY(parse_json(json));
    if (!document.is_array())
        return Error::invalid("vnics: not a JSON array");
    for (const auto& vnic : document.items()) {
        // The first VNIC is the primary, even when it is dropped below.
        bool primary = &vnic == &document.items().front();
        auto text = [&](const char* key) { return member_text(vnic, key); };
        std::string_view mac_text = text("macAddr"), private_ip = text("privateIp"), ipv6_text;
        if (auto const* list = vnic.find("ipv6Addresses"); list && !list->items().empty())
            ipv6_text = list->items()[0].as_string().value_or("-");
        auto mac = MacAddress::parse(mac_text);
        auto address = Ipv4Address::parse(private_ip);
        auto ipv6 = Ipv6Address::parse(ipv6_text);
        auto subnet = Ipv4Prefix::parse(text("subnetCidrBlock"));
        // cloud-init's test: an IPv6 subnet and no private IPv4 address. The
        // service then sends subnetCidrBlock as the string "<null>".
        bool ipv6_only = !text("ipv6SubnetCidrBlock").empty() && private_ip.empty();
        // cloud-init needs the subnet (or, IPv6-only, the first IPv6
        // address) for every VNIC, and refuses malformed values.
        if (!mac || (ipv6_only ? !ipv6 : !subnet) || (!ipv6_text.empty() && !ipv6) || (!private_ip.empty() && !address)) {
            warnings.push_back(concat({ "dropping VNIC '", printable(mac_text), "': a value missing or malformed" }));
            continue;
        }
        NicMetadata& nic = instance.nics.emplace_back();
        nic.mac = *mac;
        // OCI's networks run jumbo frames; cloud-init writes 9000 on every
        // VNIC. https://docs.oracle.com/iaas/Content/Network/Troubleshoot/connectionhang.htm
        nic.mtu = 9000;
        if (primary) {
            nic.ipv4_dhcp = !ipv6_only;
            nic.ipv6_dhcp = ipv6_only;
            continue;
        }
        if (address)
            nic.ipv4_addresses.emplace_back(*address, subnet->length());
        // Deliberately /128 where cloud-init gives a dual-stack VNIC's IPv6
        // address the IPv4 subnet's length (its /24 would put a quarter of
        // the IPv6 space on the link); /128 is what it gives an IPv6-only
        // VNIC.
        if (ipv6)
            nic.ipv6_addresses.emplace_back(*ipv6, uint8_t(128));
    }
    instance.has_network_data = true;
    return {};
}

Result<std::string> OracleProvider::get(std::string path)
{
    for (;;) {
        std::vector<http::Header> headers;
        // v2 answers 401 without this fixed header, which a request forged
        // through a server on the instance rarely carries; v1 takes none.
        if (m_v1)
            path[6] = '1';
        else
            headers.push_back({ "Authorization", "Bearer Oracle" });
        auto body = body_of(m_session.send(http::Method::Get, path, std::move(headers), m_session.options().request_timeout), "GET " + path);
        if (body.ok() || m_v1 || m_settled)
            return body;
        // cloud-init asks v2, then v1, keeps the first that answers, and
        // asks vnics/ of that version only.
        m_session.warn(body.error().message() + "; trying /opc/v1/");
        m_v1 = true;
    }
}

Result<InstanceMetadata> OracleProvider::instance()
{
    InstanceMetadata instance;
    TRY(apply_oracle_instance(TRY(get("/opc/v2/instance/")), instance, m_session.warnings()));
    m_settled = true;
    // Without VNIC data the leased NIC gets DHCP (the mapping's fallback),
    // where cloud-init would write an empty network config.
    auto vnics = get("/opc/v2/vnics/");
    Status parsed = vnics.ok() ? apply_oracle_vnics(*vnics, instance, m_session.warnings()) : Status(vnics.release_error());
    if (parsed.is_error())
        m_session.warn("no VNIC data: " + parsed.error().message());
    instance.api_version = m_v1 ? "v1" : "v2";
    return instance;
}

}
