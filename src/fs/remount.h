// Read-only roots. dracut mounts /sysroot read-only unless the command line
// says `rw`; the real root's fsck and remount happen after switch_root. To
// write the network config we remount it read-write for the write and put
// it back read-only afterwards.
#pragma once

#include "common/result.h"

#include <string>

namespace mb::fs {

struct MountState {
    bool read_only { false };
    unsigned long flags { 0 }; // MS_* per-mount flags to keep across a remount
};

Result<MountState> mount_state(const std::string& path);

// While alive, `path` (a mount point) is writable. make_writable() does
// nothing when the mount is already read-write. restore() (or the
// destructor, which cannot report) remounts read-only again.
class WritableGuard {
public:
    static Result<WritableGuard> make_writable(const std::string& path);

    WritableGuard(WritableGuard&& other) noexcept;
    WritableGuard& operator=(WritableGuard&&) = delete;
    WritableGuard(const WritableGuard&) = delete;
    ~WritableGuard();

    bool remounted() const { return m_active; }
    Status restore();

private:
    WritableGuard(std::string path, unsigned long flags, bool active)
        : m_path(std::move(path))
        , m_flags(flags)
        , m_active(active)
    {
    }

    std::string m_path;
    unsigned long m_flags { 0 };
    bool m_active { false };
};

}
