// common/format against the C library's vsnprintf (musl's in the static unit
// tests, glibc's in the sanitizer build): every supported conversion, flag,
// width, precision and length gives the same bytes and the same count.
#include "common/format.h"

#include <doctest/doctest.h>

#include <climits>
#include <cstdint>
#include <cstdio>
#include <string>

namespace {

void append(void* context, const char* bytes, size_t size)
{
    static_cast<std::string*>(context)->append(bytes, size);
}

struct Formatted {
    std::string text;
    int count;
};

[[gnu::format(printf, 1, 2)]] Formatted ours(const char* format, ...)
{
    Formatted out { {}, 0 };
    va_list args;
    va_start(args, format);
    out.count = mb::format_v({ append, &out.text }, format, args);
    va_end(args);
    return out;
}

[[gnu::format(printf, 1, 2)]] Formatted libc(const char* format, ...)
{
    char buffer[512];
    va_list args;
    va_start(args, format);
    int n = vsnprintf(buffer, sizeof buffer, format, args);
    va_end(args);
    return { std::string(buffer, n < 0 ? 0 : size_t(n)), n };
}

#define SAME(...)                                                                  \
    do {                                                                           \
        Formatted a = ours(__VA_ARGS__), b = libc(__VA_ARGS__);                    \
        CHECK_MESSAGE(a.text == b.text, #__VA_ARGS__ << ": '" << a.text << "' vs '" << b.text << "'"); \
        CHECK(a.count == b.count);                                                 \
    } while (0)

}

TEST_CASE("format: integers as the C library prints them")
{
    const long long values[] = { 0, 1, -1, 7, 42, -42, 255, 4096, INT_MAX, INT_MIN, LLONG_MAX, LLONG_MIN, 1000000007LL };
    for (long long v : values) {
        SAME("%lld|%5lld|%-5lld|%05lld|%+lld|% lld|%.3lld|%8.3lld|%-8.3lld|%.0lld", v, v, v, v, v, v, v, v, v, v);
        SAME("%d|%i|%+05d|% 6d|%-+6d|%.0d", int(v), int(v), int(v), int(v), int(v), int(v));
        SAME("%hd|%hhd|%ld|%jd|%zd|%td", short(v), (signed char)v, long(v), intmax_t(v), ssize_t(v), ptrdiff_t(v));
        unsigned long long u = (unsigned long long)v;
        SAME("%llu|%llx|%llX|%llo|%#llx|%#llX|%#llo|%#.0llo|%08llx|%#010llx|%.5llx", u, u, u, u, u, u, u, u, u, u, u);
        SAME("%u|%x|%o|%hu|%hhx|%lu|%zu|%ju|%#x|%-#8o|", unsigned(u), unsigned(u), unsigned(u), (unsigned short)u, (unsigned char)u,
            (unsigned long)u, size_t(u), uintmax_t(u), unsigned(u), unsigned(u));
    }
}

TEST_CASE("format: strings, characters, stars and percent signs")
{
    SAME("%s|%10s|%-10s|%.3s|%10.2s|%-10.2s|%.0s|%s", "metaboot", "eth0", "eth0", "metaboot", "metaboot", "metaboot", "x", "");
    SAME("%c|%3c|%-3c|%%", 'a', 'b', 'c');
    SAME("%*d|%-*d|%*d|%.*d|%.*s|%*.*s", 6, 42, 6, 42, -6, 42, 4, 7, 2, "eth1", 8, 3, "ens5");
    // A negative '*' precision is taken as none.
    SAME("%.*d|%.*s", -1, 0, -3, "whole");
    SAME("%-18s %s", "instance-id", "i-0123456789abcdef0");
    SAME("metaboot lease: %s via %s, lease %llds; dhcp %lld ms, total %lld ms%s", "eth0", "198.18.0.1", 3600LL, 2LL, 9LL, "");
    SAME("0x%x", 0x8100u);
    SAME("no conversion at all");
    SAME("%s", "ends in a percent %%");
}

TEST_CASE("format: what it leaves out, it leaves out visibly")
{
    // Floating point is consumed, so the arguments after it keep their places.
    auto f = ours("a %f b %5.2e c %Lg d %s", 1.5, 2.5, (long double)3.5, "after");
    CHECK(f.text == "a (float) b (float) c (float) d after");
    CHECK(f.count == int(f.text.size()));
    // %n stores nothing.
    int stored = 1234;
    auto n = ours("ab%ncd", &stored);
    CHECK(n.text == "abcd");
    CHECK(stored == 1234);
    // An unknown conversion fails, as musl's does; what came before it is out.
    std::string text;
    auto bad = [&](const char* format, ...) {
        va_list args;
        va_start(args, format);
        int r = mb::format_v({ append, &text }, format, args);
        va_end(args);
        return r;
    };
    CHECK(bad("abc %y %d", 5) == -1);
    CHECK(text == "abc ");
    text.clear();
    CHECK(bad("trailing %") == -1);
    // A null string prints as C libraries print it.
    CHECK(ours("%s", static_cast<const char*>(nullptr)).text == "(null)");
}

TEST_CASE("strf: a message built from pieces, longer than any stack buffer")
{
    std::string_view view("view-part and more", 9);
    std::string owned("owned");
    CHECK(mb::strf("open %s under %.*s: %zu bytes, %d", owned.c_str(), int(view.size()), view.data(), size_t(4096), -7)
        == "open owned under view-part: 4096 bytes, -7");
    CHECK(mb::strf("plain") == "plain");
    CHECK(mb::strf("%s", "").empty());
    // The result grows with its pieces: no truncation at any fixed size.
    std::string big(10000, 'x');
    auto long_one = mb::strf("[%s|%s]", big.c_str(), big.c_str());
    CHECK(long_one.size() == 20003);
    CHECK(long_one.substr(0, 2) == "[x");
    CHECK(long_one[10001] == '|');
    // A view's bytes after its size are not read, whatever follows them.
    CHECK(mb::strf("%.*s!", 4, "abcdef") == "abcd!");
}
