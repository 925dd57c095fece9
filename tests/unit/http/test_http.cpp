#include "http/client.h"
#include "http/request.h"
#include "http/response_parser.h"
#include "http/retry.h"

#include "../fake_transport.h"

#include <doctest/doctest.h>

using namespace mb;
using namespace mb::http;

namespace {

struct Outcome {
    Result<Response> result;
    size_t leftover { 0 };
};

// Feeds `wire` in pieces whose sizes come from `seed` (0: all at once), then
// signals end of stream when `close` is set and the response is incomplete.
Outcome parse(std::string_view wire, uint64_t seed, bool close = true, ParserLimits limits = {})
{
    ResponseParser parser(limits);
    uint64_t state = seed;
    size_t at = 0;
    while (at < wire.size()) {
        size_t piece = wire.size() - at;
        if (seed) {
            state = state * 6364136223846793005ull + 1442695040888963407ull;
            piece = std::min<size_t>(piece, 1 + (state >> 33) % 13);
        }
        auto used = parser.feed(as_bytes(wire.substr(at, piece)));
        if (used.is_error())
            return { used.release_error() };
        at += *used;
        if (parser.is_complete())
            return { parser.take_response(), wire.size() - at };
    }
    if (close) {
        auto finished = parser.finish();
        if (finished.is_error())
            return { finished.release_error() };
        return { parser.take_response() };
    }
    return { Error::timeout("incomplete") };
}

struct Case {
    const char* name;
    std::string wire;
    int status;                 // 0: an error is expected
    ErrorKind error { ErrorKind::Invalid };
    std::string body {};
    bool keep_alive { true };
    size_t leftover { 0 };
};

std::vector<Case> cases()
{
    std::string big_header = "HTTP/1.1 200 OK\r\nX-Big: " + std::string(17000, 'a') + "\r\n\r\n";
    return {
        { "content-length", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 200, {}, "hello" },
        { "empty reason", "HTTP/1.1 404 \r\nContent-Length: 0\r\n\r\n", 404, {}, "" },
        { "no reason at all", "HTTP/1.1 204\r\n\r\n", 204, {}, "" },
        { "bare LF lines", "HTTP/1.1 200 OK\nContent-Length: 2\n\nok", 200, {}, "ok" },
        { "chunked with extensions and trailers",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            "4;name=value;x=\"q\"\r\nWiki\r\n"
            "5\r\npedia\r\n"
            "E ; ext\r\n in\r\n\r\nchunks.\r\n"
            "0;last\r\nExpires: never\r\nX-Trailer: 1\r\n\r\n",
            200, {}, "Wikipedia in\r\n\r\nchunks." },
        { "chunked upper-case hex", "HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n", 200, {}, "0123456789" },
        { "chunked overrides content-length and closes",
            "HTTP/1.1 200 OK\r\nContent-Length: 99\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n", 200, {}, "hi", false },
        { "missing length reads until close", "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nall of it", 200, {}, "all of it", false },
        { "missing length without connection header", "HTTP/1.1 200 OK\r\n\r\nstream", 200, {}, "stream", false },
        { "100 continue then 200", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx", 200, {}, "x" },
        { "103 early hints with headers", "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n", 201, {}, "" },
        { "101 is refused", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n", 0, ErrorKind::Unsupported },
        { "http/1.0 closes by default", "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\na", 200, {}, "a", false },
        { "http/1.0 keep-alive", "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 1\r\n\r\na", 200, {}, "a", true },
        { "connection close", "HTTP/1.1 200 OK\r\nConnection: foo, close\r\nContent-Length: 1\r\n\r\na", 200, {}, "a", false },
        { "bytes after the response are left", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\naEXTRA", 200, {}, "a", true, 5 },
        { "304 has no body", "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", 304, {}, "" },
        { "identical repeated content-length", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nz", 200, {}, "z" },
        { "truncated body", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", 0, ErrorKind::Invalid },
        { "truncated chunked body", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", 0, ErrorKind::Invalid },
        { "truncated headers", "HTTP/1.1 200 OK\r\nContent-Le", 0, ErrorKind::Invalid },
        { "closed before any byte", "", 0, ErrorKind::Io },
        { "bad status line: HTTP/2", "HTTP/2 200 OK\r\n\r\n", 0, ErrorKind::Invalid },
        { "bad status line: garbage", "SSH-2.0-OpenSSH\r\n\r\n", 0, ErrorKind::Invalid },
        { "bad status line: short code", "HTTP/1.1 20 OK\r\n\r\n", 0, ErrorKind::Invalid },
        { "bad status line: code 600", "HTTP/1.1 600 OK\r\n\r\n", 0, ErrorKind::Invalid },
        { "bad status line: no space", "HTTP/1.1 200OK\r\n\r\n", 0, ErrorKind::Invalid },
        { "space before colon", "HTTP/1.1 200 OK\r\nContent-Length : 1\r\n\r\na", 0, ErrorKind::Invalid },
        { "obs-fold", "HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n", 0, ErrorKind::Invalid },
        { "header without colon", "HTTP/1.1 200 OK\r\nnonsense\r\n\r\n", 0, ErrorKind::Invalid },
        { "nul in header value", std::string("HTTP/1.1 200 OK\r\nX: a\0b\r\n\r\n", 27), 0, ErrorKind::Invalid },
        { "negative content-length", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", 0, ErrorKind::Invalid },
        { "conflicting content-length", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\na", 0, ErrorKind::Invalid },
        { "gzip transfer coding", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 0, ErrorKind::Unsupported },
        { "bad chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 0, ErrorKind::Invalid },
        { "chunk without CRLF after data", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXY0\r\n\r\n", 0, ErrorKind::Invalid },
        { "oversize headers", big_header, 0, ErrorKind::TooLarge },
        { "oversize content-length", "HTTP/1.1 200 OK\r\nContent-Length: 209715200\r\n\r\n", 0, ErrorKind::TooLarge },
        { "oversize chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n100001\r\n", 0, ErrorKind::TooLarge },
        { "huge chunk size digits", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n", 0, ErrorKind::Invalid },
    };
}

}

TEST_CASE("response parser table, whole and in random chunk sizes")
{
    for (auto const& c : cases()) {
        for (uint64_t seed = 0; seed < 40; ++seed) {
            CAPTURE(c.name);
            CAPTURE(seed);
            auto outcome = parse(c.wire, seed);
            if (c.status == 0) {
                REQUIRE(outcome.result.is_error());
                CHECK(outcome.result.error().kind() == c.error);
                continue;
            }
            REQUIRE_MESSAGE(outcome.result.ok(), outcome.result.error().message());
            CHECK(outcome.result->status == c.status);
            CHECK(outcome.result->body == c.body);
            CHECK(outcome.result->keep_alive == c.keep_alive);
            if (seed == 0)
                CHECK(outcome.leftover == c.leftover);
        }
    }
}

TEST_CASE("response headers are kept in order and found case-insensitively")
{
    auto outcome = parse("HTTP/1.1 200 Fine\r\nX-A:  one \r\nx-b:\ttwo\r\nContent-Length: 0\r\n\r\n", 7);
    REQUIRE(outcome.result.ok());
    CHECK(outcome.result->reason == "Fine");
    CHECK(outcome.result->header("X-A") == "one");
    CHECK(outcome.result->header("X-B") == "two");
    CHECK_FALSE(outcome.result->header("X-C").has_value());
}

TEST_CASE("a body cap smaller than the default applies to every framing")
{
    ParserLimits limits { 16 * 1024, 4 };
    CHECK(parse("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nabcd", 3, true, limits).result.ok());
    CHECK(parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabcde", 3, true, limits).result.error().kind() == ErrorKind::TooLarge);
    CHECK(parse("HTTP/1.1 200 OK\r\n\r\nabcde", 3, true, limits).result.error().kind() == ErrorKind::TooLarge);
    CHECK(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", 3, true, limits).result.error().kind() == ErrorKind::TooLarge);
}

TEST_CASE("a parser error is sticky")
{
    ResponseParser parser;
    CHECK(parser.feed(as_bytes("XTTP/1.1 200 OK\r\n")).is_error());
    CHECK(parser.feed(as_bytes("HTTP/1.1 200 OK\r\n")).is_error());
    CHECK(parser.finish().is_error());
}

TEST_CASE("request writer")
{
    Endpoint endpoint { Ipv4Address(169, 254, 169, 254), 80 };
    Request put { Method::Put, "/latest/api/token", { { "X-aws-ec2-metadata-token-ttl-seconds", "21600" } } };
    auto wire = write_request(put, endpoint);
    REQUIRE(wire.ok());
    CHECK(wire->starts_with("PUT /latest/api/token HTTP/1.1\r\nHost: 169.254.169.254\r\n"));
    CHECK(wire->find("X-aws-ec2-metadata-token-ttl-seconds: 21600\r\n") != std::string::npos);
    CHECK(wire->ends_with("Content-Length: 0\r\n\r\n"));

    auto other_port = write_request({ Method::Get, "/", {} }, { Ipv4Address(127, 0, 0, 1), 8080 });
    CHECK(other_port->find("Host: 127.0.0.1:8080\r\n") != std::string::npos);
    // RFC 9110 §7.2: an IPv6 literal in brackets, the port only when not 80.
    Endpoint six { {}, 80, Ipv6Address::parse("fe80::a9fe:a9fe") };
    CHECK(write_request({ Method::Get, "/hetzner/v1/metadata", {} }, six)->find("\r\nHost: [fe80::a9fe:a9fe]\r\n") != std::string::npos);
    six.port = 8080;
    CHECK(write_request({ Method::Get, "/", {} }, six)->find("\r\nHost: [fe80::a9fe:a9fe]:8080\r\n") != std::string::npos);
    CHECK(other_port->find("Content-Length") == std::string::npos);

    CHECK(write_request({ Method::Get, "/a b", {} }, endpoint).is_error());
    CHECK(write_request({ Method::Get, "/a\r\nX: y", {} }, endpoint).is_error());
    CHECK(write_request({ Method::Get, "relative", {} }, endpoint).is_error());
    CHECK(write_request({ Method::Get, "/", { { "X", "token\r\nInjected: 1" } } }, endpoint).is_error());
    CHECK(write_request({ Method::Get, "/", { { "Bad Name", "v" } } }, endpoint).is_error());
}

TEST_CASE("metadata URL parsing is strict")
{
    auto url = Url::parse("http://169.254.169.254");
    REQUIRE(url.ok());
    CHECK(url->endpoint.port == 80);
    CHECK(url->path_prefix.empty());
    auto with_port = Url::parse("HTTP://127.0.0.1:8080/mock/");
    REQUIRE(with_port.ok());
    CHECK(with_port->endpoint.port == 8080);
    CHECK(with_port->path_prefix == "/mock");
    CHECK(with_port->to_string() == "http://127.0.0.1:8080/mock");
    // RFC 3986 §3.2.2 literals: EC2's IPv6-only service, Hetzner's link-local one.
    auto ula = Url::parse("http://[fd00:ec2::254]/latest/");
    REQUIRE(ula.ok());
    CHECK(ula->endpoint.address6 == Ipv6Address::parse("fd00:ec2::254"));
    CHECK(ula->endpoint.port == 80);
    CHECK(ula->path_prefix == "/latest");
    CHECK(ula->to_string() == "http://[fd00:ec2::254]/latest");
    auto scoped = Url::parse("http://[FE80::A9FE:A9FE]:8080");
    REQUIRE(scoped.ok());
    CHECK(scoped->endpoint.port == 8080);
    CHECK(scoped->endpoint.to_string() == "[fe80::a9fe:a9fe]:8080");
    for (auto bad : { "https://169.254.169.254", "http://metadata.google.internal", "http://169.254.169.254:0",
             "http://169.254.169.254:65536", "http://169.254.169.254:8x", "169.254.169.254", "http://[fe80::a9fe:a9fe%25eth0]/",
             "http://[fe80::a9fe:a9fe%eth0]/", "http://[fd00:ec2::254", "http://[]/", "http://[1.2.3.4]/", "http://fd00:ec2::254/",
             "http://[fd00:ec2::254]:/", "http://[fd00:ec2::254]x/", "http://169.254.169.254/?q", "http://1.2.3/" }) {
        CAPTURE(bad);
        CHECK(Url::parse(bad).is_error());
    }
}

TEST_CASE("client reuses one keep-alive connection and reconnects after close")
{
    testing::FakeTime time;
    int served = 0;
    testing::FakeTransport transport(time, [&](const testing::FakeRequest& request) {
        ++served;
        testing::FakeReply reply { testing::http_reply(200, request.target) };
        if (request.target == "/close")
            reply.bytes = "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 3\r\n\r\nbye";
        return reply;
    });
    Client client(transport, time, { Ipv4Address(169, 254, 169, 254), 80 }, time.now() + std::chrono::seconds(10));
    for (auto target : { "/a", "/b", "/c" }) {
        auto response = client.send({ Method::Get, target, {} }, Milliseconds(1000));
        REQUIRE(response.ok());
        CHECK(response->body == target);
    }
    CHECK(transport.connects == 1);
    CHECK(client.send({ Method::Get, "/close", {} }, Milliseconds(1000)).ok());
    CHECK(client.send({ Method::Get, "/d", {} }, Milliseconds(1000)).ok());
    CHECK(transport.connects == 2);
    CHECK(client.records().size() == 5);
    CHECK(client.records()[1].reused_connection);
    CHECK_FALSE(client.records()[4].reused_connection);
}

TEST_CASE("client does not follow redirects")
{
    testing::FakeTime time;
    testing::FakeTransport transport(time, [&](const testing::FakeRequest&) {
        return testing::FakeReply { testing::http_reply(301, "", "Location: http://10.0.0.1/\r\n") };
    });
    Client client(transport, time, { Ipv4Address(169, 254, 169, 254), 80 }, time.now() + std::chrono::seconds(10));
    auto response = client.send({ Method::Get, "/", {} }, Milliseconds(1000));
    REQUIRE(response.ok());
    CHECK(response->status == 301);
    CHECK(transport.requests.size() == 1);
}

TEST_CASE("client: a stalled server times out at the request timeout, and never past the run deadline")
{
    testing::FakeTime time;
    testing::FakeTransport transport(time, [&](const testing::FakeRequest&) {
        return testing::FakeReply { testing::http_reply(200, "late"), false, Milliseconds(60000) };
    });
    auto start = time.now();
    Client client(transport, time, { Ipv4Address(169, 254, 169, 254), 80 }, start + Milliseconds(1500));
    auto first = client.send({ Method::Get, "/", {} }, Milliseconds(1000));
    REQUIRE(first.is_error());
    CHECK(first.error().kind() == ErrorKind::Timeout);
    CHECK(time.now() - start == Milliseconds(1000));
    auto second = client.send({ Method::Get, "/", {} }, Milliseconds(1000));
    CHECK(second.error().kind() == ErrorKind::Timeout);
    CHECK(time.now() - start == Milliseconds(1500));
    auto third = client.send({ Method::Get, "/", {} }, Milliseconds(1000));
    CHECK(third.error().kind() == ErrorKind::Timeout);
    CHECK(time.now() - start == Milliseconds(1500));
}

TEST_CASE("client: oversize body is capped and the connection dropped")
{
    testing::FakeTime time;
    testing::FakeTransport transport(time, [&](const testing::FakeRequest& request) {
        if (request.target == "/big")
            return testing::FakeReply { "HTTP/1.1 200 OK\r\nContent-Length: 209715200\r\n\r\n" + std::string(4096, 'x') };
        return testing::FakeReply { testing::http_reply(200, "ok") };
    });
    Client client(transport, time, { Ipv4Address(169, 254, 169, 254), 80 }, time.now() + std::chrono::seconds(10));
    auto big = client.send({ Method::Get, "/big", {} }, Milliseconds(1000));
    REQUIRE(big.is_error());
    CHECK(big.error().kind() == ErrorKind::TooLarge);
    CHECK(client.send({ Method::Get, "/small", {} }, Milliseconds(1000)).ok());
    CHECK(transport.connects == 2);
}

TEST_CASE("client resends once when a reused connection turns out closed")
{
    testing::FakeTime time;
    int count = 0;
    testing::FakeTransport transport(time, [&](const testing::FakeRequest&) {
        ++count;
        if (count == 2)
            return testing::FakeReply { "", true }; // idle close raced our request
        return testing::FakeReply { testing::http_reply(200, "ok") };
    });
    Client client(transport, time, { Ipv4Address(169, 254, 169, 254), 80 }, time.now() + std::chrono::seconds(10));
    CHECK(client.send({ Method::Get, "/1", {} }, Milliseconds(1000)).ok());
    auto second = client.send({ Method::Get, "/2", {} }, Milliseconds(1000));
    REQUIRE_MESSAGE(second.ok(), second.error().message());
    CHECK(transport.connects == 2);
    CHECK(count == 3);
}

TEST_CASE("retry: backoff grows, is jittered within bounds, and stops at the deadline")
{
    testing::FakeTime time;
    Retrier retrier({ 10, Milliseconds(100), Milliseconds(800) }, time, time.now() + std::chrono::seconds(60), 42);
    for (unsigned retry = 1; retry <= 8; ++retry) {
        auto step = std::min<int64_t>(100 << (retry - 1), 800);
        for (int i = 0; i < 50; ++i) {
            auto delay = retrier.delay_for(retry).count();
            CHECK(delay >= step / 2);
            CHECK(delay <= step);
        }
    }

    int attempts = 0;
    auto flaky = [&]() -> Result<Response> {
        ++attempts;
        if (attempts == 1)
            return Error::io("connect: Connection refused");
        if (attempts == 2)
            return Response { 503, "", {}, "", true };
        if (attempts == 3)
            return Response { 429, "", {}, "", true };
        return Response { 200, "", {}, "ok", true };
    };
    Retrier patient({ 5, Milliseconds(100), Milliseconds(800) }, time, time.now() + std::chrono::seconds(60), 1);
    auto result = patient.run(flaky);
    REQUIRE(result.ok());
    CHECK(result->status == 200);
    CHECK(attempts == 4);

    attempts = 0;
    auto always_500 = [&]() -> Result<Response> {
        ++attempts;
        return Response { 500, "", {}, "", true };
    };
    auto start = time.now();
    Retrier short_deadline({ 100, Milliseconds(100), Milliseconds(800) }, time, start + Milliseconds(1000), 1);
    CHECK(short_deadline.run(always_500)->status == 500);
    CHECK(time.now() < start + Milliseconds(1000));
    CHECK(attempts >= 2);

    attempts = 0;
    auto not_retried = [&]() -> Result<Response> {
        ++attempts;
        return attempts == 1 ? Result<Response>(Error::timeout("read timed out")) : Result<Response>(Response { 404, "", {}, "", true });
    };
    Retrier r({ 5, Milliseconds(1), Milliseconds(8) }, time, time.now() + std::chrono::seconds(60), 1);
    CHECK(r.run(not_retried).is_error());
    CHECK(attempts == 1);
}

namespace {

std::vector<Request> gets(std::initializer_list<const char*> targets)
{
    std::vector<Request> out;
    for (auto target : targets)
        out.push_back({ Method::Get, target, {} });
    return out;
}

bool not_answered(const Result<Response>& result)
{
    return result.is_error() && result.error().kind() == ErrorKind::Io && result.error().message().find("not answered") != std::string::npos;
}

}

TEST_CASE("client: pipelined requests go out in one write and come back in order, in any chunking")
{
    for (uint64_t seed = 1; seed <= 20; ++seed) {
        testing::FakeTime time;
        testing::FakeTransport transport(time, [&](const testing::FakeRequest& request) {
            return testing::FakeReply { testing::http_reply(200, "body of " + request.target) };
        }, seed);
        Client client(transport, time, { Ipv4Address(169, 254, 169, 254), 80 }, time.now() + std::chrono::seconds(10));
        auto requests = gets({ "/a", "/b", "/c", "/d", "/e" });
        auto results = client.send_pipelined(requests, Milliseconds(1000));
        REQUIRE(results.size() == 5);
        for (size_t i = 0; i < 5; ++i) {
            REQUIRE(results[i].ok());
            CHECK(results[i]->body == "body of " + requests[i].target);
        }
        CHECK(transport.writes == 1);
        CHECK(transport.connects == 1);
        CHECK(client.records().size() == 5);
        // The connection stays usable for what comes next.
        CHECK(client.send({ Method::Get, "/f", {} }, Milliseconds(1000)).ok());
        CHECK(transport.connects == 1);
    }
}

TEST_CASE("client: what a pipeline leaves unanswered is reported as such, never as someone else's answer")
{
    struct Case {
        const char* name;
        std::function<testing::FakeReply(const std::string& target)> reply;
        size_t answered;
    };
    const Case cases[] = {
        { "the server closes after the second answer",
            [](const std::string& target) { return testing::FakeReply { testing::http_reply(200, target), target == "/b" }; }, 2 },
        { "the second answer asks to close",
            [](const std::string& target) {
                return testing::FakeReply { testing::http_reply(200, target, target == "/b" ? "Connection: close\r\n" : "") };
            },
            2 },
        { "the third answer is out of shape",
            [](const std::string& target) {
                return testing::FakeReply { target == "/c" ? std::string("HTTP/1.1 2x0 OK\r\n\r\n") : testing::http_reply(200, target) };
            },
            2 },
        { "the third is never answered (a server that drops pipelined requests)",
            [](const std::string& target) {
                return testing::FakeReply { testing::http_reply(200, target), false, Milliseconds(target == "/c" ? 60000 : 0) };
            },
            2 },
        { "the connection is reset after the first answer",
            [](const std::string& target) { return testing::FakeReply { target == "/b" ? "" : testing::http_reply(200, target), false, {}, target == "/b" }; }, 1 },
    };
    for (auto const& c : cases) {
        CAPTURE(c.name);
        testing::FakeTime time;
        testing::FakeTransport transport(time, [&](const testing::FakeRequest& request) { return c.reply(request.target); });
        Client client(transport, time, { Ipv4Address(169, 254, 169, 254), 80 }, time.now() + std::chrono::seconds(10));
        auto requests = gets({ "/a", "/b", "/c", "/d" });
        auto results = client.send_pipelined(requests, Milliseconds(1000));
        REQUIRE(results.size() == 4);
        for (size_t i = 0; i < c.answered; ++i) {
            REQUIRE(results[i].ok());
            CHECK(results[i]->body == requests[i].target);
        }
        for (size_t i = c.answered; i < 4; ++i) {
            CAPTURE(i);
            if (c.answered == 1 && i == 1)
                CHECK((results[i].is_error() && results[i].error().kind() == ErrorKind::Io)); // the reset itself
            else
                CHECK(not_answered(results[i]));
        }
        CHECK(client.records().size() == 4);
        // A later request gets a fresh connection and its own answer.
        auto after = client.send({ Method::Get, "/z", {} }, Milliseconds(1000));
        REQUIRE(after.ok());
        CHECK(after->body == "/z");
        CHECK(transport.connects == 2);
    }
}

TEST_CASE("client: a pipeline whose first answer never comes times out once, at the request timeout")
{
    testing::FakeTime time;
    testing::FakeTransport transport(time, [&](const testing::FakeRequest&) {
        return testing::FakeReply { testing::http_reply(200, "late"), false, Milliseconds(60000) };
    });
    auto start = time.now();
    Client client(transport, time, { Ipv4Address(169, 254, 169, 254), 80 }, start + Milliseconds(5000));
    auto results = client.send_pipelined(gets({ "/a", "/b", "/c" }), Milliseconds(1000));
    REQUIRE(results.size() == 3);
    CHECK(results[0].error().kind() == ErrorKind::Timeout);
    CHECK(not_answered(results[1]));
    CHECK(time.now() - start == Milliseconds(1000));
}
