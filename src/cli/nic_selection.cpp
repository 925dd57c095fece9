#include "cli/nic_selection.h"

#include "common/sort.h"

#include <algorithm>
#include <net/if.h>
#include <string_view>

namespace mb::cli {

namespace {

// SR-IOV virtual-function drivers. A VF carries its paravirtual twin's MAC
// (Azure accelerated networking pairs mlx4/mlx5 VFs with hv_netvsc; KVM
// failover pairs a VF with virtio_net): the twin is the NIC to configure,
// since it stays when the VF is hot-removed.
// https://learn.microsoft.com/en-us/azure/virtual-network/accelerated-networking-how-it-works
// https://www.kernel.org/doc/html/latest/networking/net_failover.html
bool is_virtual_function_driver(std::string_view driver)
{
    for (std::string_view vf : { "mlx4_core", "mlx5_core", "ixgbevf", "iavf", "i40evf", "igbvf", "bnxt_en_vf" }) {
        if (driver == vf)
            return true;
    }
    return false;
}

// Why a link cannot be a candidate on its own, or empty.
std::string unsuitable(const net::LinkInfo& link)
{
    if (link.flags & IFF_LOOPBACK)
        return "loopback";
    if (!link.ethernet)
        return "not Ethernet";
    if (link.mac.is_zero())
        return "no MAC address";
    if (!link.kind.empty() && link.kind != "veth")
        return "a software device (" + link.kind + ")";
    if (link.master != 0)
        return "enslaved to ifindex " + std::to_string(link.master) + " (a bond, team, bridge or failover member)";
    if (link.flags & IFF_SLAVE)
        return "enslaved (IFF_SLAVE)";
    return {};
}

// Of two links with one MAC, is `a` the one to keep?
bool preferred(const net::LinkInfo& a, const net::LinkInfo& b)
{
    bool a_vf = is_virtual_function_driver(a.driver), b_vf = is_virtual_function_driver(b.driver);
    if (a_vf != b_vf)
        return !a_vf;
    return a.ifindex < b.ifindex;
}

}

NicSelection select_nics(const std::vector<net::LinkInfo>& links)
{
    NicSelection selection;
    std::vector<const net::LinkInfo*> suitable;
    for (const auto& link : links) {
        auto reason = unsuitable(link);
        if (reason.empty())
            suitable.push_back(&link);
        else if (!(link.flags & IFF_LOOPBACK))
            selection.skipped.push_back({ link.name, std::move(reason) });
    }
    for (const auto* link : suitable) {
        const net::LinkInfo* keeper = link;
        for (const auto* other : suitable) {
            if (other != link && other->mac == link->mac && preferred(*other, *keeper))
                keeper = other;
        }
        if (keeper == link)
            selection.candidates.push_back(*link);
        else
            selection.skipped.push_back({ link->name, "same MAC as " + keeper->name + ", which is configured instead" });
    }
    sort_small(selection.candidates, [](auto& a, auto& b) { return a.ifindex < b.ifindex; });
    return selection;
}

LeaseChoice choose_lease(const std::vector<BoundLease>& bound, const LeaseChoicePolicy& policy, std::chrono::milliseconds now)
{
    const BoundLease* earliest = nullptr;
    for (const auto& lease : bound) {
        if (policy.primary && lease.ifindex == *policy.primary)
            return { lease.ifindex, std::nullopt };
        if (!earliest || lease.bound_at < earliest->bound_at)
            earliest = &lease;
    }
    if (!earliest)
        return {};
    if (policy.primary && policy.primary_pending && policy.grace.count() > 0) {
        auto until = std::min(earliest->bound_at + policy.grace, policy.deadline);
        if (now < until)
            return { std::nullopt, until };
    }
    return { earliest->ifindex, std::nullopt };
}

}
