// Strong, host-order address types. Everything that reaches a config file is
// re-printed from one of these, never copied from the text a peer sent.
#pragma once

#include "common/result.h"

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mb {

class Ipv4Address {
public:
    constexpr Ipv4Address() = default;
    constexpr explicit Ipv4Address(uint32_t host_order)
        : m_value(host_order)
    {
    }
    constexpr Ipv4Address(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
        : m_value((uint32_t(a) << 24) | (uint32_t(b) << 16) | (uint32_t(c) << 8) | d)
    {
    }

    // Strict dotted quad: four decimal parts 0..255, no leading zeros (which
    // inet_aton would read as octal), nothing before or after.
    static std::optional<Ipv4Address> parse(std::string_view text);

    constexpr uint32_t value() const { return m_value; }
    std::array<uint8_t, 4> octets() const
    {
        return { uint8_t(m_value >> 24), uint8_t(m_value >> 16), uint8_t(m_value >> 8), uint8_t(m_value) };
    }
    bool is_unspecified() const { return m_value == 0; }
    std::string to_string() const;

    constexpr auto operator<=>(const Ipv4Address&) const = default;

private:
    uint32_t m_value { 0 };
};

class Ipv6Address {
public:
    constexpr Ipv6Address() = default;
    constexpr explicit Ipv6Address(std::array<uint8_t, 16> bytes)
        : m_bytes(bytes)
    {
    }

    // RFC 4291 §2.2 text forms, including "::" and a trailing dotted quad.
    // No zone index: a metadata value never needs one.
    static std::optional<Ipv6Address> parse(std::string_view text);

    const std::array<uint8_t, 16>& bytes() const { return m_bytes; }
    bool is_unspecified() const;
    // RFC 5952 canonical form: lowercase, longest zero run compressed.
    std::string to_string() const;

    constexpr auto operator<=>(const Ipv6Address&) const = default;

private:
    std::array<uint8_t, 16> m_bytes {};
};

class MacAddress {
public:
    constexpr MacAddress() = default;
    constexpr explicit MacAddress(std::array<uint8_t, 6> bytes)
        : m_bytes(bytes)
    {
    }

    // Six pairs of hex digits separated by ':', or without separators
    // (either case).
    static std::optional<MacAddress> parse(std::string_view text);

    const std::array<uint8_t, 6>& bytes() const { return m_bytes; }
    bool is_zero() const;
    std::string to_string() const; // lowercase, colon separated

    constexpr auto operator<=>(const MacAddress&) const = default;

private:
    std::array<uint8_t, 6> m_bytes {};
};

// An address with a prefix length. The address keeps its host bits, so the
// same type holds "198.18.0.10/24" (an interface address) and "198.18.0.0/24"
// (a subnet); network() masks.
class Ipv4Prefix {
public:
    constexpr Ipv4Prefix() = default;
    // Callers pass length <= 32; a larger one is clamped.
    Ipv4Prefix(Ipv4Address address, uint8_t length);

    static std::optional<Ipv4Prefix> parse(std::string_view text); // "a.b.c.d/n"
    // A contiguous netmask ("255.255.255.0") to a length, or nothing.
    static std::optional<uint8_t> length_from_netmask(Ipv4Address mask);

    Ipv4Address address() const { return m_address; }
    uint8_t length() const { return m_length; }
    Ipv4Address netmask() const;
    Ipv4Address network() const;
    Ipv4Address broadcast() const;
    bool contains(Ipv4Address address) const;
    std::string to_string() const;

    constexpr auto operator<=>(const Ipv4Prefix&) const = default;

private:
    Ipv4Address m_address;
    uint8_t m_length { 0 };
};

class Ipv6Prefix {
public:
    constexpr Ipv6Prefix() = default;
    Ipv6Prefix(Ipv6Address address, uint8_t length);

    static std::optional<Ipv6Prefix> parse(std::string_view text); // "addr/n"

    Ipv6Address address() const { return m_address; }
    uint8_t length() const { return m_length; }
    Ipv6Address network() const;
    bool contains(const Ipv6Address& address) const;
    std::string to_string() const;

    constexpr auto operator<=>(const Ipv6Prefix&) const = default;

private:
    Ipv6Address m_address;
    uint8_t m_length { 0 };
};

// Linux interface names: 1..15 bytes, not "." or "..", no '/', ':', or
// whitespace (dev_valid_name() in net/core/dev.c). We are stricter still and
// allow only [A-Za-z0-9_.-], so a name is always safe in YAML and in
// /etc/network/interfaces.
bool is_valid_interface_name(std::string_view name);

}
