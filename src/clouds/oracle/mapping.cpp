// OCI's vnics/ (as the model holds it) -> NetworkConfig, following
// cloud-init's DataSourceOracle: when the initramfs configured no network
// of its own, _add_network_config_from_opc_imds(set_primary=True) takes
// every VNIC whose MAC is on the system, the primary (first) one by DHCP,
// the others static, each with MTU 9000. The provider has already put each
// VNIC in the model's terms (DHCP or static addresses, the MTU), the terms
// OpenStack's links are in, so OpenStack's mapping of a link to an
// interface serves here too.
//
// Deliberate differences from cloud-init:
// - With the root on iSCSI (bare metal), cloud-init keeps the config the
//   initramfs wrote for the root's NIC and, with configure_secondary_nics
//   off (its default), adds nothing: metaboot writes DHCP on that NIC, which
//   the run marks critical, and no secondary VNIC either.
// - No VNIC data, or none on this system: cloud-init writes an empty config;
//   metaboot writes DHCP on the leased NIC.
// - A secondary VNIC's static IPv6 address turns router advertisements off
//   (accept-ra: false), as OpenStack's static IPv6 does in cloud-init, so an
//   RA on a secondary VNIC cannot add a default route beside the primary's;
//   cloud-init leaves them to networkd's default (on).
// - An initramfs that configured a NIC for a local root (ip=dhcp): cloud-init
//   takes that config for the primary (any /run/net-*.conf makes it "iSCSI");
//   metaboot keeps the VNIC mapping unless the root is on the network.
#include "clouds/oracle/oracle.h"
#include "clouds/openstack/openstack.h"
#include "model/nic_matching.h"

namespace mb::clouds {

Result<NetworkConfig> map_oracle_network(const InstanceMetadata& metadata, const std::vector<SystemNic>& system_nics, const MappingOptions& options)
{
    auto config = options.network_root ? fallback_network(system_nics, options) : map_openstack_network(metadata, system_nics, options);
    // cloud-init's _ensure_netfailover_safe: a net_failover master is matched
    // by its name, as its standby and VF share its MAC. (Both mappings above
    // match every interface they write by MAC.)
    if (config.ok()) {
        for (auto& interface : config->interfaces) {
            const SystemNic* nic = find_system_nic(system_nics, *interface.match_mac);
            if (nic && nic->netfail_master) {
                interface.match_mac.reset();
                interface.set_name.reset();
            }
        }
    }
    return config;
}

}
