// RFC 9110's token rule, shared by the request writer (header names we send)
// and the response parser (header names we accept).
#pragma once

#include <algorithm>
#include <string_view>

namespace mb::http {

// RFC 9110 §5.6.2 tchar.
inline bool is_token_char(char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// RFC 9110 §5.6.2 token = 1*tchar.
inline bool is_token(std::string_view text)
{
    return !text.empty() && std::all_of(text.begin(), text.end(), is_token_char);
}

}
