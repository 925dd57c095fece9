// The few syscalls the writer makes, behind a table of function pointers so
// tests can fail any one of them at any call (ENOSPC on the second write, EIO
// on fsync, a failed rename) and check that the old file survives whole and
// no temporary file is left behind.
#pragma once

#include <sys/types.h>

namespace mb::fs {

struct Syscalls {
    int (*openat)(int dirfd, const char* path, int flags, mode_t mode);
    ssize_t (*write)(int fd, const void* buffer, size_t count);
    int (*fsync)(int fd);
    int (*fchmod)(int fd, mode_t mode);
    int (*renameat)(int old_dirfd, const char* old_path, int new_dirfd, const char* new_path);
    int (*unlinkat)(int dirfd, const char* path, int flags);
    int (*mkdirat)(int dirfd, const char* path, mode_t mode);
};

// The real ones (thin wrappers over libc).
const Syscalls& real_syscalls();

}
