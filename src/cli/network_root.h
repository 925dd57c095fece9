// Is the real root reached over the network (iSCSI, NFS)? Then the NIC that
// carries it must stay configured while the real root starts its network.
#pragma once

#include <string_view>

namespace mb::cli {

struct NetworkRootFacts {
    std::string_view cmdline;       // /proc/cmdline
    bool ibft { false };            // <sysfs>/firmware/ibft/ exists (the firmware booted from iSCSI)
    bool iscsi_initramfs { false }; // initramfs-tools' /etc/iscsi.initramfs exists
};

// The kernel command line forms of dracut.cmdline(7) (root=nfs:, root=nfs4:,
// root=iscsi:, netroot=iscsi:/nfs:, rd.iscsi.firmware, rd.iscsi.ibft,
// ip=ibft) and of initramfs-tools (root=/dev/nfs, nfsroot=), or the files.
bool root_is_on_network(const NetworkRootFacts& facts);

}
