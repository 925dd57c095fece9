// NoCloud over HTTP: a seed (meta-data, user-data, network-config) that a
// private cloud, an appliance fleet or a provisioning server serves, named on
// the kernel command line as cloud-init's NoCloud datasource reads it:
// ds=nocloud;s=http://198.18.0.1/seed/ (also ds=nocloud-net, seedfrom=, and
// the same text in the DMI system serial number).
// https://docs.cloud-init.io/en/latest/reference/datasources/nocloud.html
// The semantics are cloud-init 25.1.4's DataSourceNoCloud and util.read_seeded.
#pragma once

#include "clouds/cloud.h"
#include "clouds/provider.h"

#include <optional>
#include <string_view>

namespace mb::clouds {

// The registry's row for NoCloud.
extern const Cloud nocloud_cloud;

// The ";key=value" pairs cloud-init reads after "ds=nocloud" with their
// short names: s= (seedfrom), h= (local-hostname), i= (instance-id).
struct NocloudArguments {
    std::string_view seed;
    std::optional<std::string_view> hostname;
    std::optional<std::string_view> instance_id;
};

// Whether `text` (a kernel command line, or the DMI serial) names NoCloud
// as cloud-init's parse_cmdline_data() reads it: a word "ds=nocloud" or
// "ds=nocloud-net", alone or followed by ";key=value" pairs, whose values
// (the last of each key) go into `arguments`.
bool nocloud_named(std::string_view text, NocloudArguments& arguments);

// The h= and i= of the DMI serial, else of the kernel command line, over
// the seed's meta-data (cloud-init merges them over it, the serial's
// first), each checked as the meta-data's are: a bad one is dropped with a
// warning.
void apply_nocloud_arguments(std::string_view serial, std::string_view cmdline, InstanceMetadata& instance, std::vector<std::string>& warnings);

// Yes when the DMI serial or the kernel command line names NoCloud.
Verdict detect_nocloud(const PlatformFacts& facts);

// The seed as the metadata URL (the DMI serial's seed wins, as cloud-init
// merges them). Only http:// to an IPv4 address: a seed on a disk or in the
// image, or none named, is Error::not_found (nothing for metaboot to do); a
// file:// seed, https, ftp or a host name (no DNS in the initramfs) is
// Error::unsupported.
Result<std::string> nocloud_seed_url(const PlatformFacts& facts);

// meta-data (YAML): instance-id (cloud-init's default "nocloud"),
// local-hostname, availability-zone, region and public-keys (a list or
// lines). dsmode: disabled is Error::refused, as cloud-init then does not
// claim the instance.
Status apply_nocloud_meta_data(std::string_view yaml, InstanceMetadata& instance, std::vector<std::string>& warnings);

// network-config (YAML, cloud-init network v1 or v2) -> NetworkConfig, or,
// when the seed has none or it is refused, cloud-init's fallback (dhcp4 and
// dhcp6) on the leased NIC (see provider.cpp).
Result<NetworkConfig> map_nocloud_network(const InstanceMetadata& metadata, const std::vector<SystemNic>& system_nics, const MappingOptions& options);

class NocloudProvider final : public Provider {
public:
    explicit NocloudProvider(Session& session)
        : m_session(session)
    {
    }

    Result<InstanceMetadata> instance() override;
    Result<std::optional<std::string>> user_data() override;

private:
    Session& m_session;
};

}
