#include "fs/root.h"

#include "common/format.h"
#include "common/sort.h"

#include <algorithm>
#include <cerrno>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mb::fs {

namespace {

int real_openat(int dirfd, const char* path, int flags, mode_t mode)
{
    return ::openat(dirfd, path, flags, mode);
}

ssize_t real_write(int fd, const void* buffer, size_t count)
{
    return ::write(fd, buffer, count);
}

int real_fsync(int fd)
{
    return ::fsync(fd);
}

int real_fchmod(int fd, mode_t mode)
{
    return ::fchmod(fd, mode);
}

int real_renameat(int old_dirfd, const char* old_path, int new_dirfd, const char* new_path)
{
    return ::renameat(old_dirfd, old_path, new_dirfd, new_path);
}

int real_unlinkat(int dirfd, const char* path, int flags)
{
    return ::unlinkat(dirfd, path, flags);
}

int real_mkdirat(int dirfd, const char* path, mode_t mode)
{
    return ::mkdirat(dirfd, path, mode);
}

// The kernel's own limit on symlinks in one lookup (MAXSYMLINKS).
constexpr int maximum_symlinks = 40;

std::vector<std::string> split_components(std::string_view path)
{
    std::vector<std::string> out;
    size_t start = 0;
    while (start <= path.size()) {
        size_t slash = path.find('/', start);
        if (slash == std::string_view::npos)
            slash = path.size();
        if (slash > start)
            out.emplace_back(path.substr(start, slash - start));
        start = slash + 1;
    }
    return out;
}

Error errno_error(const std::string& what, int error)
{
    return Error::io(what, error);
}

Result<std::string> read_link(int dirfd, const std::string& name)
{
    char buffer[4096];
    ssize_t n = ::readlinkat(dirfd, name.c_str(), buffer, sizeof buffer);
    if (n < 0)
        return errno_error(strf("readlink %s", name.c_str()), errno);
    if (size_t(n) >= sizeof buffer)
        return Error::too_large(strf("symlink %s is too long", name.c_str()));
    return std::string(buffer, size_t(n));
}

Result<std::string> read_all(int fd, size_t max_size)
{
    std::string out;
    char buffer[8192];
    while (true) {
        ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno_error("read", errno);
        }
        if (n == 0)
            return out;
        if (out.size() + size_t(n) > max_size)
            return Error::too_large(strf("file is larger than %zu bytes", max_size));
        out.append(buffer, size_t(n));
    }
}

}

const Syscalls& real_syscalls()
{
    static const Syscalls syscalls { real_openat, real_write, real_fsync, real_fchmod, real_renameat, real_unlinkat, real_mkdirat };
    return syscalls;
}

Fd& Fd::operator=(Fd&& other) noexcept
{
    if (this != &other) {
        if (m_fd >= 0)
            ::close(m_fd);
        m_fd = other.release();
    }
    return *this;
}

Fd::~Fd()
{
    if (m_fd >= 0)
        ::close(m_fd);
}

Result<std::pair<std::string, std::string>> split_relative_path(std::string_view relative_path)
{
    if (relative_path.empty() || relative_path.front() == '/')
        return Error::invalid(strf("path must be relative to the root: %.*s", int(relative_path.size()), relative_path.data()));
    auto components = split_components(relative_path);
    if (components.empty())
        return Error::invalid("empty path");
    std::string directory;
    for (size_t i = 0; i < components.size(); ++i) {
        if (components[i] == "." || components[i] == "..")
            return Error::invalid(strf("path may not contain . or ..: %.*s", int(relative_path.size()), relative_path.data()));
        if (i + 1 < components.size()) {
            if (!directory.empty())
                directory += '/';
            directory += components[i];
        }
    }
    return std::make_pair(directory, components.back());
}

