// printf's formatting without floating point, for the static binary.
//
// musl's printf core is 9 KB of the binary (measured 2026-12-06: 397,128 ->
// 388,056 bytes with it gone), most of it the floating-point conversions
// that nothing in metaboot prints. common/libc_printf.cpp puts this
// formatter behind musl's vfprintf and vsnprintf, so every printf-family
// call in the binary (ours, libnl's, libc++'s, musl's own inet_ntop) uses
// it; the unit tests and the glibc builds keep their libc's.
#pragma once

#include <cstdarg>
#include <cstddef>
#include <string>

namespace mb {

// Where formatted bytes go, in pieces.
struct FormatSink {
    void (*write)(void* context, const char* bytes, size_t size);
    void* context;
};

// C's printf grammar: the flags "-+ #0", a width and a precision (digits or
// '*'), the length modifiers hh h l ll j z t L, and the conversions d i u o x
// X c s p %. Returns how many bytes were produced (given to `sink`), or -1 at
// an unknown conversion, as C leaves that undefined and musl fails it
// (EINVAL); what came before it has gone to the sink. Not supported, on
// purpose:
// - e f g a (E F G A): the argument is consumed and "(float)" printed
//   instead, so a stray one shows in the output and the arguments after it
//   keep their places;
// - n: the pointer is consumed and nothing is stored (writing through a
//   format's pointer is what format-string attacks use).
int format_v(FormatSink sink, const char* format, va_list args);

// printf's grammar (as format_v) into a new string: the one way the tree
// builds a message out of pieces. A chain of std::string operator+ at a call
// site inlines a temporary, its growth and its destructor per piece (about
// 300 bytes for four pieces, measured); this is one call with the pieces in
// registers. The compiler checks the arguments against the format (-Wformat).
// A std::string goes in as `s.c_str()`, a string_view as "%.*s" with
// `int(v.size()), v.data()`.
std::string strf(const char* format, ...) __attribute__((format(printf, 1, 2)));
std::string strf_v(const char* format, va_list args);

}
