#include "http/request.h"

#include "common/format.h"
#include "common/text.h"
#include "http/grammar.h"

#include <algorithm>

// The Makefile defines it; standalone builds (fuzzers) do not.
#ifndef METABOOT_VERSION
#define METABOOT_VERSION "dev"
#endif

namespace mb::http {

const char* method_name(Method method)
{
    switch (method) {
    case Method::Get: return "GET";
    case Method::Put: return "PUT";
    }
    return "GET";
}

std::string Endpoint::host() const
{
    return address6 ? strf("[%s]", address6->to_string().c_str()) : address.to_string();
}

std::string Endpoint::to_string() const
{
    return strf("%s:%u", host().c_str(), unsigned(port));
}

namespace {

// Visible ASCII only: no space, no controls, nothing that ends the line.
bool is_target(std::string_view target)
{
    return !target.empty() && target.front() == '/' && std::all_of(target.begin(), target.end(), [](char c) {
        return c > 0x20 && c < 0x7f;
    });
}

bool is_header_value(std::string_view value)
{
    return std::all_of(value.begin(), value.end(), [](char c) {
        return c == '\t' || (c >= 0x20 && c < 0x7f);
    });
}

}

Result<std::string> write_request(const Request& request, const Endpoint& host)
{
    if (!is_target(request.target))
        return Error::invalid("request target is not a printable origin-form path");
    std::string out;
    out.reserve(128 + request.target.size());
    out += method_name(request.method);
    out += ' ';
    out += request.target;
    out += " HTTP/1.1\r\nHost: ";
    // RFC 9110 §7.2: the port may be omitted when it is the scheme's default.
    out += host.port == 80 ? host.host() : host.to_string();
    out += "\r\nUser-Agent: metaboot/" METABOOT_VERSION "\r\nAccept: */*\r\n";
    for (auto const& header : request.headers) {
        if (!is_token(header.name))
            return Error::invalid("bad request header name");
        if (!is_header_value(header.value))
            return Error::invalid(strf("request header %s has a control character", header.name.c_str()));
        out += header.name;
        out += ": ";
        out += header.value;
        out += "\r\n";
    }
    if (request.method == Method::Put)
        out += "Content-Length: 0\r\n";
    out += "\r\n";
    return out;
}

Result<Url> Url::parse(std::string_view text)
{
    constexpr std::string_view scheme = "http://";
    if (text.size() < scheme.size() || !iequals(text.substr(0, scheme.size()), scheme))
        return Error::invalid("metadata URL must start with http:// (no TLS in the initramfs)");
    text.remove_prefix(scheme.size());
    auto slash = text.find('/');
    auto authority = text.substr(0, slash);
    auto path = slash == std::string_view::npos ? std::string_view {} : text.substr(slash);

    Url url;
    // RFC 3986 §3.2.2: an IPv6 literal in brackets. No zone (RFC 6874): the
    // NIC of a link-local one is the reach's.
    auto colon = authority.find(':', authority.starts_with('[') ? authority.find(']') : 0);
    auto host = authority.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
        url.endpoint.address6 = Ipv6Address::parse(host.substr(1, host.size() - 2));
        if (!url.endpoint.address6)
            return Error::invalid(strf("bad IPv6 literal in metadata URL: '%.*s'", int(host.size()), host.data()));
    } else if (auto address = Ipv4Address::parse(host)) {
        url.endpoint.address = *address;
    } else {
        return Error::invalid(strf("metadata URL host must be an IPv4 or [IPv6] literal, got '%.*s'", int(host.size()), host.data()));
    }
    if (colon != std::string_view::npos) {
        auto port = parse_decimal(authority.substr(colon + 1), 65535);
        if (!port || *port == 0)
            return Error::invalid("bad port in metadata URL");
        url.endpoint.port = uint16_t(*port);
    }
    while (!path.empty() && path.back() == '/')
        path.remove_suffix(1);
    if (!path.empty() && !is_target(path))
        return Error::invalid("bad path in metadata URL");
    if (path.find('?') != std::string_view::npos || path.find('#') != std::string_view::npos)
        return Error::invalid("metadata URL must not carry a query or fragment");
    url.path_prefix = std::string(path);
    return url;
}

std::string Url::to_string() const
{
    std::string out = "http://" + endpoint.host();
    if (endpoint.port != 80)
        out += strf(":%u", unsigned(endpoint.port));
    return out + path_prefix;
}

}
