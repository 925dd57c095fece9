#include "cli/log.h"

#include "net/lock.h"
#include "common/format.h"

#include <cerrno>
#include <cstdarg>
#include <cstdlib>
#include <fcntl.h>
#include <mutex>
#include <string>
#include <unistd.h>

namespace mb::cli {

namespace {

int g_kmsg = -1;
bool g_verbose = false;
bool g_kmsg_only = false;
constinit net::Lock g_mutex;

void write_all(int fd, const std::string& text)
{
    size_t done = 0;
    while (done < text.size()) {
        ssize_t n = write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        done += size_t(n);
    }
}

}

void log_open(bool verbose, const char* kmsg_path)
{
    std::lock_guard lock(g_mutex);
    g_verbose = verbose;
    // METABOOT_LOG=stderr keeps a test run's lines out of the host's dmesg.
    const char* where = getenv("METABOOT_LOG");
    if (where && std::string_view(where) == "stderr")
        return;
    g_kmsg_only = where && std::string_view(where) == "kmsg";
    if (g_kmsg < 0)
        g_kmsg = open(kmsg_path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
}

void log_force_stderr()
{
    std::lock_guard lock(g_mutex);
    if (g_kmsg >= 0)
        close(g_kmsg);
    g_kmsg = -1;
}

void log_line(LogLevel level, std::string_view text)
{
    if (level == LogLevel::Debug && !g_verbose)
        return;
    // Control characters from a peer never reach the log as such.
    std::string clean;
    clean.reserve(text.size());
    for (unsigned char c : text)
        clean += (c < 0x20 || c == 0x7f) ? '?' : char(c);
    std::lock_guard lock(g_mutex);
    if (g_kmsg >= 0) {
        // One write per record: /dev/kmsg takes "<prio>text".
        std::string record = "<" + std::to_string(int(level)) + ">metaboot: " + clean + "\n";
        write_all(g_kmsg, record);
        // Errors and warnings also go to stderr for whoever runs metaboot by
        // hand; not from the initramfs hooks and unit (METABOOT_LOG=kmsg),
        // whose stderr is the console the kernel already puts the line on by
        // its level (`quiet` keeps warnings off it): every line would print twice.
        if (level <= LogLevel::Warning && !g_kmsg_only)
            write_all(2, "metaboot: " + clean + "\n");
        return;
    }
    write_all(2, "metaboot: " + clean + "\n");
}

namespace {

void log_v(LogLevel level, const char* format, va_list args)
{
    if (level == LogLevel::Debug && !g_verbose)
        return;
    log_line(level, strf_v(format, args));
}

}

#define METABOOT_LOG_F(name, level)          \
    void name(const char* format, ...)       \
    {                                        \
        va_list args;                        \
        va_start(args, format);              \
        log_v(level, format, args);          \
        va_end(args);                        \
    }
METABOOT_LOG_F(log_errorf, LogLevel::Error)
METABOOT_LOG_F(log_warningf, LogLevel::Warning)
METABOOT_LOG_F(log_noticef, LogLevel::Notice)
METABOOT_LOG_F(log_infof, LogLevel::Info)
METABOOT_LOG_F(log_debugf, LogLevel::Debug)
#undef METABOOT_LOG_F

}
