// DigitalOcean's registry row, and its detection from DMI alone.
#include "clouds/digitalocean/digitalocean.h"

namespace mb::clouds {

namespace {

std::unique_ptr<Provider> make_digitalocean_provider(Session& session)
{
    static constexpr DocumentService service { .path = "/metadata/v1.json", .apply = apply_digitalocean_metadata };
    return std::make_unique<DocumentProvider>(session, service);
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
    // assign_ipv4_link_local): stock droplets have no DHCP server. metaboot
    // does the same with RFC 3927's conflict check, and takes a DHCP lease
    // when the link-local address cannot reach the service.
    .reach = ReachList(Reach::Ipv4LinkLocal, Reach::Dhcp4Lease),
    .primary_nic = PrimaryNic::FirstInterface,
    .detect = detect_digitalocean,
    .make_provider = make_digitalocean_provider,
    .map_network = map_digitalocean_network,
};

}
