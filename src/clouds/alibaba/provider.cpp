// meta-data/all into the model (the provider itself, EC2's with Alibaba's
// token rules, is in detect.cpp).
#include "clouds/alibaba/alibaba.h"

#include "clouds/values.h"

namespace mb::clouds {

namespace {

constexpr const char* where = "meta-data/all";
// Bounds on what a service can make us do.
constexpr size_t max_nics = 128;

// Python's truth of a decoded leaf, as cloud-init tests `ipv6s`: false,
// null, 0, "" and empty lists and objects are false.
bool truthy(const JsonValue* value)
{
    if (!value)
        return false;
    if (auto text = value->as_string())
        return !text->empty();
    if (auto number = value->as_number())
        return *number != 0;
    if (auto flag = value->as_bool())
        return *flag;
    return !value->items().empty();
}

}

[[gnu::noinline]] Status apply_alibaba_metadata(std::string_view json, InstanceMetadata& instance, std::vector<std::string>& warnings)
{
    auto document = TRY(parse_json(json));
    if (!document.is_object())
        return Error::invalid("meta-data/all: not a JSON object");
    take_string_member(document, "instance-id", instance.instance_id, is_identifier, where, warnings);
    take_string_member(document, "hostname", instance.hostname, is_valid_hostname, where, warnings);
    instance.local_hostname = instance.hostname;
    // parse_public_keys in DataSourceAliYun.py.
    if (const JsonValue* keys = document.find("public-keys")) {
        for (const auto& key : keys->items())
            append_json_public_keys(key.is_object() ? key.find("openssh-key") : &key, "public-keys", instance.public_keys, warnings);
    }

    const JsonValue* network = document.find("network");
    const JsonValue* interfaces = network ? network->find("interfaces") : nullptr;
    const JsonValue* macs = interfaces ? interfaces->find("macs") : nullptr;
    if (!macs || !macs->is_object()) {
        warnings.push_back("meta-data/all: no NICs");
        return {};
    }
    for (size_t i = 0; i < macs->keys().size(); ++i) {
        auto mac = MacAddress::parse(macs->keys()[i]);
        if (!mac || instance.nics.size() == max_nics) {
            warnings.push_back("meta-data/all: dropping a NIC (not a MAC, or beyond 128)");
            continue;
        }
        NicMetadata& nic = instance.nics.emplace_back();
        nic.mac = *mac;
        nic.ipv4_dhcp = true;
        nic.ipv6_dhcp = truthy(macs->items()[i].find("ipv6s"));
    }
    instance.has_network_data = true;
    return {};
}

}
