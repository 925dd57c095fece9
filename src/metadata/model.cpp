#include "metadata/model.h"

namespace mb {

const char* provider_name(ProviderKind kind)
{
    switch (kind) {
    case ProviderKind::Ec2: return "ec2";
    case ProviderKind::OpenStack: return "openstack";
    }
    return "unknown";
}

}
