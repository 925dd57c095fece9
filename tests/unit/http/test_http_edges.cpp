// The response parser's and the client's rarer paths, each with its exact
// outcome (issue 19 item 4): the error message a malformed or oversize
// response gets, and what the client does with a failed write, an invalid
// request and a body delimited by the server's close.
#include "http/client.h"
#include "http/request.h"
#include "http/response_parser.h"

#include "../fake_transport.h"

#include <doctest/doctest.h>

#include <cerrno>
#include <set>

using namespace mb;
using namespace mb::http;

namespace {

// Feeds the wire one byte at a time (the parser's slowest path), then
// signals the end of the stream.
Result<Response> parse_bytewise(std::string_view wire, ParserLimits limits = {})
{
    ResponseParser parser(limits);
    for (size_t at = 0; at < wire.size() && !parser.is_complete(); ++at)
        TRY(parser.feed(as_bytes(wire.substr(at, 1))));
    if (!parser.is_complete())
        TRY(parser.finish());
    return parser.take_response();
}

// A FakeTransport whose writes with the given numbers (1-based) fail as a
// write to a connection the peer has reset does.
class FailingWrites final : public Transport {
public:
    FailingWrites(testing::FakeTransport& inner, std::set<unsigned> failing)
        : m_inner(inner)
        , m_failing(std::move(failing))
    {
    }
    Status connect(const Endpoint& endpoint, TimePoint deadline) override { return m_inner.connect(endpoint, deadline); }
    Status write_all(ByteSpan data, TimePoint deadline) override
    {
        if (m_failing.count(++writes))
            return Error::io("send", EPIPE); // as the TCP transport words it
        return m_inner.write_all(data, deadline);
    }
    Result<size_t> read(std::span<uint8_t> buffer, TimePoint deadline) override { return m_inner.read(buffer, deadline); }
    void close() override { m_inner.close(); }

    unsigned writes { 0 };

private:
    testing::FakeTransport& m_inner;
    std::set<unsigned> m_failing;
};

const Endpoint service { Ipv4Address(169, 254, 169, 254), 80 };

}

TEST_CASE("response parser edges: the exact error for each malformed or oversize response")
{
    struct Case {
        const char* name;
        std::string wire;
        size_t max_header_bytes;
        ErrorKind kind;
        const char* message;
    };
    const std::string chunked_head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    const Case cases[] = {
        { "control character in the reason phrase", "HTTP/1.1 200 O\x01K\r\nContent-Length: 0\r\n\r\n", 16 * 1024, ErrorKind::Invalid, "control character in reason phrase" },
        { "Transfer-Encoding twice", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 16 * 1024, ErrorKind::Invalid, "repeated Transfer-Encoding" },
        { "a trailer line without a colon", chunked_head + "0\r\nExpires never\r\n\r\n", 16 * 1024, ErrorKind::Invalid, "bad trailer line" },
        { "a trailer section past the header cap", chunked_head + "0\r\nX-T: " + std::string(64, 't') + "\r\n\r\n", 64, ErrorKind::TooLarge, "chunked trailer section too large" },
        { "a chunk size line past the header cap", chunked_head + "1;" + std::string(80, 'e') + "\r\nx\r\n0\r\n\r\n", 64, ErrorKind::TooLarge, "chunk size line too long" },
        { "closed after empty lines only", "\r\n\r\n", 16 * 1024, ErrorKind::Invalid, "connection closed in the middle of the response (truncated)" },
    };
    for (auto const& c : cases) {
        INFO(std::string(c.name));
        auto result = parse_bytewise(c.wire, { c.max_header_bytes, 1024 * 1024 });
        REQUIRE(result.is_error());
        CHECK(result.error().kind() == c.kind);
        CHECK(result.error().message() == c.message);
    }
}

