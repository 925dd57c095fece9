// What the commands report: the run's phase timings and the metadata
// requests, for the summary line, timings.json and the --json outputs.
#pragma once

#include "clouds/fetch.h"
#include "common/json_writer.h"

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace mb::cli {

using Clock = std::chrono::steady_clock;

class PhaseClock {
public:
    explicit PhaseClock(Clock::time_point start)
        : m_start(start)
        , m_last(start)
    {
    }
    void mark(const char* name)
    {
        auto now = Clock::now();
        m_phases.emplace_back(name, std::chrono::duration_cast<std::chrono::milliseconds>(now - m_last).count());
        m_last = now;
    }
    long long total() const { return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - m_start).count(); }
    std::string text() const
    {
        std::string out;
        for (auto& [name, ms] : m_phases)
            out += std::string(name) + " " + std::to_string(ms) + " ms, ";
        return out + "total " + std::to_string(total()) + " ms";
    }
    void write(JsonWriter& json) const
    {
        json.open_object();
        for (auto& [name, ms] : m_phases)
            json.field(name, uint64_t(ms));
        json.field("total", uint64_t(total()));
        json.close_object();
    }
    std::string json() const
    {
        JsonWriter json;
        write(json);
        return json.release();
    }

private:
    Clock::time_point m_start, m_last;
    std::vector<std::pair<const char*, long long>> m_phases;
};

// [{"method", "path", "status", "ms"}, ...], in request order.
void write_request_timings(JsonWriter& json, const clouds::FetchStats& stats);

}
