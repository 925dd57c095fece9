#!/bin/bash
# dracut module for metaboot: takes a DHCP lease, fetches the instance
# metadata and writes the real root's network configuration, just before
# switch_root. metaboot speaks DHCP over its own raw socket and tears its
# lease down before it exits, so the module pulls in no network module.

# called by dracut
check() {
    # 0: include by default; 1: leave out (without the binary there is
    # nothing to run).
    require_binaries /usr/sbin/metaboot || return 1
    return 0
}

# called by dracut
depends() {
    return 0
}

# called by dracut
installkernel() {
    # A host-only image carries the drivers its root device needs, not its
    # NICs' (those come with dracut's network modules, which metaboot does
    # not use). These are the NICs of the clouds metaboot knows: ENA and the
    # Intel VF on EC2 Nitro, netfront on EC2 Xen, virtio on KVM clouds such
    # as OpenStack. Missing ones are skipped; hostonly='' takes them even
    # when this host has not loaded them.
    hostonly='' instmods ena ixgbevf xen-netfront virtio_net virtio_pci
}

# called by dracut
install() {
    inst_binary /usr/sbin/metaboot
    # pre-pivot: $NEWROOT is mounted (read-only by default) and not yet
    # switched to. 60 runs after 98usrmount's hook (50) has mounted a
    # separate /usr, so the root is complete when we write into it.
    # shellcheck disable=SC2154 # dracut sets $moddir to this folder
    inst_hook pre-pivot 60 "$moddir/metaboot-pre-pivot.sh"
}
