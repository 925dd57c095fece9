// GET /metadata/instance, and the parse of its one JSON document.
// https://learn.microsoft.com/en-us/azure/virtual-machines/instance-metadata-service
#include "clouds/azure/azure.h"

#include "clouds/values.h"
#include "common/json.h"

namespace mb::clouds {

namespace {

// The versions cloud-init asks for (fetch_metadata_with_api_fallback in
// cloudinit/sources/azure/imds.py): the extended document first, and on a
// 400, which is what IMDS answers a version it does not know, 2019-06-01.
constexpr std::string_view current_version = "2021-08-01";
constexpr std::string_view fallback_version = "2019-06-01";

// IMDS answers 404 and 410 while the VM is still being provisioned and asks
// to be retried; cloud-init retries 404, 410, 429 and 500 until its deadline.
// The session retries 429 and 5xx already.
constexpr http::RetryPolicy imds_retry { .max_attempts = 10, .absent = http::Absent::Transient };

// Word for word the EC2 provider's: the linker folds the two into one.
void drop(std::vector<std::string>& warnings, std::string_view what, std::string_view value)
{
    warnings.push_back(concat({ "dropping ", what, ": invalid value '", printable(value), "'" }));
}

// One family's privateIpAddress values, each with subnet[0].prefix, or the
// default cloud-init gives a missing one (24, 128). Only the addresses after
// the first are ever configured statically; the first is the DHCP one.
void add_addresses(const JsonValue& interface, bool ipv6, NicMetadata& nic, std::vector<std::string>& warnings)
{
    auto const* family = interface.find(ipv6 ? "ipv6" : "ipv4");
    if (!family)
        return;
    uint8_t length = ipv6 ? 128 : 24;
    if (auto const* subnets = family->find("subnet"); subnets && !subnets->items().empty()) {
        auto text = subnets->items()[0].string_member("prefix").value_or("");
        if (auto parsed = parse_decimal(text, ipv6 ? 128 : 32))
            length = uint8_t(*parsed);
        else if (!text.empty())
            drop(warnings, "subnet prefix", text);
    }
    auto const* list = family->find("ipAddress");
    if (!list)
        return;
    for (auto const& entry : list->items()) {
        auto text = entry.string_member("privateIpAddress").value_or("");
        if (auto v4 = Ipv4Address::parse(text); v4 && !ipv6)
            nic.ipv4_addresses.push_back(Ipv4Prefix(*v4, length));
        else if (auto v6 = Ipv6Address::parse(text); v6 && ipv6)
            nic.ipv6_addresses.push_back(Ipv6Prefix(*v6, length));
        else
            drop(warnings, "privateIpAddress", text);
    }
}

}

Status apply_azure_instance(std::string_view json, InstanceMetadata& instance, std::optional<std::string>& user_data, std::vector<std::string>& warnings)
{
    auto document = parse_json(json);
    if (document.is_error())
        return document.release_error().context("IMDS instance");
    if (!document->is_object())
        return Error::invalid("IMDS instance: not a JSON object");

    if (auto const* compute = document->find("compute")) {
        take_string_member(*compute, "vmId", instance.instance_id, is_identifier, "IMDS compute", warnings);
        take_string_member(*compute, "location", instance.region, is_identifier, "IMDS compute", warnings);
        take_string_member(*compute, "vmSize", instance.instance_type, is_identifier, "IMDS compute", warnings);
        // cloud-init's availability_zone for Azure is the fault domain.
        take_string_member(*compute, "platformFaultDomain", instance.availability_zone, is_identifier, "IMDS compute", warnings);
        if (auto const* os_profile = compute->find("osProfile"))
            take_string_member(*os_profile, "computerName", instance.hostname, is_valid_hostname, "IMDS osProfile", warnings);
        instance.local_hostname = instance.hostname;

        if (auto const* keys = compute->find("publicKeys")) {
            for (auto const& key : keys->items())
                append_public_keys(key.string_member("keyData").value_or(""), "compute.publicKeys", instance.public_keys, warnings);
        }
        // IMDS serves user-data base64-encoded; an empty one is none.
        // customData is not in IMDS at all (only in the provisioning ISO's
        // ovf-env.xml), so it is not looked for.
        auto text = compute->string_member("userData").value_or("");
        if (!text.empty() && !(user_data = base64_decode(text)))
            drop(warnings, "userData (not base64)", text);
    }

    auto const* network = document->find("network");
    auto const* interfaces = network ? network->find("interface") : nullptr;
    if (!interfaces || !interfaces->is_array())
        return {};
    instance.has_network_data = true;
    uint32_t index = 0;
    for (auto const& entry : interfaces->items()) {
        auto text = entry.string_member("macAddress").value_or("");
        // IMDS gives 12 hex digits ("000D3A1B2C3D").
        if (auto mac = MacAddress::parse(text)) {
            NicMetadata& nic = instance.nics.emplace_back();
            nic.mac = *mac;
            nic.device_number = index;
            add_addresses(entry, false, nic, warnings);
            add_addresses(entry, true, nic, warnings);
            nic.ipv6_dhcp = !nic.ipv6_addresses.empty();
            nic.ipv4_dhcp = nic.ipv6_dhcp || !nic.ipv4_addresses.empty();
        } else {
            drop(warnings, "macAddress", text);
        }
        ++index;
    }
    return {};
}

AzureProvider::AzureProvider(Session& session)
    : m_session(session)
{
}

Result<InstanceMetadata> AzureProvider::instance()
{
    InstanceMetadata instance;
    instance.api_version = current_version;
    // Without "Metadata: true" IMDS answers 400: the header proves the
    // request was not forwarded on someone else's behalf (SSRF).
    auto get = [&](std::string_view query) {
        return m_session.send(http::Method::Get, concat({ "/metadata/instance?api-version=", query }), { { "Metadata", "true" } },
            m_session.options().request_timeout, imds_retry);
    };
    auto response = get("2021-08-01&extended=true");
    if (response.ok() && response->status == 400) {
        m_session.warn("IMDS refused api-version 2021-08-01");
        instance.api_version = fallback_version;
        response = get(fallback_version);
    }
    auto body = TRY(body_of(std::move(response), "GET /metadata/instance"));
    // The document carries the user-data, which has no place in the
    // world-readable metadata.json's raw cache.
    m_session.take_raw();
    TRY(apply_azure_instance(body, instance, m_user_data, m_session.warnings()));
    m_public_keys = instance.public_keys;
    return instance;
}

}
