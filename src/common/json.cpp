// The picojson island: the only file that includes picojson. Callers get a
// Result and a JsonValue tree that owns plain standard types.
#include "common/json.h"

#include "common/format.h"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <limits>
#include <map>
#include <string>
#include <vector>

namespace mb::json_number {

// A JSON number's text -> double, standing in for the strtod picojson calls.
// musl's strtod is its full float scanner (5 KB of the binary), for numbers
// of which metaboot reads only whole ones (counts, MTUs, indexes). The
// grammar is RFC 8259's, strictly: picojson hands over any run of digits,
// signs, dots and e's, and whatever does not follow the grammar ends the
// number early, which picojson then reports as malformed ("01", "1.",
// "+1", "1e"). The value is exact for up to 18 significant digits times a
// power of ten up to 22 (one correctly rounded operation); beyond that it
// is within a few units in the last place, and it overflows to infinity as
// strtod does.
double parse(const char* text, char** end)
{
    auto digit = [](char c) { return c >= '0' && c <= '9'; };
    const char* p = text;
    bool negative = *p == '-';
    p += negative;
    uint64_t significand = 0;
    int exponent = 0;
    auto take = [&](char c, int scale) {
        if (significand < 100000000000000000ull) {
            significand = significand * 10 + uint64_t(c - '0');
            exponent -= scale;
        } else {
            exponent += 1 - scale; // a digit past the 18th only scales
        }
    };
    if (*p == '0') {
        ++p;
    } else if (digit(*p)) {
        while (digit(*p))
            take(*p++, 0);
    } else {
        *end = const_cast<char*>(text);
        return 0;
    }
    if (*p == '.' && digit(p[1])) {
        ++p;
        while (digit(*p))
            take(*p++, 1);
    }
    if ((*p == 'e' || *p == 'E')) {
        const char* q = p + 1;
        bool below = *q == '-';
        q += *q == '-' || *q == '+';
        if (digit(*q)) {
            int value = 0;
            for (; digit(*q); ++q)
                value = std::min(value * 10 + (*q - '0'), 100000);
            exponent += below ? -value : value;
            p = q;
        }
    }
    *end = const_cast<char*>(p);
    static constexpr double powers[] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22 };
    double value = double(significand);
    // Past 1e330 or 1e-360 the result is infinity or zero whatever is left.
    for (int left = std::clamp(exponent, -400, 400); left != 0 && value != 0;) {
        int step = std::min(left < 0 ? -left : left, 22);
        value = left < 0 ? value / powers[step] : value * powers[step];
        left += left < 0 ? step : -step;
    }
    return negative ? -value : value;
}

}

// picojson.h's own includes are above, so the macro reaches only its one
// call of strtod. PICOJSON_USE_LOCALE 0: JSON's decimal point is '.'.
#define PICOJSON_USE_LOCALE 0
#define strtod mb::json_number::parse
#include <picojson.h>
#undef strtod

