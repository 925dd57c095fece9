// The YAML subset reader. Whatever it accepts is written out as JSON by the
// project's JSON writer, read back by the JSON reader, and must be the same
// tree: the reader only ever builds trees JSON can hold, with valid UTF-8
// strings and whole numbers.
#include "common/json.h"
#include "common/yaml.h"
#include "../unit/common/json_text.h"

#include <cstdint>
#include <cstdlib>
#include <string_view>

using namespace mb;

static bool same(const JsonValue& a, const JsonValue& b)
{
    if (a.type() != b.type() || a.items().size() != b.items().size() || a.keys() != b.keys())
        return false;
    if (a.as_string() != b.as_string() || a.as_bool() != b.as_bool() || a.as_number() != b.as_number())
        return false;
    for (size_t i = 0; i < a.items().size(); ++i)
        if (!same(a.items()[i], b.items()[i]))
            return false;
    return true;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    auto parsed = parse_yaml(std::string_view(reinterpret_cast<const char*>(data), size));
    if (parsed.is_error())
        return 0;
    auto again = parse_json(mb::testing::json_text(*parsed));
    if (again.is_error() || !same(*parsed, *again))
        std::abort();
    return 0;
}
