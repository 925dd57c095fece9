#include "fs/small_file.h"

#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

namespace mb::fs {

std::string read_small_file(const std::string& path, size_t limit)
{
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return {};
    char buffer[512];
    std::string out;
    while (out.size() < limit) {
        ssize_t got = ::read(fd, buffer, sizeof buffer);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        out.append(buffer, size_t(got));
    }
    ::close(fd);
    if (out.size() > limit)
        out.resize(limit);
    return out;
}

std::string read_net_driver(const std::string& sysfs_root, const std::string& interface)
{
    // Only plain kernel names: never a path built from something else.
    if (interface.empty() || interface.find('/') != std::string::npos || interface == "." || interface == "..")
        return {};
    std::string link = sysfs_root + "/class/net/" + interface + "/device/driver";
    char target[256];
    ssize_t length = ::readlink(link.c_str(), target, sizeof target - 1);
    if (length <= 0)
        return {};
    std::string_view path(target, size_t(length));
    auto slash = path.rfind('/');
    return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

bool path_exists(const std::string& path)
{
    return ::access(path.c_str(), F_OK) == 0;
}

}