namespace mb {

JsonValue JsonValue::make_bool(bool value)
{
    JsonValue v(Type::Bool);
    v.m_bool = value;
    return v;
}

JsonValue JsonValue::make_number(double value)
{
    JsonValue v(Type::Number);
    v.m_number = value;
    return v;
}

JsonValue JsonValue::make_string(std::string value)
{
    JsonValue v(Type::String);
    v.m_string = std::move(value);
    return v;
}

JsonValue JsonValue::make_array(std::vector<JsonValue> items)
{
    JsonValue v(Type::Array);
    v.m_items = std::move(items);
    return v;
}

JsonValue JsonValue::make_object(std::vector<std::string> keys, std::vector<JsonValue> values)
{
    JsonValue v(Type::Object);
    v.m_keys = std::move(keys);
    v.m_items = std::move(values);
    return v;
}

std::optional<std::string_view> JsonValue::as_string() const
{
    if (m_type != Type::String)
        return std::nullopt;
    return std::string_view(m_string);
}

std::optional<double> JsonValue::as_number() const
{
    if (m_type != Type::Number)
        return std::nullopt;
    return m_number;
}

std::optional<bool> JsonValue::as_bool() const
{
    if (m_type != Type::Bool)
        return std::nullopt;
    return m_bool;
}

std::optional<uint64_t> JsonValue::as_unsigned(uint64_t max) const
{
    if (m_type != Type::Number || !std::isfinite(m_number) || m_number < 0 || m_number != std::floor(m_number))
        return std::nullopt;
    // Compare as double first: converting an out-of-range double is UB.
    if (m_number > double(max))
        return std::nullopt;
    return uint64_t(m_number);
}

const JsonValue* JsonValue::find(std::string_view key) const
{
    if (m_type != Type::Object)
        return nullptr;
    for (size_t i = 0; i < m_keys.size(); ++i)
        if (m_keys[i] == key)
            return &m_items[i];
    return nullptr;
}

void JsonValue::set_member(const std::string& key, JsonValue value)
{
    auto at = std::lower_bound(m_keys.begin(), m_keys.end(), key);
    auto index = at - m_keys.begin();
    if (at != m_keys.end() && *at == key) {
        m_items[size_t(index)] = std::move(value);
        return;
    }
    m_keys.insert(at, key);
    m_items.insert(m_items.begin() + index, std::move(value));
}

std::optional<std::string_view> JsonValue::string_member(std::string_view key) const
{
    auto const* member = find(key);
    return member ? member->as_string() : std::nullopt;
}

namespace {

// Brackets outside strings, counted without parsing, so picojson's recursion
// never sees a document nested deeper than max_json_depth.
bool nesting_within(std::string_view text, size_t limit)
{
    size_t depth = 0;
    bool in_string = false;
    bool escaped = false;
    for (char c : text) {
        if (in_string) {
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                in_string = false;
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > limit)
                return false;
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return true;
}

// Drives picojson's parser straight into our own tree. picojson::value is
// never built, so none of picojson's throwing paths (value(double) on an
// infinite number, type-mismatch asserts) is ever compiled in: the binary
// carries no exception runtime at all, and the link would fail if a throw
// crept back in. Numbers that overflow a double are a parse error here.
class TreeContext {
public:
    TreeContext(JsonValue* out, size_t depth, bool* overflow)
        : m_out(out)
        , m_depth(depth)
        , m_overflow(overflow)
    {
    }

    bool set_null()
    {
        *m_out = JsonValue::make_null();
        return true;
    }
    bool set_bool(bool b)
    {
        *m_out = JsonValue::make_bool(b);
        return true;
    }
    bool set_number(double f)
    {
        if (!std::isfinite(f)) {
            *m_overflow = true;
            return false;
        }
        *m_out = JsonValue::make_number(f);
        return true;
    }
    template<typename Iter>
    bool parse_string(picojson::input<Iter>& in)
    {
        std::string text;
        if (!picojson::_parse_string(text, in))
            return false;
        *m_out = JsonValue::make_string(std::move(text));
        return true;
    }
    bool parse_array_start()
    {
        if (m_depth == 0)
            return false;
        --m_depth;
        *m_out = JsonValue::make_array({});
        return true;
    }
    template<typename Iter>
    bool parse_array_item(picojson::input<Iter>& in, size_t)
    {
        JsonValue item = JsonValue::make_null();
        TreeContext child(&item, m_depth, m_overflow);
        if (!picojson::_parse(child, in))
            return false;
        m_out->append_item(std::move(item));
        return true;
    }
    bool parse_array_stop(size_t)
    {
        ++m_depth;
        return true;
    }
    bool parse_object_start()
    {
        if (m_depth == 0)
            return false;
        --m_depth;
        *m_out = JsonValue::make_object({}, {});
        return true;
    }
    template<typename Iter>
    bool parse_object_item(picojson::input<Iter>& in, const std::string& key)
    {
        JsonValue member = JsonValue::make_null();
        TreeContext child(&member, m_depth, m_overflow);
        if (!picojson::_parse(child, in))
            return false;
        m_out->set_member(key, std::move(member));
        return true;
    }
    bool parse_object_stop()
    {
        ++m_depth;
        return true;
    }

private:
    JsonValue* m_out;
    size_t m_depth;
    bool* m_overflow;
};

}

Result<JsonValue> parse_json(std::string_view text)
{
    if (!nesting_within(text, max_json_depth))
        return Error::invalid(strf("JSON nested deeper than %zu levels", max_json_depth));
    JsonValue root = JsonValue::make_null();
    bool overflow = false;
    TreeContext context(&root, max_json_depth, &overflow);
    std::string error;
    auto end = picojson::_parse(context, text.begin(), text.end(), &error);
    if (overflow)
        return Error::invalid("malformed JSON: a number out of range");
    if (!error.empty()) {
        // picojson's message quotes the input after "near:", which is the
        // service's text: keep it to one printable line.
        for (auto& c : error)
            if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f)
                c = '?';
        return Error::invalid("malformed JSON: " + error);
    }
    for (; end != text.end(); ++end)
        if (*end != ' ' && *end != '\t' && *end != '\n' && *end != '\r')
            return Error::invalid("malformed JSON: trailing data after the document");
    return root;
}

}
