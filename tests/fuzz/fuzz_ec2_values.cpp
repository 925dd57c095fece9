// EC2 listings and value parsers. The input is split on NUL into the bodies
// of GET / and the meta-data keys below; the builder must never crash, and
// every value it keeps must survive to_string() -> parse() unchanged.
#include "clouds/ec2/ec2.h"
#include "clouds/values.h"

#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

using namespace mb;
using namespace mb::clouds;

static const char* keys[] = {
    "instance-id", "instance-type", "local-hostname", "hostname", "placement/availability-zone", "placement/region", "mac",
    "network/interfaces/macs/", "public-keys/", "public-keys/0/openssh-key", "identity",
};
static const char* nic_keys[] = {
    "device-number", "network-card", "local-ipv4s", "subnet-ipv4-cidr-block", "vpc-ipv4-cidr-blocks", "ipv6s", "subnet-ipv6-cidr-blocks",
};

template<typename T>
static void check_round_trip(const T& value)
{
    auto again = T::parse(value.to_string());
    if (!again || *again != value)
        std::abort();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    std::string input(reinterpret_cast<const char*>(data), size);
    std::vector<std::string> parts;
    size_t start = 0;
    while (start <= input.size()) {
        auto end = input.find('\0', start);
        if (end == std::string::npos)
            end = input.size();
        parts.push_back(input.substr(start, end - start));
        start = end + 1;
    }

    auto version = select_ec2_version(parts[0]);
    std::string chosen = version.ok() ? *version : "2021-03-23";

    std::map<std::string, std::string> tree;
    size_t next = 1;
    for (auto key : keys)
        if (next < parts.size())
            tree[key] = parts[next++];
    // Values for every NIC the listing names, from the remaining parts.
    if (auto listing = tree.find("network/interfaces/macs/"); listing != tree.end()) {
        for (auto entry : parse_listing(listing->second)) {
            std::string mac(entry);
            if (!mac.empty() && mac.back() == '/')
                mac.pop_back();
            for (auto key : nic_keys)
                tree["network/interfaces/macs/" + mac + "/" + key] = next < parts.size() ? parts[next++] : "";
        }
    }

    MetaDataLookup lookup = [&](std::string_view path) -> Result<std::string> {
        auto it = tree.find(std::string(path));
        if (it == tree.end())
            return Error::not_found("absent");
        return it->second;
    };
    std::vector<std::string> warnings;
    std::optional<std::string_view> identity;
    if (tree.count("identity"))
        identity = tree["identity"];
    auto instance = build_ec2_metadata(lookup, chosen, identity, warnings);
    if (instance.ok()) {
        for (auto const* text : { &instance->instance_id, &instance->instance_type, &instance->region, &instance->availability_zone })
            if (!text->empty() && !is_safe_identifier(*text))
                std::abort();
        for (auto const* text : { &instance->hostname, &instance->local_hostname })
            if (!text->empty() && !is_valid_hostname(*text))
                std::abort();
        for (auto const& nic : instance->nics) {
            check_round_trip(nic.mac);
            for (auto const& p : nic.ipv4_addresses)
                check_round_trip(p);
            for (auto const& p : nic.ipv6_addresses)
                check_round_trip(p);
            for (auto const& p : nic.ipv6_subnets)
                check_round_trip(p);
            if (nic.device_number == 0u && nic.mac != instance->primary_mac)
                std::abort();
        }
    }
    auto public_keys = collect_ec2_public_keys(lookup, warnings);
    if (public_keys.ok())
        for (auto const& key : *public_keys)
            if (!is_openssh_public_key(key) || key.find('\n') != std::string::npos)
                std::abort();
    for (auto const& warning : warnings)
        for (char c : warning)
            if (c == '\n' || c == '\r')
                std::abort();

    // The single-value parsers on the raw input.
    for (auto line : parse_listing(input)) {
        (void)is_safe_listing_entry(line);
        (void)parse_public_key_index(line);
        if (auto address = Ipv6Address::parse(line))
            (void)ipv6_prefix_length_from_netmask(*address);
    }
    return 0;
}
