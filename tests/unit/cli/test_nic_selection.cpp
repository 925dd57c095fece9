#include "cli/network_root.h"
#include "cli/nic_selection.h"

#include <doctest/doctest.h>

#include <net/if.h>

using namespace mb;
using namespace mb::cli;

namespace {

net::LinkInfo link(int ifindex, const char* name, const char* mac, std::string kind = {}, std::string driver = {}, int master = 0, unsigned flags = IFF_UP)
{
    net::LinkInfo info;
    info.ifindex = ifindex;
    info.name = name;
    info.mac = *MacAddress::parse(mac);
    info.ethernet = true;
    info.kind = std::move(kind);
    info.driver = std::move(driver);
    info.master = master;
    info.flags = flags;
    return info;
}

std::vector<std::string> names(const NicSelection& selection)
{
    std::vector<std::string> out;
    for (auto& c : selection.candidates)
        out.push_back(c.name);
    return out;
}

std::string reason_for(const NicSelection& selection, const std::string& name)
{
    for (auto& s : selection.skipped) {
        if (s.name == name)
            return s.reason;
    }
    return "(not skipped)";
}

}

TEST_CASE("nic selection: physical and veth links are candidates; loopback, software and enslaved links are not")
{
    auto lo = link(1, "lo", "00:00:00:00:00:00", {}, {}, 0, IFF_UP | IFF_LOOPBACK);
    lo.ethernet = false;
    std::vector<net::LinkInfo> links {
        lo,
        link(2, "eth0", "02:00:00:00:00:01", {}, "virtio_net"),
        link(3, "veth0", "02:00:00:00:00:02", "veth"),
        link(4, "br0", "02:00:00:00:00:03", "bridge"),
        link(5, "eth1", "02:00:00:00:00:04", {}, "virtio_net", 4),     // a bridge port
        link(6, "eth2", "02:00:00:00:00:05", {}, "e1000", 0, IFF_UP | IFF_SLAVE), // a bond member
        link(7, "vlan9", "02:00:00:00:00:06", "vlan"),
    };
    auto selection = select_nics(links);
    CHECK(names(selection) == std::vector<std::string> { "eth0", "veth0" });
    CHECK(reason_for(selection, "br0") == "a software device (bridge)");
    CHECK(reason_for(selection, "eth1").find("enslaved to ifindex 4") == 0);
    CHECK(reason_for(selection, "eth2") == "enslaved (IFF_SLAVE)");
    CHECK(reason_for(selection, "vlan9") == "a software device (vlan)");
    CHECK(reason_for(selection, "lo") == "(not skipped)"); // never worth a log line
}

TEST_CASE("nic selection: of two links with one MAC, the paravirtual one is kept, else the lowest ifindex")
{
    // Azure accelerated networking without a master set (older kernels):
    // the Mellanox VF listed first must lose to hv_netvsc.
    auto selection = select_nics({
        link(2, "enP1s1", "00:0d:3a:00:00:01", {}, "mlx5_core"),
        link(3, "eth0", "00:0d:3a:00:00:01", {}, "hv_netvsc"),
        link(4, "eth1", "00:0d:3a:00:00:02", {}, "hv_netvsc"),
    });
    CHECK(names(selection) == std::vector<std::string> { "eth0", "eth1" });
    CHECK(reason_for(selection, "enP1s1") == "same MAC as eth0, which is configured instead");

    // Two veths with one MAC (nothing to tell them apart): the first wins.
    auto twins = select_nics({ link(9, "b", "02:00:00:00:00:09", "veth"), link(8, "a", "02:00:00:00:00:09", "veth") });
    CHECK(names(twins) == std::vector<std::string> { "a" });
    CHECK(reason_for(twins, "b") == "same MAC as a, which is configured instead");

    // A zero MAC is nobody's twin: it is skipped on its own.
    auto zero = select_nics({ link(2, "eth0", "00:00:00:00:00:00") });
    CHECK(zero.candidates.empty());
    CHECK(reason_for(zero, "eth0") == "no MAC address");
}

TEST_CASE("network root: dracut's and initramfs-tools' command lines, iBFT, iscsi.initramfs")
{
    struct Row {
        const char* cmdline;
        bool ibft, iscsi_initramfs, expected;
    };
    const Row rows[] = {
        { "BOOT_IMAGE=/vmlinuz root=UUID=0a1b ro quiet", false, false, false },
        { "root=/dev/vda1 rd.iscsi.firmware=0", false, false, false },
        { "root=/dev/nfs nfsroot=198.18.0.1:/srv/root ip=dhcp", false, false, true },
        { "root=nfs:198.18.0.1:/srv/root", false, false, true },
        { "root=nfs4:198.18.0.1:/srv/root", false, false, true },
        { "netroot=iscsi:198.18.0.1::::iqn.2026-12.test:root root=/dev/sda1", false, false, true },
        { "rd.iscsi.firmware=1 root=LABEL=root", false, false, true },
        { "rd.iscsi.ibft root=LABEL=root", false, false, true },
        { "ip=ibft root=LABEL=root", false, false, true },
        { "root=/dev/sda1", true, false, true },  // Oracle bare metal: iBFT
        { "root=/dev/sda1", false, true, true },  // initramfs-tools' open-iscsi
        { "rootfstype=nfsish root=/dev/nfsx", false, false, false },
    };
    for (const auto& row : rows) {
        CAPTURE(row.cmdline);
        CHECK(root_is_on_network(NetworkRootFacts { row.cmdline, row.ibft, row.iscsi_initramfs }) == row.expected);
    }
}

TEST_CASE("lease choice on a fake clock: the primary's lease while it may come, else the earliest")
{
    using std::chrono::milliseconds;
    LeaseChoicePolicy policy;
    policy.primary = 2;
    policy.primary_pending = true;
    policy.grace = milliseconds(3000);
    policy.deadline = milliseconds(30000);

    // Nothing bound: nothing to take, no wake-up of its own.
    auto none = choose_lease({}, policy, milliseconds(5));
    CHECK(!none.take);
    CHECK(!none.wake_at);

    // eth1 (3) bound at 10 ms; the primary (2) still racing: wait until 3010 ms.
    std::vector<BoundLease> bound { { 3, milliseconds(10) } };
    auto held = choose_lease(bound, policy, milliseconds(11));
    CHECK(!held.take);
    REQUIRE(held.wake_at);
    CHECK(*held.wake_at == milliseconds(3010));
    // The primary binds at 1000 ms: it is taken at once.
    bound.push_back({ 2, milliseconds(1000) });
    CHECK(choose_lease(bound, policy, milliseconds(1000)).take == 2);
    // It never comes: at the end of the grace the earliest is taken.
    bound.pop_back();
    CHECK(choose_lease(bound, policy, milliseconds(3010)).take == 3);
    // It failed: no waiting at all.
    policy.primary_pending = false;
    CHECK(choose_lease(bound, policy, milliseconds(11)).take == 3);
    // The deadline caps the grace.
    policy.primary_pending = true;
    policy.deadline = milliseconds(500);
    CHECK(*choose_lease(bound, policy, milliseconds(11)).wake_at == milliseconds(500));
    CHECK(choose_lease(bound, policy, milliseconds(500)).take == 3);

    // A cloud without a primary: leases in the order they bound.
    LeaseChoicePolicy plain;
    std::vector<BoundLease> two { { 4, milliseconds(20) }, { 3, milliseconds(10) } };
    CHECK(choose_lease(two, plain, milliseconds(21)).take == 3);
}
