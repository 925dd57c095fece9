// The picojson island: the only file compiled against picojson, which reports
// errors by throwing. Every entry point catches everything and returns a
// Result; callers get a JsonValue tree that owns plain standard types.
#include "metadata/json.h"

#include <cmath>
#include <picojson.h>

namespace mb::metadata {

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

JsonValue convert(const picojson::value& value)
{
    if (value.is<picojson::null>())
        return JsonValue::make_null();
    if (value.is<bool>())
        return JsonValue::make_bool(value.get<bool>());
    if (value.is<double>())
        return JsonValue::make_number(value.get<double>());
    if (value.is<std::string>())
        return JsonValue::make_string(value.get<std::string>());
    if (value.is<picojson::array>()) {
        std::vector<JsonValue> items;
        for (auto const& item : value.get<picojson::array>())
            items.push_back(convert(item));
        return JsonValue::make_array(std::move(items));
    }
    std::vector<std::string> keys;
    std::vector<JsonValue> values;
    for (auto const& [key, member] : value.get<picojson::object>()) {
        keys.push_back(key);
        values.push_back(convert(member));
    }
    return JsonValue::make_object(std::move(keys), std::move(values));
}

}

Result<JsonValue> parse_json(std::string_view text)
{
    if (!nesting_within(text, max_json_depth))
        return Error::invalid("JSON nested deeper than " + std::to_string(max_json_depth) + " levels");
    try {
        picojson::value root;
        std::string error;
        auto end = picojson::parse(root, text.begin(), text.end(), &error);
        if (!error.empty()) {
            // picojson's message quotes the input after "near:", which is
            // the service's text: keep it to one printable line.
            for (auto& c : error)
                if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f)
                    c = '?';
            return Error::invalid("malformed JSON: " + error);
        }
        for (; end != text.end(); ++end)
            if (*end != ' ' && *end != '\t' && *end != '\n' && *end != '\r')
                return Error::invalid("malformed JSON: trailing data after the document");
        return convert(root);
    } catch (const std::exception& e) {
        return Error::invalid(std::string("malformed JSON: ") + e.what());
    } catch (...) {
        return Error::invalid("malformed JSON");
    }
}

}
