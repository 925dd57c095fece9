// The static-PIE start-up's relocation code (src/start/relocate.h) on a
// made-up image: which words DT_RELR's address and bitmap entries adjust,
// and RELA's relative entries with a stop at any other type.
#include "start/relocate.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <set>
#include <vector>

namespace {

constexpr uintptr_t kWords = 200;
constexpr uintptr_t kWordBits = 8 * sizeof(uintptr_t) - 1;

// Each word holds its link-time value (a made-up pointer: 0x1000 + index);
// returns the indexes whose value moved, each checked to have moved by base.
std::set<size_t> adjusted(const std::vector<uintptr_t>& image, uintptr_t base)
{
    std::set<size_t> out;
    for (size_t i = 0; i < image.size(); i++) {
        if (image[i] == 0x1000 + i)
            continue;
        CHECK(image[i] == 0x1000 + i + base);
        out.insert(i);
    }
    return out;
}

std::vector<uintptr_t> fresh_image()
{
    std::vector<uintptr_t> image(kWords);
    for (size_t i = 0; i < image.size(); i++)
        image[i] = 0x1000 + i;
    return image;
}

} // namespace

TEST_CASE("DT_RELR: address entries, then bitmaps naming the words after them")
{
    auto image = fresh_image();
    auto base = reinterpret_cast<uintptr_t>(image.data());
    const uintptr_t word = sizeof(uintptr_t);
    std::vector<uintptr_t> relr = {
        2 * word,                     // word 2; the bitmaps start at word 3
        1 | (1u << 1) | (1u << 3),    // words 3 and 5
        1 | (1u << 1),                // the next 63 words: word 3 + 63 = 66
        100 * word,                   // word 100
        ~uintptr_t(0),                // every one of words 101 .. 101 + 62
    };
    mb_apply_relr(base, relr.data(), relr.size() * sizeof(uintptr_t));
    std::set<size_t> expected = {2, 3, 5, 66, 100};
    for (size_t i = 101; i < 101 + kWordBits; i++)
        expected.insert(i);
    CHECK(adjusted(image, base) == expected);
}

TEST_CASE("DT_RELR: an empty table and a size that is not whole words change nothing")
{
    auto image = fresh_image();
    auto base = reinterpret_cast<uintptr_t>(image.data());
    uintptr_t one = 4 * sizeof(uintptr_t);
    mb_apply_relr(base, &one, 0);
    mb_apply_relr(base, &one, sizeof(uintptr_t) - 1);
    CHECK(adjusted(image, base).empty());
    mb_apply_relr(base, &one, sizeof(uintptr_t));
    CHECK(adjusted(image, base) == std::set<size_t>{4});
}

TEST_CASE("DT_RELA: relative entries become base + addend; another type stops it")
{
    auto image = fresh_image();
    auto base = reinterpret_cast<uintptr_t>(image.data());
    const uintptr_t word = sizeof(uintptr_t);
    const uint32_t relative = 8; // R_X86_64_RELATIVE's number, any will do
    std::vector<uintptr_t> rela = {
        7 * word, relative, 0x1000 + 7,
        9 * word, relative, 0x1000 + 9,
    };
    CHECK(mb_apply_rela_relative(base, rela.data(), rela.size() * word, relative) == 0);
    CHECK(adjusted(image, base) == std::set<size_t>{7, 9});

    image = fresh_image();
    base = reinterpret_cast<uintptr_t>(image.data());
    rela = {
        11 * word, relative, 0x1000 + 11,
        12 * word, (uintptr_t(1) << 32) | 1, 0, // a symbol's R_X86_64_64
        13 * word, relative, 0x1000 + 13,
    };
    CHECK(mb_apply_rela_relative(base, rela.data(), rela.size() * word, relative) == -1);
    CHECK(adjusted(image, base) == std::set<size_t>{11});
}
