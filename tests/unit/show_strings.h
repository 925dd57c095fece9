// Warning lists compared as one string, so that doctest prints both sides
// when they differ. (A doctest::StringMaker for std::vector<std::string> in
// one test file would clash with the "{?}" one other files instantiate.)
#pragma once

#include <string>
#include <vector>

namespace mb::testing {

inline std::string joined(const std::vector<std::string>& lines)
{
    std::string out;
    for (auto const& line : lines)
        out += line + "\n";
    return out;
}

}
