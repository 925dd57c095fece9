#include "common/dns_name.h"

namespace mb {

namespace {

bool is_label_character(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

}

bool is_valid_dns_label(std::string_view label)
{
    if (label.empty() || label.size() > max_dns_label_length)
        return false;
    if (label.front() == '-' || label.back() == '-')
        return false;
    for (char c : label) {
        if (!is_label_character(c))
            return false;
    }
    return true;
}

bool is_valid_dns_name(std::string_view name, TrailingDot trailing_dot)
{
    if (trailing_dot == TrailingDot::Allowed && !name.empty() && name.back() == '.')
        name.remove_suffix(1);
    if (name.empty() || name.size() > max_dns_name_length)
        return false;
    size_t begin = 0;
    for (;;) {
        size_t dot = name.find('.', begin);
        auto label = name.substr(begin, dot == std::string_view::npos ? std::string_view::npos : dot - begin);
        if (!is_valid_dns_label(label))
            return false;
        if (dot == std::string_view::npos)
            return true;
        begin = dot + 1;
    }
}

}
