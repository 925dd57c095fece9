// A directory tree we write into (the real root, /sysroot, or the state
// dir), held by an open directory fd. Every path is relative to it and is
// resolved component by component with O_NOFOLLOW, so nothing outside the
// tree is ever read or written:
// - a symlinked directory inside the tree is followed by hand, an absolute
//   target taken relative to the tree's top (merged-/usr roots link sbin to
//   usr/sbin); a link that climbs out of the tree is refused;
// - the last component is never followed: a file is replaced by renaming a
//   new one over its name, so a symlink there is replaced, not written through.
// This is openat2(RESOLVE_IN_ROOT) done in user space, since initramfs
// kernels older than 5.6 lack openat2, and refusing instead of clamping.
#pragma once

#include "common/result.h"
#include "fs/syscalls.h"

#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace mb::fs {

// An owned fd, closed on destruction.
class Fd {
public:
    Fd() = default;
    explicit Fd(int fd)
        : m_fd(fd)
    {
    }
    Fd(Fd&& other) noexcept
        : m_fd(other.release())
    {
    }
    Fd& operator=(Fd&& other) noexcept;
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd();

    int get() const { return m_fd; }
    bool valid() const { return m_fd >= 0; }
    int release()
    {
        int fd = m_fd;
        m_fd = -1;
        return fd;
    }

private:
    int m_fd { -1 };
};

enum class WriteOutcome {
    Written,
    Unchanged, // same content and mode already there: not touched
};

class Root {
public:
    static Result<Root> open(const std::string& path, const Syscalls& syscalls = real_syscalls());

    const std::string& path() const { return m_path; }
    int fd() const { return m_fd.get(); }

    // Atomically makes `relative_path` hold `content` with `mode`: a temporary
    // file in the same directory (O_EXCL|O_NOFOLLOW, created 0600 so a secret
    // is never readable in between), written, fsynced, chmodded, renamed over
    // the target, and the directory fsynced. Missing directories are created
    // with `directory_mode`. On any failure the target is untouched (the
    // complete old file or none) and the temporary file is removed.
    Result<WriteOutcome> write_file(std::string_view relative_path, std::string_view content, mode_t mode, mode_t directory_mode = 0755) const;

    // The file's content, or nullopt when it does not exist. The last
    // component is opened with O_NOFOLLOW: a symlink there is an error.
    Result<std::optional<std::string>> read_file(std::string_view relative_path, size_t max_size = 1 << 20) const;

    // Does the path exist inside the tree (symlinks followed inside it)?
    bool exists(std::string_view relative_path) const;
    bool is_directory(std::string_view relative_path) const;

    // Names in a directory (no "." or ".."), sorted; empty when it is absent.
    Result<std::vector<std::string>> list_directory(std::string_view relative_path) const;

    // Removes the file (or symlink: never followed) and makes the removal
    // durable. False when it was not there; a directory is an error.
    Result<bool> remove_file(std::string_view relative_path) const;

private:
    Root(std::string path, Fd fd, const Syscalls& syscalls)
        : m_path(std::move(path))
        , m_fd(std::move(fd))
        , m_syscalls(&syscalls)
    {
    }

    enum class Create {
        No,
        Yes,
    };
    // Opens the directory `relative_dir` (components split on '/'), creating
    // missing ones when asked.
    Result<Fd> open_directory(std::string_view relative_dir, Create create, mode_t mode) const;
    bool exists_at_depth(const std::string& path, int depth) const;

    std::string m_path;
    Fd m_fd;
    const Syscalls* m_syscalls;
};

// Splits "etc/netplan/x.yaml" into its directory and file name, refusing an
// absolute path, "." and ".." components and empty names.
Result<std::pair<std::string, std::string>> split_relative_path(std::string_view relative_path);

}
