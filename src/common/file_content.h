// A file as a renderer or the state writer produces it and fs/ writes it.
#pragma once

#include <cstdint>
#include <string>

namespace mb {

struct FileContent {
    std::string path; // relative to the directory it is written under
    std::string text;
    uint32_t mode { 0644 };

    bool operator==(const FileContent&) const = default;
};

}
