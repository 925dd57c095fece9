#include "fs/remount.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

namespace mb::fs {

namespace {

// The per-mount flags statvfs reports that a remount must pass again: a
// remount without MS_BIND sets the mount's flags to exactly those given, so
// leaving one out would silently drop, say, nosuid. (mount(2), "Remounting
// an existing mount".) MS_RDONLY is the one we change.
constexpr unsigned long kept_flags = ST_NOSUID | ST_NODEV | ST_NOEXEC | ST_SYNCHRONOUS | ST_MANDLOCK | ST_NOATIME | ST_NODIRATIME | ST_RELATIME;

Error mount_error(const std::string& what, int error)
{
    return Error::io(what + ": " + std::strerror(error), error);
}

}

Result<MountState> mount_state(const std::string& path)
{
    struct statvfs info;
    if (::statvfs(path.c_str(), &info) < 0)
        return mount_error("statvfs " + path, errno);
    return MountState { (info.f_flag & ST_RDONLY) != 0, info.f_flag & kept_flags };
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
