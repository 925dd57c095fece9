// Vultr's registry row, and its detection from DMI or the kernel command
// line.
#include "clouds/vultr/vultr.h"

#include "common/text.h"

namespace mb::clouds {

namespace {

std::unique_ptr<Provider> make_vultr_provider(Session& session)
{
    static constexpr DocumentService service { .path = "/v1.json", .apply = apply_vultr_metadata, .header_name = "Metadata-Token", .header_value = "cloudinit" };
    return std::make_unique<DocumentProvider>(session, service);
}

}

Verdict detect_vultr(const PlatformFacts& facts)
{
    if (facts.dmi.sys_vendor == "Vultr")
        return Verdict::Yes;
    for (auto word : split(trim(facts.cmdline), ' ')) {
        if (word == "vultr")
            return Verdict::Yes;
    }
    return Verdict::No;
}

const Cloud vultr_cloud {
    .name = "vultr",
    // DataSourceVultr's dsname, lowercased, for both.
    .cloud_init_name = "vultr",
    .cloud_init_platform = "vultr",
    // EphemeralDHCPv4 on each candidate NIC in turn (helpers/vultr.py
    // get_metadata); metaboot's lease race on every NIC does the same.
    .reach = Reach::Dhcp4Lease,
    .primary_nic = PrimaryNic::FirstInterface,
    .detect = detect_vultr,
    .make_provider = make_vultr_provider,
    .map_network = map_vultr_network,
};

}
