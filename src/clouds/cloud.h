// One cloud, as a row of the registry (clouds/registry.cpp): how to
// recognise it, how its metadata service is reached, what to fetch and how
// its facts become network config. Everything else about a cloud stays
// private in its folder, src/clouds/<name>/.
#pragma once

#include "clouds/provider.h"
#include "model/instance.h"
#include "model/network_config.h"
#include "model/platform.h"

#include <memory>
#include <string_view>
#include <vector>

namespace mb::clouds {

// How the metadata service is reached from the initramfs.
enum class Reach {
    Dhcp4Lease, // a DHCPv4 lease on a NIC, the service on its link or routed
};

// Which NIC the cloud's rules make the primary one, as far as can be told
// before the metadata is read.
enum class PrimaryNic {
    Unknown,
    FirstInterface, // the first candidate in ifindex (PCI) order
};

enum class Verdict {
    No,
    Yes,
};

struct Cloud {
    std::string_view name; // --provider, rd.metaboot.provider=, the state files
    // cloud-init's names for it in instance-data's v1 keys: cloud_name (its
    // datasource's cloud_name) and platform (its platform_type).
    std::string_view cloud_init_name;
    std::string_view cloud_init_platform;
    Reach reach;
    PrimaryNic primary_nic;
    // Pure: DMI strings and the kernel command line in, a verdict out.
    Verdict (*detect)(const PlatformFacts& facts);
    // The cloud's provider, fetching through `session`.
    std::unique_ptr<Provider> (*make_provider)(Session& session);
    // The instance model -> renderer-neutral network config, with the
    // semantics of cloud-init's datasource for this cloud.
    Result<NetworkConfig> (*map_network)(const InstanceMetadata& metadata, const std::vector<SystemNic>& system_nics, const MappingOptions& options);
    // The metadata service's URL where the platform names it (NoCloud's
    // seed on the kernel command line), in http::Url's form; nullptr: the
    // run's --metadata-url. Error::not_found: the platform names none that
    // metaboot can read (nothing to do).
    Result<std::string> (*service_url)(const PlatformFacts& facts);
};

}
