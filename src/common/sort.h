// Sorting the short lists metaboot handles (NICs, DHCP options, a
// snapshot's lines: tens, at most a few hundred items).
//
// std::sort instantiates its introsort, about 1.5-2 KB, for every element
// type and comparison; six of them cost 10 KB of the 400 KiB budget. An
// insertion sort is a few hundred bytes per use, and stable, which keeps
// equal items (two NICs with the same device number) in the order they
// came in, so the output does not depend on the sort.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace mb {

template<typename T, typename Less>
void sort_small(std::vector<T>& items, Less less)
{
    for (size_t i = 1; i < items.size(); ++i) {
        for (size_t j = i; j > 0 && less(items[j], items[j - 1]); --j)
            std::swap(items[j], items[j - 1]);
    }
}

// By byte value (std::string's operator<); out of line, one copy for all.
void sort_strings(std::vector<std::string>& items);

}
