// The picojson island. Whatever it accepts is written back out as JSON and
// must parse to the same tree.
#include "common/json.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

using namespace mb;

// The oracle's own escaping, byte for byte (no UTF-8 repair: picojson keeps
// the bytes it was given, and the round trip must too).
static std::string escape(std::string_view text)
{
    std::string out;
    for (unsigned char c : text) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += char(c);
        } else if (c < 0x20) {
            char buffer[8];
            std::snprintf(buffer, sizeof buffer, "\\u%04x", c);
            out += buffer;
        } else {
            out += char(c);
        }
    }
    return out;
}

static void write(const JsonValue& value, std::string& out)
{
    switch (value.type()) {
    case JsonValue::Type::Null: out += "null"; return;
    case JsonValue::Type::Bool: out += *value.as_bool() ? "true" : "false"; return;
    case JsonValue::Type::Number: {
        char buffer[64];
        std::snprintf(buffer, sizeof buffer, "%.17g", *value.as_number());
        out += buffer;
        return;
    }
    case JsonValue::Type::String: out += "\"" + escape(*value.as_string()) + "\""; return;
    case JsonValue::Type::Array:
        out += "[";
        for (size_t i = 0; i < value.items().size(); ++i) {
            if (i)
                out += ",";
            write(value.items()[i], out);
        }
        out += "]";
        return;
    case JsonValue::Type::Object:
        out += "{";
        for (size_t i = 0; i < value.items().size(); ++i) {
            if (i)
                out += ",";
            out += "\"" + escape(value.keys()[i]) + "\":";
            write(value.items()[i], out);
        }
        out += "}";
        return;
    }
}

// Numbers survive the round trip (%.17g, then our reader) exactly when they
// are whole and below 2^53, which is all metaboot reads; others within a
// few units in the last place (common/json.cpp's reader scales by powers of
// ten in steps, not with strtod's exact rounding), and subnormals, which
// lose relative precision in those steps, within 1e-300.
static bool close(double a, double b)
{
    if (a == b)
        return true;
    if (std::fabs(a) < 9007199254740992.0 && a == std::floor(a))
        return false;
    return std::fabs(a - b) <= 1e-15 * std::max(std::fabs(a), std::fabs(b)) || std::fabs(a - b) < 1e-300;
}

static bool same(const JsonValue& a, const JsonValue& b)
{
    if (a.type() != b.type() || a.items().size() != b.items().size() || a.keys() != b.keys())
        return false;
    if (a.as_string() != b.as_string() || a.as_bool() != b.as_bool())
        return false;
    if (a.type() == JsonValue::Type::Number && !close(*a.as_number(), *b.as_number()))
        return false;
    for (size_t i = 0; i < a.items().size(); ++i)
        if (!same(a.items()[i], b.items()[i]))
            return false;
    return true;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    auto parsed = parse_json(std::string_view(reinterpret_cast<const char*>(data), size));
    if (parsed.is_error())
        return 0;
    std::string out;
    write(*parsed, out);
    auto again = parse_json(out);
    if (again.is_error() || !same(*parsed, *again))
        std::abort();
    if (parsed->type() == JsonValue::Type::Number)
        (void)parsed->as_unsigned(UINT64_MAX);
    return 0;
}
