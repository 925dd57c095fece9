// musl's vfprintf and vsnprintf replaced by common/format's formatter, in the
// static binary only (see common/format.h for why and what it leaves out).
// musl's printf, fprintf, snprintf and the rest call these two, so defining
// them keeps musl's printf core (vfprintf.o) out of the link; were it pulled
// in anyway, the link would fail on a duplicate symbol rather than pass
// silently.
#include "common/format.h"

#include <cstdio>

#if !defined(__GLIBC__) // glibc builds (sanitizers, coverage) keep glibc's

namespace {

// Formatted bytes gather here and reach the stream in one fwrite per 256,
// so a log line to the unbuffered stderr is one write, as with musl's own.
struct StreamBuffer {
    FILE* stream;
    size_t used;
    char bytes[256];

    void flush()
    {
        if (used)
            fwrite(bytes, 1, used, stream);
        used = 0;
    }
};

void to_stream(void* context, const char* bytes, size_t size)
{
    auto* buffer = static_cast<StreamBuffer*>(context);
    while (size) {
        if (buffer->used == sizeof buffer->bytes)
            buffer->flush();
        size_t room = sizeof buffer->bytes - buffer->used;
        size_t n = size < room ? size : room;
        __builtin_memcpy(buffer->bytes + buffer->used, bytes, n);
        buffer->used += n;
        bytes += n;
        size -= n;
    }
}

struct Span {
    char* at;
    size_t left; // room before the terminating NUL
};

void to_span(void* context, const char* bytes, size_t size)
{
    auto* span = static_cast<Span*>(context);
    size_t n = size < span->left ? size : span->left;
    __builtin_memcpy(span->at, bytes, n);
    span->at += n;
    span->left -= n;
}

}

extern "C" int vfprintf(FILE* stream, const char* format, va_list args)
{
    StreamBuffer buffer { stream, 0, {} };
    flockfile(stream);
    int n = mb::format_v({ to_stream, &buffer }, format, args);
    buffer.flush();
    bool failed = ferror(stream);
    funlockfile(stream);
    return failed ? -1 : n;
}

extern "C" int vsnprintf(char* out, size_t size, const char* format, va_list args)
{
    Span span { out, size ? size - 1 : 0 };
    int n = mb::format_v({ to_span, &span }, format, args);
    if (size)
        *span.at = '\0';
    return n;
}

#endif
