// A scripted http::Transport and a virtual clock for unit tests. The fake
// splits what the client writes into requests, asks a handler for each reply,
// and hands the reply back in random-sized pieces, so every client test also
// exercises the parser's incremental path.
#pragma once

#include "http/transport.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace mb::testing {

class FakeTime final : public http::TimeSource {
public:
    http::TimePoint now() override { return m_now; }
    void sleep_until(http::TimePoint when) override
    {
        if (when > m_now)
            m_now = when;
        ++sleeps;
    }
    void advance(http::Milliseconds by) { m_now += by; }

    unsigned sleeps { 0 };

private:
    http::TimePoint m_now { std::chrono::seconds(1000) };
};

struct FakeRequest {
    std::string method;
    std::string target;
    std::map<std::string, std::string> headers; // lowercased names
    std::string header(const std::string& name) const
    {
        auto it = headers.find(name);
        return it == headers.end() ? std::string() : it->second;
    }
};

struct FakeReply {
    std::string bytes;                       // the raw response
    bool close_after { false };              // server closes after sending
    http::Milliseconds stall { 0 };          // silence before the reply
    bool reset { false };                    // connection reset instead of a reply
};

inline std::string http_reply(int status, const std::string& body, const std::string& extra_headers = "")
{
    return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + extra_headers + "\r\n" + body;
}

class FakeTransport final : public http::Transport {
public:
    using Handler = std::function<FakeReply(const FakeRequest&)>;

    FakeTransport(FakeTime& time, Handler handler, uint64_t seed = 1)
        : m_time(time)
        , m_handler(std::move(handler))
        , m_random(seed)
    {
    }

    Status connect(const http::Endpoint& endpoint, http::TimePoint deadline) override
    {
        ++connects;
        endpoints.push_back(endpoint);
        if (refuse_connects > 0) {
            --refuse_connects;
            return Error::io("connect: Connection refused", ECONNREFUSED);
        }
        if (connect_stall.count() > 0) {
            if (m_time.now() + connect_stall >= deadline) {
                m_time.sleep_until(deadline);
                return Error::timeout("connect timed out");
            }
            m_time.advance(connect_stall);
        }
        m_open = true;
        m_written.clear();
        m_pending.clear();
        m_closing = false;
        return {};
    }

    Status write_all(ByteSpan data, http::TimePoint) override
    {
        if (!m_open)
            return Error::io("write on a closed connection");
        ++writes;
        m_written.append(reinterpret_cast<const char*>(data.data()), data.size());
        size_t end;
        unsigned in_this_write = 0;
        while ((end = m_written.find("\r\n\r\n")) != std::string::npos) {
            auto head = m_written.substr(0, end);
            m_written.erase(0, end + 4);
            // A server that takes at most `max_pipelined` requests from one
            // read: it answers those, then closes, dropping the rest.
            if (max_pipelined && ++in_this_write > max_pipelined) {
                m_pending.back().close_after = true;
                m_written.clear();
                break;
            }
            serve(head);
        }
        return {};
    }

    Result<size_t> read(std::span<uint8_t> buffer, http::TimePoint deadline) override
    {
        if (!m_open)
            return Error::io("read on a closed connection");
        while (m_pending.empty() || m_pending.front().bytes.empty()) {
            if (!m_pending.empty() && m_pending.front().reset) {
                m_pending.pop_front();
                m_open = false;
                return Error::io("recv: Connection reset by peer", ECONNRESET);
            }
            // A reply that never comes holds back every reply queued after
            // it, as on a real connection.
            if (!m_pending.empty() && m_pending.front().bytes.empty() && m_pending.front().stall.count() > 0) {
                m_time.sleep_until(deadline);
                return Error::timeout("read timed out");
            }
            if (!m_pending.empty() && m_pending.front().bytes.empty()) {
                bool close = m_pending.front().close_after;
                m_pending.pop_front();
                if (close) {
                    m_closing = true;
                    return size_t(0);
                }
                continue;
            }
            if (m_closing)
                return size_t(0);
            // Nothing more will come: a real server would just hang.
            m_time.sleep_until(deadline);
            return Error::timeout("read timed out");
        }
        auto& reply = m_pending.front();
        if (reply.stall.count() > 0) {
            if (m_time.now() + reply.stall >= deadline) {
                m_time.sleep_until(deadline);
                return Error::timeout("read timed out");
            }
            m_time.advance(reply.stall);
            reply.stall = {};
        }
        size_t size = std::min({ buffer.size(), reply.bytes.size(), size_t(1 + next_random() % 97) });
        std::memcpy(buffer.data(), reply.bytes.data(), size);
        reply.bytes.erase(0, size);
        return size;
    }

    void close() override
    {
        m_open = false;
        m_pending.clear();
    }

    unsigned connects { 0 };
    std::vector<http::Endpoint> endpoints; // every connect's
    unsigned writes { 0 }; // one per write_all: a pipelined batch is one
    unsigned max_pipelined { 0 }; // 0: no cap
    unsigned refuse_connects { 0 };
    http::Milliseconds connect_stall { 0 };
    std::vector<FakeRequest> requests;

private:
    void serve(const std::string& head)
    {
        FakeRequest request;
        auto line_end = head.find("\r\n");
        auto first = head.substr(0, line_end);
        auto space = first.find(' ');
        request.method = first.substr(0, space);
        request.target = first.substr(space + 1, first.rfind(' ') - space - 1);
        size_t at = line_end == std::string::npos ? head.size() : line_end + 2;
        while (at < head.size()) {
            auto next = head.find("\r\n", at);
            if (next == std::string::npos)
                next = head.size();
            auto line = head.substr(at, next - at);
            auto colon = line.find(':');
            if (colon != std::string::npos) {
                std::string name = line.substr(0, colon);
                for (auto& c : name)
                    c = char(std::tolower(static_cast<unsigned char>(c)));
                request.headers[name] = line.substr(colon + 2);
            }
            at = next + 2;
        }
        requests.push_back(request);
        m_pending.push_back(m_handler(request));
    }

    uint64_t next_random()
    {
        m_random ^= m_random << 13;
        m_random ^= m_random >> 7;
        m_random ^= m_random << 17;
        return m_random;
    }

    FakeTime& m_time;
    Handler m_handler;
    uint64_t m_random;
    bool m_open { false };
    bool m_closing { false };
    std::string m_written;
    std::deque<FakeReply> m_pending;
};

}
