#include "dhcp/options.h"

#include "common/dns_name.h"
#include "common/format.h"

namespace mb::dhcp {

namespace {

// Reads one wire-format name starting at `start`; on success `next` is the
// offset just after the name's own bytes (not after any pointer target).
Result<std::string> read_wire_name(ByteSpan data, size_t start, size_t& next)
{
    std::string name;
    size_t position = start;
    // RFC 1035 §4.1.4 lets a pointer name any earlier octet. Requiring each
    // pointer to land strictly before the lowest offset this name has read so
    // far makes the floor fall with every jump, so a crafted loop cannot spin:
    // at most data.size() jumps are possible.
    size_t floor = start;
    bool jumped = false;
    for (;;) {
        if (position >= data.size())
            return Error::invalid("domain search: name runs past the end");
        uint8_t length = data[position];
        if (length == 0) {
            if (!jumped)
                next = position + 1;
            break;
        }
        if ((length & 0xc0) == 0xc0) {
            if (position + 1 >= data.size())
                return Error::invalid("domain search: truncated pointer");
            size_t target = (size_t(length & 0x3f) << 8) | data[position + 1];
            if (target >= floor)
                return Error::invalid("domain search: pointer does not point backwards");
            if (!jumped)
                next = position + 2;
            jumped = true;
            floor = target;
            position = target;
            continue;
        }
        // 0x40 and 0x80 are the reserved label types of RFC 1035 §4.1.4 and
        // the extended types of RFC 6891; neither belongs in a search list.
        if (length & 0xc0)
            return Error::invalid("domain search: unsupported label type");
        if (position + 1 + length > data.size())
            return Error::invalid("domain search: label runs past the end");
        std::string_view label(reinterpret_cast<const char*>(&data[position + 1]), length);
        if (!is_valid_dns_label(label))
            return Error::invalid("domain search: label is not a host name label");
        if (!name.empty())
            name += '.';
        name += label;
        if (name.size() > max_dns_name_length)
            return Error::invalid("domain search: name longer than 253 octets");
        position += 1 + length;
    }
    if (name.empty())
        return Error::invalid("domain search: empty (root) name");
    return name;
}

}

Result<std::string> decode_dns_name_text(ByteSpan data)
{
    std::string_view text(reinterpret_cast<const char*>(data.data()), data.size());
    while (!text.empty() && text.back() == '\0')
        text.remove_suffix(1);
    if (!text.empty() && text.back() == '.')
        text.remove_suffix(1);
    if (!is_valid_dns_name(text))
        return Error::invalid("not a valid DNS name");
    return std::string(text);
}

Result<std::vector<std::string>> decode_domain_search(ByteSpan data)
{
    // An empty option names no domain, and no server sends one on purpose:
    // treated as malformed like any other option that says nothing.
    if (data.empty())
        return Error::invalid("domain search: empty");
    std::vector<std::string> names;
    size_t offset = 0;
    while (offset < data.size()) {
        size_t next = offset;
        names.push_back(TRY(read_wire_name(data, offset, next)));
        offset = next;
    }
    return names;
}

Bytes encode_domain_search(std::span<const std::string> names)
{
    ByteWriter writer;
    for (auto const& name : names) {
        size_t begin = 0;
        for (;;) {
            size_t dot = name.find('.', begin);
            size_t end = dot == std::string::npos ? name.size() : dot;
            writer.put_u8(static_cast<uint8_t>(end - begin));
            writer.put_bytes(as_bytes(std::string_view(name).substr(begin, end - begin)));
            if (dot == std::string::npos)
                break;
            begin = dot + 1;
        }
        writer.put_u8(0);
    }
    return writer.take();
}

Result<std::vector<ClasslessRoute>> decode_classless_routes(ByteSpan data)
{
    // RFC 3442 (option format): "The minimum length of this option is 5
    // bytes", one default route.
    if (data.size() < 5)
        return Error::invalid("classless routes: shorter than one route");
    std::vector<ClasslessRoute> routes;
    ByteReader reader(data);
    while (!reader.at_end()) {
        uint8_t length = reader.read_u8();
        if (length > 32)
            return Error::invalid(strf("classless routes: prefix length %u > 32", unsigned(length)));
        // RFC 3442 (option format): only the significant octets of the
        // destination are sent, ceil(length / 8) of them.
        size_t significant = (size_t(length) + 7) / 8;
        auto octets = reader.read_bytes(significant);
        uint32_t destination = 0;
        for (size_t k = 0; k < octets.size(); ++k)
            destination |= uint32_t(octets[k]) << (24 - 8 * k);
        Ipv4Address router(reader.read_u32());
        if (!reader.ok())
            return Error::invalid("classless routes: truncated route");
        Ipv4Prefix prefix(Ipv4Address(destination), length);
        // RFC 3442 does not say what host bits inside the last significant
        // octet mean. The kernel refuses such a route ("Invalid prefix for
        // given prefix length"), and guessing what the server meant would
        // install a route nobody configured, so the whole option is refused.
        if (prefix.network() != prefix.address())
            return Error::invalid(strf("classless routes: %s has host bits set", prefix.to_string().c_str()));
        routes.push_back({ prefix, router });
    }
    return routes;
}

Bytes encode_classless_routes(std::span<const ClasslessRoute> routes)
{
    ByteWriter writer;
    for (auto const& route : routes) {
        uint8_t length = route.destination.length();
        writer.put_u8(length);
        auto network = route.destination.network().octets();
        writer.put_bytes(ByteSpan(network.data(), (size_t(length) + 7) / 8));
        writer.put_u32(route.router.value());
    }
    return writer.take();
}

}
