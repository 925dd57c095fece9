// DigitalOcean's registry row, and its detection from DMI alone.
#include "clouds/digitalocean/digitalocean.h"

namespace mb::clouds {

namespace {

std::unique_ptr<Provider> make_digitalocean_provider(Session& session)
{
    return std::make_unique<DocumentProvider>(session, "/metadata/v1.json", apply_digitalocean_metadata);
}

}

Verdict detect_digitalocean(const PlatformFacts& facts)
{
    // ds-identify's dscheck_DigitalOcean compares sys_vendor alone;
    // DataSourceDigitalOcean then gives up without the droplet id.
    return facts.dmi.sys_vendor == "DigitalOcean" && !facts.dmi.product_serial.empty() ? Verdict::Yes : Verdict::No;
}

const Cloud digitalocean_cloud {
    .name = "digitalocean",
    // DataSourceDigitalOcean's dsname, lowercased, for both.
    .cloud_init_name = "digitalocean",
    .cloud_init_platform = "digitalocean",
    // cloud-init reaches the service from a random 169.254.x.y/16 on the
    // lowest-ifindex NIC, without DHCP (helpers/digitalocean.py
    // assign_ipv4_link_local): stock droplets have no DHCP server. Issue 14
    // wants Reach::Ipv4LinkLocal first, then Reach::Dhcp4Lease; this row
    // was written before that kind existed and still reaches the service
    // only where the droplet's network has DHCP, until the change and its
    // namespace and boot tests follow.
    .reach = Reach::Dhcp4Lease,
    .primary_nic = PrimaryNic::FirstInterface,
    .detect = detect_digitalocean,
    .make_provider = make_digitalocean_provider,
    .map_network = map_digitalocean_network,
};

}
