#include "common/address.h"

#include "common/format.h"
#include "common/text.h"

namespace mb {

namespace {

std::optional<unsigned> hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return unsigned(c - '0');
    if (c >= 'a' && c <= 'f')
        return unsigned(c - 'a' + 10);
    if (c >= 'A' && c <= 'F')
        return unsigned(c - 'A' + 10);
    return std::nullopt;
}

const char hex_digits[] = "0123456789abcdef";

std::optional<uint8_t> parse_prefix_length(std::string_view text, unsigned max)
{
    auto value = parse_decimal(text, max);
    if (!value)
        return std::nullopt;
    return static_cast<uint8_t>(*value);
}

}

std::optional<Ipv4Address> Ipv4Address::parse(std::string_view text)
{
    uint32_t value = 0;
    for (int part = 0; part < 4; ++part) {
        auto dot = text.find('.');
        auto piece = part < 3 ? text.substr(0, dot) : text;
        if (part < 3 && dot == std::string_view::npos)
            return std::nullopt;
        if (piece.size() > 1 && piece[0] == '0')
            return std::nullopt;
        auto octet = parse_decimal(piece, 255);
        if (!octet)
            return std::nullopt;
        value = (value << 8) | *octet;
        if (part < 3)
            text.remove_prefix(dot + 1);
    }
    return Ipv4Address(value);
}

std::string Ipv4Address::to_string() const
{
    auto o = octets();
    std::string out;
    out.reserve(15);
    for (int i = 0; i < 4; ++i) {
        if (i)
            out += '.';
        out += std::to_string(o[i]);
    }
    return out;
}

std::optional<Ipv6Address> Ipv6Address::parse(std::string_view text)
{
    if (text.size() < 2 || text.size() > 45)
        return std::nullopt;
    std::array<uint16_t, 8> groups {};
    int count = 0;
    int gap = -1; // index in groups where "::" stands
    size_t i = 0;
    if (text.starts_with("::")) {
        gap = 0;
        i = 2;
        if (i == text.size())
            return Ipv6Address();
    } else if (text[0] == ':') {
        return std::nullopt;
    }
    while (i < text.size()) {
        if (count == 8)
            return std::nullopt;
        // An embedded dotted quad may end the address (RFC 4291 §2.2 form 3).
        auto rest = text.substr(i);
        auto colon = rest.find(':');
        auto piece = rest.substr(0, colon);
        if (colon == std::string_view::npos && piece.find('.') != std::string_view::npos) {
            auto v4 = Ipv4Address::parse(piece);
            if (!v4 || count > 6)
                return std::nullopt;
            groups[count++] = uint16_t(v4->value() >> 16);
            groups[count++] = uint16_t(v4->value());
            i = text.size();
            break;
        }
        if (piece.empty() || piece.size() > 4)
            return std::nullopt;
        uint16_t group = 0;
        for (char c : piece) {
            auto d = hex_digit(c);
            if (!d)
                return std::nullopt;
            group = uint16_t((group << 4) | *d);
        }
        groups[count++] = group;
        i += piece.size();
        if (i == text.size())
            break;
        // Now at ':'. "::" marks the gap; a single ':' must be followed by more.
        if (i + 1 < text.size() && text[i + 1] == ':') {
            if (gap >= 0)
                return std::nullopt;
            gap = count;
            i += 2;
        } else {
            i += 1;
            if (i == text.size())
                return std::nullopt;
        }
    }
    std::array<uint8_t, 16> bytes {};
    if (gap < 0) {
        if (count != 8)
            return std::nullopt;
    } else if (count > 7) {
        return std::nullopt;
    }
    std::array<uint16_t, 8> expanded {};
    if (gap < 0) {
        expanded = groups;
    } else {
        for (int k = 0; k < gap; ++k)
            expanded[k] = groups[k];
        int tail = count - gap;
        for (int k = 0; k < tail; ++k)
            expanded[8 - tail + k] = groups[gap + k];
    }
    for (int k = 0; k < 8; ++k) {
        bytes[2 * k] = uint8_t(expanded[k] >> 8);
        bytes[2 * k + 1] = uint8_t(expanded[k]);
    }
    return Ipv6Address(bytes);
}

bool Ipv6Address::is_unspecified() const
{
    for (auto b : m_bytes)
        if (b)
            return false;
    return true;
}

std::string Ipv6Address::to_string() const
{
    std::array<uint16_t, 8> groups {};
    for (int k = 0; k < 8; ++k)
        groups[k] = uint16_t((m_bytes[2 * k] << 8) | m_bytes[2 * k + 1]);
    // RFC 5952 §4.2: compress the longest run of two or more zero groups,
    // the first one on a tie.
    int best_start = -1, best_length = 0;
    for (int k = 0; k < 8;) {
        if (groups[k] != 0) {
            ++k;
            continue;
        }
        int start = k;
        while (k < 8 && groups[k] == 0)
            ++k;
        if (k - start > best_length && k - start >= 2) {
            best_start = start;
            best_length = k - start;
        }
    }
    std::string out;
    for (int k = 0; k < 8; ++k) {
        if (k == best_start) {
            out += "::";
            k += best_length - 1;
            continue;
        }
        if (!out.empty() && out.back() != ':')
            out += ':';
        uint16_t g = groups[k];
        bool started = false;
        for (int shift = 12; shift >= 0; shift -= 4) {
            unsigned nibble = (g >> shift) & 0xf;
            if (nibble || started || shift == 0) {
                out += hex_digits[nibble];
                started = true;
            }
        }
    }
    return out;
}

