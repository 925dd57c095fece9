// OpenStack network_data.json (and meta_data.json with the same bytes) into
// the model. Every kept value must print and parse back unchanged.
#include "clouds/openstack/openstack.h"
#include "clouds/values.h"

#include <cstdint>
#include <cstdlib>
#include <string>

using namespace mb;
using namespace mb::clouds;

template<typename T>
static void check_round_trip(const T& value)
{
    auto again = T::parse(value.to_string());
    if (!again || *again != value)
        std::abort();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    std::string_view text(reinterpret_cast<const char*>(data), size);
    InstanceMetadata instance;
    std::vector<std::string> warnings;
    if (apply_openstack_network_data(text, instance, warnings).ok()) {
        for (auto const& nic : instance.nics) {
            check_round_trip(nic.mac);
            for (auto const& p : nic.ipv4_addresses)
                check_round_trip(p);
            for (auto const& p : nic.ipv6_addresses)
                check_round_trip(p);
            for (auto const& r : nic.ipv4_routes) {
                check_round_trip(r.destination);
                check_round_trip(r.gateway);
            }
            if (nic.mtu && (*nic.mtu < 68 || *nic.mtu > 65535))
                std::abort();
        }
        for (auto const& a : instance.dns_ipv6)
            check_round_trip(a);
    }
    InstanceMetadata identity;
    if (apply_openstack_meta_data(text, identity, warnings).ok()) {
        if (!identity.hostname.empty() && !is_valid_hostname(identity.hostname))
            std::abort();
        for (auto const& key : identity.public_keys)
            if (!is_openssh_public_key(key))
                std::abort();
    }
    (void)select_openstack_version(text);
    return 0;
}
