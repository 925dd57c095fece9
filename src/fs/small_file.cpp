#include "fs/small_file.h"

#include "common/sort.h"

#include <algorithm>
#include <cerrno>
#include <dirent.h>
#include <string_view>
#include <vector>
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

std::string read_kernel_cmdline(const std::string& cmdline_path, const std::string& cmdline_d)
{
    std::string out;
    if (cmdline_path == "/proc/cmdline") {
        if (DIR* dir = ::opendir(cmdline_d.c_str())) {
            std::vector<std::string> names;
            while (struct dirent* entry = ::readdir(dir)) {
                std::string_view name = entry->d_name;
                if (name.size() > 5 && name.ends_with(".conf") && name.front() != '.')
                    names.emplace_back(name);
            }
            ::closedir(dir);
            sort_strings(names);
            for (const auto& name : names) {
                for (char c : read_small_file(cmdline_d + "/" + name))
                    out += (c == '\n' || c == '\t') ? ' ' : c;
                out += ' ';
            }
        }
    }
    return out + read_small_file(cmdline_path);
}

bool path_exists(const std::string& path)
{
    return ::access(path.c_str(), F_OK) == 0;
}

}