std::optional<MacAddress> MacAddress::parse(std::string_view text)
{
    // 17: colon separated; 12: bare digits, as Azure's IMDS gives them.
    size_t step = text.size() == 12 ? 2 : 3;
    if (text.size() != 17 && step == 3)
        return std::nullopt;
    std::array<uint8_t, 6> bytes {};
    for (size_t k = 0; k < 6; ++k) {
        auto hi = hex_digit(text[step * k]);
        auto lo = hex_digit(text[step * k + 1]);
        if (!hi || !lo)
            return std::nullopt;
        if (step == 3 && k < 5 && text[3 * k + 2] != ':')
            return std::nullopt;
        bytes[k] = uint8_t((*hi << 4) | *lo);
    }
    return MacAddress(bytes);
}

bool MacAddress::is_zero() const
{
    for (auto b : m_bytes)
        if (b)
            return false;
    return true;
}

std::string MacAddress::to_string() const
{
    std::string out;
    out.reserve(17);
    for (int k = 0; k < 6; ++k) {
        if (k)
            out += ':';
        out += hex_digits[m_bytes[k] >> 4];
        out += hex_digits[m_bytes[k] & 0xf];
    }
    return out;
}

Ipv4Prefix::Ipv4Prefix(Ipv4Address address, uint8_t length)
    : m_address(address)
    , m_length(length > 32 ? 32 : length)
{
}

std::optional<Ipv4Prefix> Ipv4Prefix::parse(std::string_view text)
{
    auto slash = text.find('/');
    if (slash == std::string_view::npos)
        return std::nullopt;
    auto address = Ipv4Address::parse(text.substr(0, slash));
    auto length = parse_prefix_length(text.substr(slash + 1), 32);
    if (!address || !length)
        return std::nullopt;
    return Ipv4Prefix(*address, *length);
}

std::optional<uint8_t> Ipv4Prefix::length_from_netmask(Ipv4Address mask)
{
    uint32_t value = mask.value();
    uint8_t length = 0;
    while (length < 32 && (value & (0x80000000u >> length)))
        ++length;
    uint32_t expected = length == 0 ? 0 : ~uint32_t(0) << (32 - length);
    if (value != expected)
        return std::nullopt;
    return length;
}

Ipv4Address Ipv4Prefix::netmask() const
{
    return Ipv4Address(m_length == 0 ? 0 : ~uint32_t(0) << (32 - m_length));
}

Ipv4Address Ipv4Prefix::network() const
{
    return Ipv4Address(m_address.value() & netmask().value());
}

Ipv4Address Ipv4Prefix::broadcast() const
{
    return Ipv4Address(network().value() | ~netmask().value());
}

bool Ipv4Prefix::contains(Ipv4Address address) const
{
    return (address.value() & netmask().value()) == network().value();
}

std::string Ipv4Prefix::to_string() const
{
    return strf("%s/%u", m_address.to_string().c_str(), unsigned(m_length));
}

Ipv6Prefix::Ipv6Prefix(Ipv6Address address, uint8_t length)
    : m_address(address)
    , m_length(length > 128 ? 128 : length)
{
}

std::optional<Ipv6Prefix> Ipv6Prefix::parse(std::string_view text)
{
    auto slash = text.find('/');
    if (slash == std::string_view::npos)
        return std::nullopt;
    auto address = Ipv6Address::parse(text.substr(0, slash));
    auto length = parse_prefix_length(text.substr(slash + 1), 128);
    if (!address || !length)
        return std::nullopt;
    return Ipv6Prefix(*address, *length);
}

Ipv6Address Ipv6Prefix::network() const
{
    auto bytes = m_address.bytes();
    for (int bit = m_length; bit < 128; ++bit)
        bytes[bit / 8] &= uint8_t(~(0x80u >> (bit % 8)));
    return Ipv6Address(bytes);
}

bool Ipv6Prefix::contains(const Ipv6Address& address) const
{
    return Ipv6Prefix(address, m_length).network() == network();
}

std::string Ipv6Prefix::to_string() const
{
    return strf("%s/%u", m_address.to_string().c_str(), unsigned(m_length));
}

bool is_valid_interface_name(std::string_view name)
{
    if (name.empty() || name.size() > 15 || name == "." || name == "..")
        return false;
    for (char c : name) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
        if (!ok)
            return false;
    }
    return true;
}

}
