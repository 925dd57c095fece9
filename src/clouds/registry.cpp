#include "clouds/registry.h"

#include "clouds/ec2/ec2.h"
#include "clouds/openstack/openstack.h"

namespace mb::clouds {

namespace {

// One row per cloud. Detection tries them in this order and the first yes
// wins, so a cloud whose DMI rule is looser goes after the stricter ones.
constexpr const Cloud* registry[] = {
    &ec2_cloud,
    &openstack_cloud,
};

}

std::span<const Cloud* const> all_clouds()
{
    return registry;
}

const Cloud* find_cloud(std::string_view name)
{
    for (const Cloud* cloud : registry) {
        if (cloud->name == name)
            return cloud;
    }
    return nullptr;
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
    std::string out;
    for (const Cloud* cloud : registry) {
        if (!out.empty())
            out += ", ";
        out += cloud->name;
    }
    return out;
}

}
