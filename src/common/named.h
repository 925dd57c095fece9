// Lookups over the registries' tables (clouds, output formats): rows with a
// `name`, found by it and listed for help texts.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace mb {

template<typename Row>
const Row* find_named(std::span<const Row* const> rows, std::string_view name)
{
    for (const Row* row : rows) {
        if (row->name == name)
            return row;
    }
    return nullptr;
}

// "a, b, c".
template<typename Row>
std::string join_names(std::span<const Row* const> rows)
{
    std::string out;
    for (const Row* row : rows) {
        if (!out.empty())
            out += ", ";
        out += row->name;
    }
    return out;
}

}
