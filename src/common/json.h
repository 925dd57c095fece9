// A small read-only JSON tree, and the one parser behind it. picojson throws,
// so it lives in json.cpp alone, which catches at its edge; nothing else
// includes it or sees its types.
#pragma once

#include "common/result.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mb {

class JsonValue {
public:
    enum class Type {
        Null,
        Bool,
        Number,
        String,
        Array,
        Object,
    };

    static JsonValue make_null() { return JsonValue(Type::Null); }
    static JsonValue make_bool(bool value);
    static JsonValue make_number(double value);
    static JsonValue make_string(std::string value);
    static JsonValue make_array(std::vector<JsonValue> items);
    static JsonValue make_object(std::vector<std::string> keys, std::vector<JsonValue> values);

    Type type() const { return m_type; }
    bool is_object() const { return m_type == Type::Object; }
    bool is_array() const { return m_type == Type::Array; }

    std::optional<std::string_view> as_string() const;
    std::optional<double> as_number() const;
    std::optional<bool> as_bool() const;
    // A number that is a whole value in [0, max].
    std::optional<uint64_t> as_unsigned(uint64_t max) const;

    // Array items, or object values in key order (empty for scalars).
    const std::vector<JsonValue>& items() const { return m_items; }
    // Object keys, parallel to items().
    const std::vector<std::string>& keys() const { return m_keys; }
    // The member called `key`, or nullptr when absent or not an object.
    const JsonValue* find(std::string_view key) const;
    // Building (the parser's side). Object keys stay sorted, and a
    // duplicate key keeps the last value, as picojson's own std::map does.
    void append_item(JsonValue item) { m_items.push_back(std::move(item)); }
    void set_member(const std::string& key, JsonValue value);

    // Shorthand for find(key)->as_string().
    std::optional<std::string_view> string_member(std::string_view key) const;

private:
    explicit JsonValue(Type type)
        : m_type(type)
    {
    }

    Type m_type;
    bool m_bool { false };
    double m_number { 0 };
    std::string m_string;
    std::vector<std::string> m_keys;
    std::vector<JsonValue> m_items;
};

// Nesting deeper than this is refused before parsing: picojson recurses.
constexpr size_t max_json_depth = 64;

// Parses one JSON document (RFC 8259). Malformed text, trailing garbage and
// too-deep nesting are Error::invalid with picojson's position message.
Result<JsonValue> parse_json(std::string_view text);

}
