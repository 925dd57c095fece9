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
    # Intel VFs on EC2 Nitro, netfront on EC2 Xen, virtio on KVM clouds, gve
    # on GCE, hv_netvsc (and mlx5 for the accelerated VF) on Azure, vmxnet3
    # and e1000e on VMware and others, af_packet where it is a module.
    # Missing ones are skipped; hostonly='' takes them even when this host
    # has not loaded them.
    hostonly='' instmods af_packet ena ixgbevf iavf xen-netfront virtio_net virtio_pci gve hv_netvsc mlx5_core vmxnet3 e1000e
}

# called by dracut
# shellcheck disable=SC2154 # dracut sets $moddir, $initdir, $hostonly, $SYSTEMCTL, $systemd*
install() {
    inst_binary /usr/sbin/metaboot
    # The image builder's defaults (metaboot(8), CONFIGURATION FILE).
    [[ -e /etc/metaboot.conf ]] && inst_simple /etc/metaboot.conf
    # NIC names. udev's net_setup_link names a NIC from the .link files;
    # dracut carries them only with its network modules, which metaboot does
    # not use (dracut 059's udev-rules module has the rule but no .link file,
    # dracut-ng neither). Without them a NIC keeps the kernel's name (eth0)
    # here while the real root's udev names it ens5, and metaboot would write
    # eth0 into the root. So: the rule, the distribution's .link files
    # (99-default.link's NamePolicy) and the root's own (-H: host-only
    # images; renames written by metaboot or cloud-init among them), the same
    # set dracut's 01systemd-networkd module installs.
    inst_rules 75-net-description.rules 80-net-setup-link.rules
    inst_multiple -o "$systemdnetwork"/*.link
    [[ $hostonly ]] && inst_multiple -H -o "$systemdnetworkconfdir"/*.link
    if dracut_module_included "systemd"; then
        # systemd as the initramfs's init: a unit of its own, seen by
        # systemd-analyze and ordered against the initrd's targets, instead
        # of a hook sourced by dracut-pre-pivot.service (which the image may
        # not even have without the dracut-systemd module).
        inst_simple "$moddir/metaboot.service" "$systemdsystemunitdir/metaboot.service"
        inst_simple "$moddir/metaboot-root-ready.service" "$systemdsystemunitdir/metaboot-root-ready.service"
        inst_multiple mkdir
        $SYSTEMCTL -q --root "$initdir" enable metaboot.service metaboot-root-ready.service
    else
        # pre-pivot: $NEWROOT is mounted (read-only by default) and not yet
        # switched to. 60 runs after 98usrmount's hook (50) has mounted a
        # separate /usr, so the root is complete when we write into it.
        inst_hook pre-pivot 60 "$moddir/metaboot-pre-pivot.sh"
    fi
}
