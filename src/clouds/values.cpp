#include "clouds/values.h"

#include "common/text.h"

#include <algorithm>
#include <array>

namespace mb::clouds {

namespace {

bool is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool is_base64(char c)
{
    return is_alnum(c) || c == '+' || c == '/' || c == '=';
}

}

bool is_safe_identifier(std::string_view text, size_t max)
{
    if (text.empty() || text.size() > max)
        return false;
    return std::all_of(text.begin(), text.end(), [](char c) { return is_alnum(c) || c == '.' || c == '_' || c == '-'; });
}

bool is_openssh_public_key(std::string_view text)
{
    // The key types sshd accepts (sshd(8) AUTHORIZED_KEYS FILE FORMAT).
    static constexpr std::array<std::string_view, 9> types = {
        "ssh-ed25519", "ssh-rsa", "ssh-dss", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
        "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com", "ssh-xmss@openssh.com",
    };
    if (text.size() > 16384)
        return false;
    if (!std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c < 0x7f; }))
        return false;
    auto space = text.find(' ');
    if (space == std::string_view::npos)
        return false;
    auto type = text.substr(0, space);
    if (std::find(types.begin(), types.end(), type) == types.end())
        return false;
    auto rest = text.substr(space + 1);
    auto blob = rest.substr(0, rest.find(' '));
    return blob.size() >= 16 && std::all_of(blob.begin(), blob.end(), is_base64);
}

void take_string_member(const JsonValue& object, const char* key, std::string& field, bool (*valid)(std::string_view), std::string_view where,
    std::vector<std::string>& warnings)
{
    auto value = object.string_member(key);
    if (!value)
        return;
    if (valid(*value))
        field = std::string(*value);
    else
        warnings.push_back(concat({ "dropping ", where, " ", key, ": '", printable(*value), "'" }));
}

void append_json_public_keys(const JsonValue* value, std::string_view where, std::vector<std::string>& keys, std::vector<std::string>& warnings)
{
    if (!value)
        return;
    if (value->as_string())
        return append_public_keys(*value->as_string(), where, keys, warnings);
    if (!value->is_array())
        return;
    for (const auto& item : value->items())
        append_public_keys(item.as_string().value_or(""), where, keys, warnings);
}

void append_json_addresses(const JsonValue* list, std::string_view where, std::vector<Ipv4Address>& ipv4, std::vector<Ipv6Address>& ipv6,
    std::vector<std::string>& warnings)
{
    if (!list || !list->is_array())
        return;
    for (const auto& item : list->items()) {
        auto text = item.as_string().value_or("");
        if (auto v4 = Ipv4Address::parse(text))
            ipv4.push_back(*v4);
        else if (auto v6 = Ipv6Address::parse(text))
            ipv6.push_back(*v6);
        else
            warnings.push_back(concat({ "dropping ", where, " '", printable(text), "'" }));
    }
}

bool is_identifier(std::string_view text)
{
    return is_safe_identifier(text);
}

void append_public_keys(std::string_view text, std::string_view where, std::vector<std::string>& keys, std::vector<std::string>& warnings)
{
    for (auto line : split_lines(text)) {
        line = trim(line);
        if (line.empty())
            continue;
        if (is_openssh_public_key(line))
            keys.emplace_back(line);
        else
            warnings.push_back(concat({ "dropping a malformed key in ", where }));
    }
}

std::vector<std::string_view> parse_listing(std::string_view body)
{
    std::vector<std::string_view> entries;
    for (auto line : split_lines(body)) {
        line = trim(line);
        if (!line.empty())
            entries.push_back(line);
    }
    return entries;
}

bool is_safe_listing_entry(std::string_view entry)
{
    if (!entry.empty() && entry.back() == '/')
        entry.remove_suffix(1);
    if (entry.empty() || entry.size() > 255 || entry == "." || entry == "..")
        return false;
    return std::all_of(entry.begin(), entry.end(), [](char c) {
        return is_alnum(c) || c == '-' || c == '_' || c == '.' || c == ':' || c == '=';
    });
}

std::optional<unsigned> parse_public_key_index(std::string_view entry)
{
    auto equals = entry.find('=');
    if (equals == std::string_view::npos)
        return std::nullopt;
    auto index = parse_decimal(entry.substr(0, equals), 9999);
    if (!index)
        return std::nullopt;
    return unsigned(*index);
}

std::string concat(std::initializer_list<std::string_view> parts)
{
    size_t size = 0;
    for (auto part : parts)
        size += part.size();
    std::string out;
    out.reserve(size);
    for (auto part : parts)
        out.append(part);
    return out;
}

std::optional<uint8_t> ipv6_prefix_length_from_netmask(const Ipv6Address& mask)
{
    uint8_t length = 0;
    bool ended = false;
    for (uint8_t byte : mask.bytes()) {
        for (int bit = 7; bit >= 0; --bit) {
            bool set = (byte >> bit) & 1;
            if (set && ended)
                return std::nullopt;
            if (set)
                ++length;
            else
                ended = true;
        }
    }
    return length;
}

}
