#include "common/text.h"

#include "common/sort.h"

#include <cstdint>
#include <cstring>

namespace mb {

std::optional<uint64_t> parse_decimal(std::string_view text, uint64_t max)
{
    if (text.empty() || text.size() > 20)
        return std::nullopt;
    uint64_t value = 0;
    for (char c : text) {
        if (c < '0' || c > '9')
            return std::nullopt;
        uint64_t digit = uint64_t(c - '0');
        if (value > (UINT64_MAX - digit) / 10)
            return std::nullopt;
        value = value * 10 + digit;
    }
    if (value > max)
        return std::nullopt;
    return value;
}

std::string_view trim(std::string_view text)
{
    auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    while (!text.empty() && is_space(text.front()))
        text.remove_prefix(1);
    while (!text.empty() && is_space(text.back()))
        text.remove_suffix(1);
    return text;
}

namespace {

char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c;
}

}

bool iequals(std::string_view a, std::string_view b)
{
    if (a.size() != b.size())
        return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i]))
            return false;
    return true;
}

std::string to_lower(std::string_view text)
{
    std::string out(text);
    for (auto& c : out)
        c = lower(c);
    return out;
}

std::vector<std::string_view> split_lines(std::string_view text)
{
    std::vector<std::string_view> lines;
    while (!text.empty()) {
        auto newline = text.find('\n');
        auto line = text.substr(0, newline);
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        if (!line.empty())
            lines.push_back(line);
        if (newline == std::string_view::npos)
            break;
        text.remove_prefix(newline + 1);
    }
    return lines;
}

std::vector<std::string_view> split(std::string_view text, char separator)
{
    std::vector<std::string_view> parts;
    while (true) {
        auto at = text.find(separator);
        parts.push_back(text.substr(0, at));
        if (at == std::string_view::npos)
            break;
        text.remove_prefix(at + 1);
    }
    return parts;
}

std::string printable(std::string_view text, size_t max)
{
    std::string out(text.substr(0, max));
    for (auto& c : out) {
        if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
            c = '?';
    }
    return out;
}

namespace {

const char base64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

}

std::optional<std::string> base64_decode(std::string_view text)
{
    std::string out;
    uint32_t group = 0;
    size_t sextets = 0, padding = 0;
    for (char c : text) {
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
            continue;
        const char* found = c ? std::strchr(base64_alphabet, c) : nullptr;
        // '=' only at the end, at most two; nothing after it.
        if (c == '=' && padding < 2 && sextets % 4 >= 2) {
            ++padding;
            ++sextets;
            group <<= 6;
        } else if (found && !padding) {
            ++sextets;
            group = group << 6 | uint32_t(found - base64_alphabet);
        } else {
            return std::nullopt;
        }
        if (sextets % 4 == 0) {
            for (size_t k = 0; k < 3 - padding; ++k)
                out += char(group >> (16 - 8 * k));
            group = 0;
        }
    }
    if (sextets % 4)
        return std::nullopt;
    return out;
}

std::string base64_encode(std::string_view bytes)
{
    const char* alphabet = base64_alphabet;
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    for (size_t i = 0; i < bytes.size(); i += 3) {
        uint32_t group = uint32_t(uint8_t(bytes[i])) << 16;
        if (i + 1 < bytes.size())
            group |= uint32_t(uint8_t(bytes[i + 1])) << 8;
        if (i + 2 < bytes.size())
            group |= uint8_t(bytes[i + 2]);
        for (size_t k = 0; k < 4; ++k)
            out += i + k <= bytes.size() ? alphabet[(group >> (18 - 6 * k)) & 63] : '=';
    }
    return out;
}

void sort_strings(std::vector<std::string>& items)
{
    sort_small(items, [](const std::string& a, const std::string& b) { return a < b; });
}

}
