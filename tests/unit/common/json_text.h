// A JsonValue tree as compact JSON text, through the project's one JSON
// writer: for tests and fuzz targets that compare trees by their text.
#pragma once

#include "common/json.h"
#include "common/json_writer.h"

#include <cmath>
#include <string>

namespace mb::testing {

inline void write_json_value(const JsonValue& value, JsonWriter& out)
{
    switch (value.type()) {
    case JsonValue::Type::Null: out.null(); return;
    case JsonValue::Type::Bool: out.boolean(*value.as_bool()); return;
    case JsonValue::Type::Number: out.signed_number(int64_t(*value.as_number())); return;
    case JsonValue::Type::String: out.string(*value.as_string()); return;
    case JsonValue::Type::Array:
        out.open_array();
        for (const auto& item : value.items())
            write_json_value(item, out);
        out.close_array();
        return;
    case JsonValue::Type::Object:
        out.open_object();
        for (size_t i = 0; i < value.items().size(); ++i) {
            out.key(value.keys()[i]);
            write_json_value(value.items()[i], out);
        }
        out.close_object();
        return;
    }
}

// Numbers are written as whole numbers: YAML's are (see common/yaml.h).
inline std::string json_text(const JsonValue& value)
{
    JsonWriter out;
    write_json_value(value, out);
    return out.release();
}

}