TEST_CASE("response parser edges: empty lines before the status line, lower-case chunk sizes, finish() after completion")
{
    // RFC 9112 §2.2: empty lines before the start line are ignored.
    auto leading = parse_bytewise("\r\n\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx");
    REQUIRE_MESSAGE(leading.ok(), leading.error().message());
    CHECK(leading->status == 200);
    CHECK(leading->body == "x");

    auto lower = parse_bytewise("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nb\r\nhello world\r\n0\r\n\r\n");
    REQUIRE_MESSAGE(lower.ok(), lower.error().message());
    CHECK(lower->body == "hello world");

    // The end of the stream after a complete response changes nothing.
    ResponseParser parser;
    REQUIRE(parser.feed(as_bytes(std::string_view("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))).ok());
    REQUIRE(parser.is_complete());
    CHECK(parser.finish().ok());
    auto response = parser.take_response();
    CHECK(response.body == "ok");
    CHECK(response.keep_alive);
}

TEST_CASE("client edges: a request the writer refuses is recorded and never sent")
{
    testing::FakeTime time;
    testing::FakeTransport transport(time, [](const testing::FakeRequest&) { return testing::FakeReply { testing::http_reply(200, "") }; });
    Client client(transport, time, service, time.now() + std::chrono::seconds(10));
    auto one = client.send({ Method::Get, "/a b", {} }, Milliseconds(1000));
    REQUIRE(one.is_error());
    CHECK(one.error().kind() == ErrorKind::Invalid);
    CHECK(one.error().message() == "request target is not a printable origin-form path");
    REQUIRE(client.records().size() == 1);
    CHECK(client.records()[0].status == 0);

    // In a pipelined batch one bad request refuses the batch: nothing goes out.
    std::vector<Request> batch { { Method::Get, "/good", {} }, { Method::Get, "/bad\r\nX: y", {} } };
    auto results = client.send_pipelined(batch, Milliseconds(1000));
    REQUIRE(results.size() == 2);
    for (auto const& result : results) {
        REQUIRE(result.is_error());
        CHECK(result.error().message() == "request target is not a printable origin-form path");
    }
    CHECK(transport.connects == 0);
    CHECK(transport.writes == 0);
}

TEST_CASE("client edges: a write that fails on a reused connection is sent once more on a fresh one; on a fresh one it is the error")
{
    testing::FakeTime time;
    testing::FakeTransport inner(time, [](const testing::FakeRequest& request) { return testing::FakeReply { testing::http_reply(200, request.target) }; });
    FailingWrites transport(inner, { 2 });
    Client client(transport, time, service, time.now() + std::chrono::seconds(10));
    auto first = client.send({ Method::Get, "/a", {} }, Milliseconds(1000));
    REQUIRE(first.ok());
    // Write 2 fails on the kept-alive connection: write 3 on a new one.
    auto second = client.send({ Method::Get, "/b", {} }, Milliseconds(1000));
    REQUIRE_MESSAGE(second.ok(), second.error().message());
    CHECK(second->body == "/b");
    CHECK(inner.connects == 2);
    CHECK(transport.writes == 3);
    // On a fresh connection the failure is not retried.
    client.close();
    FailingWrites fresh_failure(inner, { 1 });
    Client fresh(fresh_failure, time, service, time.now() + std::chrono::seconds(10));
    auto refused = fresh.send({ Method::Get, "/c", {} }, Milliseconds(1000));
    REQUIRE(refused.is_error());
    CHECK(refused.error().kind() == ErrorKind::Io);
    CHECK(refused.error().message() == "send: Broken pipe");
    CHECK(fresh_failure.writes == 1);
}

TEST_CASE("client edges: a pipelined batch whose write fails")
{
    testing::FakeTime time;
    testing::FakeTransport inner(time, [](const testing::FakeRequest& request) { return testing::FakeReply { testing::http_reply(200, request.target) }; });
    std::vector<Request> batch { { Method::Get, "/x", {} }, { Method::Get, "/y", {} } };

    // On a reused connection (the server closed it meanwhile): every request
    // is "not answered", to be sent again one by one.
    FailingWrites reused_transport(inner, { 2 });
    Client reused(reused_transport, time, service, time.now() + std::chrono::seconds(10));
    REQUIRE(reused.send({ Method::Get, "/first", {} }, Milliseconds(1000)).ok());
    auto results = reused.send_pipelined(batch, Milliseconds(1000));
    REQUIRE(results.size() == 2);
    for (auto const& result : results) {
        REQUIRE(result.is_error());
        CHECK(result.error().message() == "not answered on the pipelined connection");
    }

    // On a fresh connection the write's own error is the batch's outcome.
    FailingWrites fresh_transport(inner, { 1 });
    Client fresh(fresh_transport, time, service, time.now() + std::chrono::seconds(10));
    results = fresh.send_pipelined(batch, Milliseconds(1000));
    REQUIRE(results.size() == 2);
    for (auto const& result : results) {
        REQUIRE(result.is_error());
        CHECK(result.error().message() == "send: Broken pipe");
    }
}

TEST_CASE("client edges: a body delimited by the server's close is a complete response, alone and pipelined")
{
    testing::FakeTime time;
    testing::FakeTransport transport(time, [](const testing::FakeRequest& request) {
        return testing::FakeReply { "HTTP/1.1 200 OK\r\n\r\nall of " + request.target, true };
    });
    Client client(transport, time, service, time.now() + std::chrono::seconds(10));
    auto one = client.send({ Method::Get, "/one", {} }, Milliseconds(1000));
    REQUIRE_MESSAGE(one.ok(), one.error().message());
    CHECK(one->body == "all of /one");
    CHECK_FALSE(one->keep_alive);

    // Pipelined, the first answer ends at the close; the second request was
    // never answered.
    std::vector<Request> batch { { Method::Get, "/p", {} }, { Method::Get, "/q", {} } };
    auto results = client.send_pipelined(batch, Milliseconds(1000));
    REQUIRE(results.size() == 2);
    REQUIRE_MESSAGE(results[0].ok(), results[0].error().message());
    CHECK(results[0]->body == "all of /p");
    REQUIRE(results[1].is_error());
    CHECK(results[1].error().message() == "not answered on the pipelined connection");
}

TEST_CASE("url edges: a path that is no origin-form target is refused by name")
{
    for (auto bad : { "http://169.254.169.254/a b", "http://169.254.169.254/seed\x01/" }) {
        INFO(std::string(bad));
        auto url = Url::parse(bad);
        REQUIRE(url.is_error());
        CHECK(url.error().kind() == ErrorKind::Invalid);
        CHECK(url.error().message() == "bad path in metadata URL");
    }
}
