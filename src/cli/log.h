// Logging for the boot path: `metaboot: ...` lines on /dev/kmsg, with a syslog
// priority, so they land in dmesg and the journal; stderr when /dev/kmsg is not
// writable (a normal shell, a test). Only main wires this up; the pure cores
// return errors and notes instead of logging.
#pragma once

#include <string_view>

namespace mb::cli {

enum class LogLevel { Error = 3, Warning = 4, Notice = 5, Info = 6, Debug = 7 };

// Opens /dev/kmsg if writable (path configurable for tests). Idempotent.
void log_open(bool verbose, const char* kmsg_path = "/dev/kmsg");
void log_force_stderr();
void log_line(LogLevel level, std::string_view text);

inline void log_error(std::string_view text) { log_line(LogLevel::Error, text); }
inline void log_warning(std::string_view text) { log_line(LogLevel::Warning, text); }
inline void log_notice(std::string_view text) { log_line(LogLevel::Notice, text); }
inline void log_info(std::string_view text) { log_line(LogLevel::Info, text); }
inline void log_debug(std::string_view text) { log_line(LogLevel::Debug, text); }

// The same with printf's grammar (common/format.h's strf), checked by
// -Wformat: a line built from pieces costs one call at its site, and a debug
// line is not formatted at all unless --verbose.
[[gnu::format(printf, 1, 2)]] void log_errorf(const char* format, ...);
[[gnu::format(printf, 1, 2)]] void log_warningf(const char* format, ...);
[[gnu::format(printf, 1, 2)]] void log_noticef(const char* format, ...);
[[gnu::format(printf, 1, 2)]] void log_infof(const char* format, ...);
[[gnu::format(printf, 1, 2)]] void log_debugf(const char* format, ...);

}
