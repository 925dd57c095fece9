// OCI's vnics/ and instance/ (the same bytes as both) into the model, then
// through the mapping. Every kept value must print and parse back
// unchanged, and the model must keep cloud-init's rules: one DHCP primary
// at most, MTU 9000, static addresses only on secondaries.
#include "clouds/oracle/oracle.h"
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
    if (apply_oracle_vnics(text, instance, warnings).ok()) {
        if (!instance.has_network_data)
            std::abort();
        unsigned dhcp = 0;
        std::vector<SystemNic> system;
        for (auto const& nic : instance.nics) {
            check_round_trip(nic.mac);
            if (nic.mtu != 9000u || (nic.ipv4_dhcp && nic.ipv6_dhcp))
                std::abort();
            if ((nic.ipv4_dhcp || nic.ipv6_dhcp) && (!nic.ipv4_addresses.empty() || !nic.ipv6_addresses.empty()))
                std::abort();
            dhcp += nic.ipv4_dhcp || nic.ipv6_dhcp;
            for (auto const& p : nic.ipv4_addresses)
                check_round_trip(p);
            for (auto const& p : nic.ipv6_addresses) {
                check_round_trip(p);
                if (p.length() != 128)
                    std::abort();
            }
            system.push_back({ nic.mac, "eth" + std::to_string(system.size()) });
        }
        if (dhcp > 1 || (dhcp == 1 && !(instance.nics[0].ipv4_dhcp || instance.nics[0].ipv6_dhcp)))
            std::abort();
        MappingOptions options;
        if (!system.empty())
            options.leased_mac = system[0].mac;
        // Duplicate MACs are refused; otherwise every VNIC is written.
        auto config = map_oracle_network(instance, system, options);
        if (config.ok() && !instance.nics.empty() && config->interfaces.size() != instance.nics.size())
            std::abort();
    }
    InstanceMetadata identity;
    if (apply_oracle_instance(text, identity, warnings).ok()) {
        if (!identity.hostname.empty() && !is_valid_hostname(identity.hostname))
            std::abort();
        if (!identity.instance_id.empty() && !is_safe_identifier(identity.instance_id))
            std::abort();
        for (auto const& key : identity.public_keys)
            if (!is_openssh_public_key(key))
                std::abort();
    }
    return 0;
}
