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

}
