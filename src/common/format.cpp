#include "common/format.h"

#include <cstdint>
#include <cstring>

namespace mb {

namespace {

// The length modifier, as the size of the integer read from the arguments.
enum class Length : uint8_t { Char, Short, Int, Long, LongLong, LongDouble };

struct Spec {
    bool left = false;
    bool zero = false;
    bool alternate = false;
    char sign = 0; // '+', ' ' or none: what a non-negative signed number gets
    int width = 0;
    int precision = -1; // none
    Length length = Length::Int;
};

class Output {
public:
    explicit Output(FormatSink sink)
        : m_sink(sink)
    {
    }
    void put(const char* bytes, size_t size)
    {
        if (size) {
            m_sink.write(m_sink.context, bytes, size);
            m_count += size;
        }
    }
    void fill(char c, int count)
    {
        for (; count > 0; --count)
            put(&c, 1);
    }
    // prefix, then `zeros` zeros, then body, in a field of spec.width.
    void field(const Spec& spec, const char* prefix, int prefix_size, int zeros, const char* body, int body_size)
    {
        int spaces = spec.width - prefix_size - zeros - body_size;
        if (!spec.left)
            fill(' ', spaces);
        put(prefix, size_t(prefix_size));
        fill('0', zeros);
        put(body, size_t(body_size));
        if (spec.left)
            fill(' ', spaces);
    }
    int count() const { return m_count > size_t(INT32_MAX) ? -1 : int(m_count); }

private:
    FormatSink m_sink;
    size_t m_count { 0 };
};

int read_number(const char*& p, va_list& args)
{
    if (*p == '*') {
        ++p;
        return va_arg(args, int);
    }
    int n = 0;
    for (; *p >= '0' && *p <= '9'; ++p)
        n = n < 100000000 ? n * 10 + (*p - '0') : n;
    return n;
}

uintmax_t read_unsigned(Length length, va_list& args)
{
    switch (length) {
    case Length::Char:
        return static_cast<unsigned char>(va_arg(args, unsigned));
    case Length::Short:
        return static_cast<unsigned short>(va_arg(args, unsigned));
    case Length::Int:
        return va_arg(args, unsigned);
    case Length::Long:
        return va_arg(args, unsigned long);
    default:
        return va_arg(args, unsigned long long);
    }
}

intmax_t read_signed(Length length, va_list& args)
{
    switch (length) {
    case Length::Char:
        return static_cast<signed char>(va_arg(args, int));
    case Length::Short:
        return static_cast<short>(va_arg(args, int));
    case Length::Int:
        return va_arg(args, int);
    case Length::Long:
        return va_arg(args, long);
    default:
        return va_arg(args, long long);
    }
}

// An integer conversion: digits of `value` in `base`, C's rules for the
// precision (minimum digits; 0 with 0 prints none), the zero flag (ignored
// with a precision or '-') and the alternate forms (0x, a leading 0).
void integer(Output& out, const Spec& spec, uintmax_t value, bool negative, unsigned base, bool upper)
{
    char digits[24];
    int size = 0;
    const char* alphabet = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    for (uintmax_t v = value; v; v /= base)
        digits[sizeof digits - ++size] = alphabet[v % base];
    if (value == 0 && spec.precision != 0)
        digits[sizeof digits - ++size] = '0';
    char prefix[2];
    int prefix_size = 0;
    if (negative)
        prefix[prefix_size++] = '-';
    else if (spec.sign)
        prefix[prefix_size++] = spec.sign;
    if (spec.alternate && base == 16 && value) {
        prefix[prefix_size++] = '0';
        prefix[prefix_size++] = upper ? 'X' : 'x';
    }
    int zeros = spec.precision > size ? spec.precision - size : 0;
    if (spec.alternate && base == 8 && zeros == 0 && (size == 0 || digits[sizeof digits - size] != '0'))
        zeros = 1;
    if (spec.zero && !spec.left && spec.precision < 0 && spec.width > prefix_size + size)
        zeros = spec.width - prefix_size - size;
    out.field(spec, prefix, prefix_size, zeros, digits + sizeof digits - size, size);
}

}

int format_v(FormatSink sink, const char* p, va_list given)
{
    Output out { sink };
    va_list args;
    va_copy(args, given);
    int result = 0;
    while (*p) {
        const char* text = p;
        while (*p && *p != '%')
            ++p;
        out.put(text, size_t(p - text));
        if (!*p)
            break;
        ++p;
        Spec spec;
        for (;; ++p) {
            if (*p == '-')
                spec.left = true;
            else if (*p == '0')
                spec.zero = true;
            else if (*p == '#')
                spec.alternate = true;
            else if (*p == '+')
                spec.sign = '+';
            else if (*p == ' ')
                spec.sign = spec.sign ? spec.sign : ' ';
            else
                break;
        }
        spec.width = read_number(p, args);
        if (spec.width < 0) {
            // C: a negative '*' width is the '-' flag and its absolute value.
            spec.left = true;
            spec.width = spec.width == INT32_MIN ? INT32_MAX : -spec.width;
        }
        if (*p == '.') {
            ++p;
            spec.precision = read_number(p, args);
            if (spec.precision < 0)
                spec.precision = -1; // a negative '*' precision: as if none
        }
        for (bool more = true; more;) {
            switch (*p) {
            case 'h':
                spec.length = spec.length == Length::Short ? Length::Char : Length::Short;
                ++p;
                break;
            case 'l':
                spec.length = spec.length == Length::Long ? Length::LongLong : Length::Long;
                ++p;
                break;
            case 'j':
            case 'z':
            case 't':
            case 'q':
                // intmax_t, size_t and ptrdiff_t are 64 bits on every target.
                spec.length = Length::LongLong;
                ++p;
                break;
            case 'L':
                spec.length = Length::LongDouble;
                ++p;
                break;
            default:
                more = false;
            }
        }
        char conversion = *p;
        if (conversion)
            ++p;
        switch (conversion) {
        case 'd':
        case 'i': {
            intmax_t v = read_signed(spec.length, args);
            integer(out, spec, v < 0 ? uintmax_t(0) - uintmax_t(v) : uintmax_t(v), v < 0, 10, false);
            break;
        }
        case 'u':
            integer(out, spec, read_unsigned(spec.length, args), false, 10, false);
            break;
        case 'o':
            integer(out, spec, read_unsigned(spec.length, args), false, 8, false);
            break;
        case 'x':
        case 'X':
            integer(out, spec, read_unsigned(spec.length, args), false, 16, conversion == 'X');
            break;
        case 'p':
            spec.alternate = true;
            integer(out, spec, uintptr_t(va_arg(args, void*)), false, 16, false);
            break;
        case 'c': {
            char c = char(va_arg(args, int));
            out.field(spec, nullptr, 0, 0, &c, 1);
            break;
        }
        case 's': {
            const char* s = va_arg(args, const char*);
            if (!s)
                s = "(null)";
            size_t size = spec.precision < 0 ? strlen(s) : strnlen(s, size_t(spec.precision));
            out.field(spec, nullptr, 0, 0, s, int(size > size_t(INT32_MAX) ? INT32_MAX : size));
            break;
        }
        case '%':
            out.put("%", 1);
            break;
        case 'e':
        case 'E':
        case 'f':
        case 'F':
        case 'g':
        case 'G':
        case 'a':
        case 'A':
            if (spec.length == Length::LongDouble)
                (void)va_arg(args, long double);
            else
                (void)va_arg(args, double);
            out.field(spec, nullptr, 0, 0, "(float)", 7);
            break;
        case 'n':
            (void)va_arg(args, void*);
            break;
        default:
            result = -1;
        }
        if (result < 0)
            break;
    }
    va_end(args);
    return result < 0 ? -1 : out.count();
}

std::string strf_v(const char* format, va_list args)
{
    std::string out;
    format_v({ [](void* context, const char* bytes, size_t size) { static_cast<std::string*>(context)->append(bytes, size); }, &out }, format, args);
    return out;
}

std::string strf(const char* format, ...)
{
    va_list args;
    va_start(args, format);
    std::string out = strf_v(format, args);
    va_end(args);
    return out;
}

}
