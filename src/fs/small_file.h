// Reading the small text files of /proc and /sys (the kernel command line,
// DMI strings): bounded, and an absent file reads as empty.
#pragma once

#include <cstddef>
#include <string>

namespace mb::fs {

std::string read_small_file(const std::string& path, size_t limit = 8192);

}
