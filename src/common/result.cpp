#include "common/result.h"

#include <cstring>

namespace mb {

const char* error_kind_name(ErrorKind kind)
{
    switch (kind) {
    case ErrorKind::Invalid: return "invalid";
    case ErrorKind::NotFound: return "not found";
    case ErrorKind::Timeout: return "timeout";
    case ErrorKind::Io: return "i/o error";
    case ErrorKind::Refused: return "refused";
    case ErrorKind::Unsupported: return "unsupported";
    case ErrorKind::TooLarge: return "too large";
    }
    return "error";
}

Error Error::io(std::string message, int errno_value)
{
    if (errno_value) {
        message += ": ";
        message += strerror(errno_value);
    }
    return Error(ErrorKind::Io, std::move(message), errno_value);
}

}
