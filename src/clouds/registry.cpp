#include "clouds/registry.h"

#include "clouds/alibaba/alibaba.h"
#include "clouds/azure/azure.h"
#include "clouds/digitalocean/digitalocean.h"
#include "clouds/ec2/ec2.h"
#include "clouds/gce/gce.h"
#include "clouds/hetzner/hetzner.h"
#include "clouds/nocloud/nocloud.h"
#include "clouds/openstack/openstack.h"
#include "clouds/oracle/oracle.h"
#include "clouds/scaleway/scaleway.h"
#include "clouds/upcloud/upcloud.h"
#include "clouds/vultr/vultr.h"
#include "common/named.h"

namespace mb::clouds {

namespace {

// One row per cloud. Detection tries them in this order and the first yes
// wins, so a cloud whose DMI rule is looser goes after the stricter ones.
constexpr const Cloud* registry[] = {
    // Named on the kernel command line, which wins over DMI as cloud-init's
    // ds= does.
    &nocloud_cloud,
    &ec2_cloud,
    &brightbox_cloud,
    &zstack_cloud,
    &e24cloud_cloud,
    &outscale_cloud,
    // Exact DMI values of their own (and Scaleway's kernel argument).
    &alibaba_cloud,
    &scaleway_cloud,
    &openstack_cloud,
    &oracle_cloud,
    &gce_cloud,
    &azure_cloud,
    &digitalocean_cloud,
    &upcloud_cloud,
    &hetzner_cloud,
    // cloud-init tries Vultr before EC2, GCE and the others: its kernel
    // argument names bare metal whose DMI is the hardware maker's. None of
    // the DMI rules above matches such a machine, so it can go last.
    &vultr_cloud,
};

}

std::span<const Cloud* const> all_clouds()
{
    return registry;
}

const Cloud* find_cloud(std::string_view name)
{
    return find_named<Cloud>(registry, name);
}

const Cloud* detect_cloud(const PlatformFacts& facts)
{
    for (const Cloud* cloud : registry) {
        if (cloud->detect(facts) == Verdict::Yes)
            return cloud;
    }
    return nullptr;
}

std::string cloud_names()
{
    return join_names<Cloud>(registry);
}

}