Result<Root> Root::open(const std::string& path, const Syscalls& syscalls)
{
    int fd = syscalls.openat(AT_FDCWD, path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    if (fd < 0)
        return errno_error(strf("open %s", path.c_str()), errno);
    return Root(path, Fd(fd), syscalls);
}

Result<Fd> Root::open_directory(std::string_view relative_dir, Create create, mode_t mode) const
{
    // stack[i] is the directory i levels below the root; the root itself is
    // m_fd. ".." pops, so a symlink's ".." can never reach above the root.
    std::vector<Fd> stack;
    auto current = [&]() { return stack.empty() ? m_fd.get() : stack.back().get(); };
    // Components still to walk, the next one last (a stack, so a symlink's
    // target is pushed in front of what remains).
    auto pending = split_components(relative_dir);
    std::reverse(pending.begin(), pending.end());
    int links = 0;

    while (!pending.empty()) {
        std::string name = std::move(pending.back());
        pending.pop_back();
        if (name == ".")
            continue;
        if (name == "..") {
            if (stack.empty())
                return Error::refused(strf("a symlink under %s leads out of it", m_path.c_str()));
            stack.pop_back();
            continue;
        }
        int fd = m_syscalls->openat(current(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
        if (fd < 0 && errno == ENOENT && create == Create::Yes) {
            if (m_syscalls->mkdirat(current(), name.c_str(), mode) < 0 && errno != EEXIST)
                return errno_error(strf("mkdir %s under %s", name.c_str(), m_path.c_str()), errno);
            fd = m_syscalls->openat(current(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
        }
        if (fd >= 0) {
            stack.emplace_back(fd);
            continue;
        }
        int error = errno;
        if (error == ENOENT)
            return Error::not_found(strf("%.*s does not exist under %s", int(relative_dir.size()), relative_dir.data(), m_path.c_str()));
        if (error != ELOOP && error != ENOTDIR)
            return errno_error(strf("open %s under %s", name.c_str(), m_path.c_str()), error);
        struct stat st;
        if (::fstatat(current(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0)
            return errno_error(strf("stat %s", name.c_str()), errno);
        if (!S_ISLNK(st.st_mode))
            return Error::invalid(strf("%s under %s is not a directory", name.c_str(), m_path.c_str()));
        if (++links > maximum_symlinks)
            return errno_error(strf("resolving %.*s", int(relative_dir.size()), relative_dir.data()), ELOOP);
        auto target = TRY(read_link(current(), name));
        if (!target.empty() && target.front() == '/')
            stack.clear(); // absolute: from the top of the tree, not the host's /
        auto target_components = split_components(target);
        pending.insert(pending.end(), target_components.rbegin(), target_components.rend());
    }
    if (stack.empty()) {
        int fd = ::fcntl(m_fd.get(), F_DUPFD_CLOEXEC, 0);
        if (fd < 0)
            return errno_error("dup", errno);
        return Fd(fd);
    }
    return std::move(stack.back());
}

Result<WriteOutcome> Root::write_file(std::string_view relative_path, std::string_view content, mode_t mode, mode_t directory_mode) const
{
    auto [directory, name] = TRY(split_relative_path(relative_path));
    Fd dir = TRY(open_directory(directory, Create::Yes, directory_mode));

    std::string temporary = strf(".%s.metaboot-new", name.c_str());
    if (temporary.size() > 255)
        return Error::invalid(strf("file name too long: %s", name.c_str()));
    // Left by a run that died mid-write (a power cut between create and
    // rename; the name is ours alone): removed whether or not this run
    // writes the file, so none outlives the next run. The stacks never read
    // it (a dot file without their suffix). One that cannot be removed (a
    // directory) fails the O_EXCL create below.
    m_syscalls->unlinkat(dir.get(), temporary.c_str(), 0);

    // Unchanged: same bytes and mode in a regular file. Then nothing is
    // written, so mtime, inode and the disk stay as they were.
    {
        int existing = m_syscalls->openat(dir.get(), name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0);
        if (existing >= 0) {
            Fd guard(existing);
            struct stat st;
            if (::fstat(existing, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 07777) == mode && size_t(st.st_size) == content.size()) {
                auto old = read_all(existing, content.size() + 1);
                if (old.ok() && *old == content)
                    return WriteOutcome::Unchanged;
            }
        }
    }

    int raw = m_syscalls->openat(dir.get(), temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (raw < 0)
        return errno_error(strf("create %s in %s/%s", temporary.c_str(), m_path.c_str(), directory.c_str()), errno);
    Fd file(raw);

    auto fail = [&](const std::string& what, int error) -> Error {
        file = Fd();
        m_syscalls->unlinkat(dir.get(), temporary.c_str(), 0);
        return errno_error(strf("%s %.*s under %s", what.c_str(), int(relative_path.size()), relative_path.data(), m_path.c_str()), error);
    };

    size_t done = 0;
    while (done < content.size()) {
        ssize_t n = m_syscalls->write(file.get(), content.data() + done, content.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return fail("write", errno);
        if (n == 0)
            return fail("write", EIO);
        done += size_t(n);
    }
    if (m_syscalls->fchmod(file.get(), mode) < 0)
        return fail("chmod", errno);
    if (m_syscalls->fsync(file.get()) < 0)
        return fail("fsync", errno);
    if (::close(file.release()) < 0)
        return fail("close", errno);
    if (m_syscalls->renameat(dir.get(), temporary.c_str(), dir.get(), name.c_str()) < 0)
        return fail("rename", errno);
    // The new file is in place; this makes the rename itself durable. If it
    // fails the file is still complete, old or new, but we report it.
    if (m_syscalls->fsync(dir.get()) < 0)
        return errno_error(strf("fsync the directory of %.*s", int(relative_path.size()), relative_path.data()), errno);
    return WriteOutcome::Written;
}

Result<std::optional<std::string>> Root::read_file(std::string_view relative_path, size_t max_size) const
{
    auto [directory, name] = TRY(split_relative_path(relative_path));
    auto dir = open_directory(directory, Create::No, 0);
    if (dir.is_error()) {
        if (dir.error().kind() == ErrorKind::NotFound)
            return std::optional<std::string>();
        return dir.release_error();
    }
    int fd = m_syscalls->openat(dir->get(), name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0);
    if (fd < 0) {
        if (errno == ENOENT)
            return std::optional<std::string>();
        if (errno == ELOOP)
            return Error::refused(strf("%.*s under %s is a symlink", int(relative_path.size()), relative_path.data(), m_path.c_str()));
        return errno_error(strf("open %.*s", int(relative_path.size()), relative_path.data()), errno);
    }
    Fd guard(fd);
    struct stat st;
    if (::fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
        return Error::invalid(strf("%.*s is not a regular file", int(relative_path.size()), relative_path.data()));
    return std::optional<std::string>(TRY(read_all(fd, max_size)));
}

bool Root::exists(std::string_view relative_path) const
{
    if (relative_path.empty() || relative_path.front() == '/')
        return false;
    return exists_at_depth(std::string(relative_path), 0);
}

// `path` may hold ".." from a symlink's target; open_directory() keeps it
// inside the tree.
bool Root::exists_at_depth(const std::string& path, int depth) const
{
    if (depth > maximum_symlinks)
        return false;
    auto slash = path.rfind('/');
    std::string parent = slash == std::string::npos ? "" : path.substr(0, slash);
    std::string leaf = slash == std::string::npos ? path : path.substr(slash + 1);
    if (leaf.empty() || leaf == "." || leaf == "..")
        return open_directory(path, Create::No, 0).ok();
    auto dir = open_directory(parent, Create::No, 0);
    if (dir.is_error())
        return false;
    struct stat st;
    if (::fstatat(dir->get(), leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0)
        return false;
    if (!S_ISLNK(st.st_mode))
        return true;
    // A symlink (usr/sbin/netplan -> ../share/netplan/netplan.script, or
    // sbin -> usr/sbin): it exists if its target does, inside the tree.
    auto target = read_link(dir->get(), leaf);
    if (target.is_error() || target->empty())
        return false;
    if (target->front() == '/')
        return exists_at_depth(target->substr(1), depth + 1);
    return exists_at_depth(parent.empty() ? *target : parent + "/" + *target, depth + 1);
}

bool Root::is_directory(std::string_view relative_path) const
{
    if (relative_path.empty() || relative_path.front() == '/')
        return false;
    return open_directory(relative_path, Create::No, 0).ok();
}

Result<std::vector<std::string>> Root::list_directory(std::string_view relative_path) const
{
    auto dir = open_directory(relative_path, Create::No, 0);
    if (dir.is_error()) {
        if (dir.error().kind() == ErrorKind::NotFound)
            return std::vector<std::string>();
        return dir.release_error();
    }
    DIR* stream = ::fdopendir(dir->release());
    if (!stream)
        return errno_error(strf("opendir %.*s", int(relative_path.size()), relative_path.data()), errno);
    std::vector<std::string> names;
    while (struct dirent* entry = ::readdir(stream)) {
        std::string name = entry->d_name;
        if (name != "." && name != "..")
            names.push_back(std::move(name));
    }
    ::closedir(stream);
    sort_strings(names);
    return names;
}

Result<bool> Root::remove_file(std::string_view relative_path) const
{
    auto [directory, name] = TRY(split_relative_path(relative_path));
    auto dir = open_directory(directory, Create::No, 0);
    if (dir.is_error()) {
        if (dir.error().kind() == ErrorKind::NotFound)
            return false;
        return dir.release_error();
    }
    if (m_syscalls->unlinkat(dir->get(), name.c_str(), 0) < 0) {
        if (errno == ENOENT)
            return false;
        return errno_error(strf("remove %.*s under %s", int(relative_path.size()), relative_path.data(), m_path.c_str()), errno);
    }
    if (m_syscalls->fsync(dir->get()) < 0)
        return errno_error(strf("fsync %s/%s", m_path.c_str(), directory.c_str()), errno);
    return true;
}

}
