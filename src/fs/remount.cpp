#include "fs/remount.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

namespace mb::fs {

namespace {

// The per-mount flags a remount must pass again: a remount without MS_BIND
// sets the mount's flags to exactly those given, so leaving one out would
// silently drop, say, nosuid (mount(2), "Remounting an existing mount").
// statvfs reports them as ST_* bits, which are not all the MS_* bits:
// ST_RELATIME is 4096, which is MS_BIND, and MS_REMOUNT|MS_BIND changes only
// the mount's flags, leaving a read-only superblock read-only. So each is
// translated by name.
struct FlagPair {
    unsigned long statvfs_flag;
    unsigned long mount_flag;
};
constexpr FlagPair kept_flags[] = {
    { ST_NOSUID, MS_NOSUID },
    { ST_NODEV, MS_NODEV },
    { ST_NOEXEC, MS_NOEXEC },
    { ST_SYNCHRONOUS, MS_SYNCHRONOUS },
    { ST_MANDLOCK, MS_MANDLOCK },
    { ST_NOATIME, MS_NOATIME },
    { ST_NODIRATIME, MS_NODIRATIME },
    { ST_RELATIME, MS_RELATIME },
};

unsigned long mount_flags_from_statvfs(unsigned long f_flag)
{
    unsigned long flags = 0;
    for (const auto& pair : kept_flags) {
        if (f_flag & pair.statvfs_flag)
            flags |= pair.mount_flag;
    }
    return flags;
}

Error mount_error(const std::string& what, int error)
{
    return Error::io(what, error);
}

}

Result<MountState> mount_state(const std::string& path)
{
    struct statvfs info;
    if (::statvfs(path.c_str(), &info) < 0)
        return mount_error("statvfs " + path, errno);
    return MountState { (info.f_flag & ST_RDONLY) != 0, mount_flags_from_statvfs(info.f_flag) };
}

Result<WritableGuard> WritableGuard::make_writable(const std::string& path)
{
    auto state = TRY(mount_state(path));
    if (!state.read_only)
        return WritableGuard(path, state.flags, false);
    // Plain MS_REMOUNT without MS_RDONLY makes both the superblock and the
    // mount writable (MS_BIND|MS_REMOUNT would only touch the mount, and
    // fails on a read-only superblock). NULL data keeps the filesystem's
    // own options.
    if (::mount(nullptr, path.c_str(), nullptr, MS_REMOUNT | state.flags, nullptr) < 0)
        return mount_error("remount " + path + " read-write", errno);
    return WritableGuard(path, state.flags, true);
}

WritableGuard::WritableGuard(WritableGuard&& other) noexcept
    : m_path(std::move(other.m_path))
    , m_flags(other.m_flags)
    , m_active(other.m_active)
{
    other.m_active = false;
}

Status WritableGuard::restore()
{
    if (!m_active)
        return {};
    m_active = false;
    // Our files are fsynced and closed, so nothing holds the mount open for
    // writing and the read-only remount cannot fail with EBUSY on our
    // account.
    int fd = ::open(m_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        ::syncfs(fd);
        ::close(fd);
    }
    if (::mount(nullptr, m_path.c_str(), nullptr, MS_REMOUNT | MS_RDONLY | m_flags, nullptr) < 0)
        return mount_error("remount " + m_path + " read-only again", errno);
    return {};
}

WritableGuard::~WritableGuard()
{
    (void)restore();
}

}
