// HTTP/1.1 request writer and the metadata URL. Pure: no sockets.
#pragma once

#include "common/result.h"
#include "http/response_parser.h"
#include "http/transport.h"

#include <string>
#include <string_view>
#include <vector>

namespace mb::http {

enum class Method {
    Get,
    Put,
};

const char* method_name(Method method);

struct Request {
    Method method { Method::Get };
    std::string target; // origin-form: "/latest/meta-data/"
    std::vector<Header> headers;
};

// Serialises a request. Refuses (Error::invalid) a target or header that
// could split the request: CR, LF, NUL, spaces in the target, non-token
// header names. Always sends Host and, for PUT, "Content-Length: 0".
Result<std::string> write_request(const Request& request, const Endpoint& host);

// "http://A.B.C.D[:port][/prefix]". Only http and an IPv4 literal: the
// metadata services are link-local addresses, and the initramfs has neither
// TLS nor a resolver. The optional path prefix is kept without its trailing
// slash ("" for none), so a mock service can live under a sub-path.
struct Url {
    Endpoint endpoint;
    std::string path_prefix;

    static Result<Url> parse(std::string_view text);
    std::string to_string() const;
};

}
