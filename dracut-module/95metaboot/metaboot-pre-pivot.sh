#!/bin/sh
# Sourced, not executed: by /init in a shell-based initramfs, and by
# /bin/dracut-pre-pivot (dracut-pre-pivot.service) under systemd. Both source
# every pre-pivot hook into their own shell, so this file must never `exit`,
# must leave no `set` options behind, and keeps its variables prefixed.
#
# metaboot reads rd.metaboot* from /proc/cmdline itself (rd.metaboot=0 turns
# it off), remounts $NEWROOT read-write only for its own writes and restores
# read-only. Whatever it returns, the boot goes on.

command -v warn >/dev/null 2>&1 || . /lib/dracut-lib.sh

if [ -x /usr/sbin/metaboot ]; then
    METABOOT_LOG=kmsg /usr/sbin/metaboot --root "${NEWROOT:-/sysroot}"
    _metaboot_rc=$?
    # 0: done; 6: not a cloud, nothing done; 7: the root runs no network stack
    # metaboot writes for (metaboot has said why itself, and what it looked for).
    case "$_metaboot_rc" in
        0 | 6 | 7) ;;
        *) warn "metaboot exited with status $_metaboot_rc; boot continues" ;;
    esac
    unset _metaboot_rc
fi
