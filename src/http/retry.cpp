#include "http/retry.h"

#include "common/backoff.h"

#include <algorithm>

namespace mb::http {

bool is_retryable(const Result<Response>& result, Absent absent)
{
    if (result.is_error())
        return result.error().kind() == ErrorKind::Io;
    int status = result->status;
    return status >= 500 || status == 429 || (absent == Absent::Transient && (status == 404 || status == 410));
}

Retrier::Retrier(RetryPolicy policy, TimeSource& time, TimePoint deadline, uint64_t seed)
    : m_policy(policy)
    , m_time(time)
    , m_deadline(deadline)
    , m_state(seed ? seed : 0x9e3779b97f4a7c15ull)
{
}

// xorshift64*: jitter only needs to decorrelate instances booting together.
uint64_t Retrier::next_random()
{
    m_state ^= m_state >> 12;
    m_state ^= m_state << 25;
    m_state ^= m_state >> 27;
    return m_state * 0x2545f4914f6cdd1dull;
}

Milliseconds Retrier::delay_for(unsigned retry)
{
    auto step = backoff_step(m_policy.first_delay, retry, m_policy.max_delay);
    auto half = step.count() / 2;
    auto jitter = half > 0 ? int64_t(next_random() % uint64_t(step.count() - half + 1)) : 0;
    return Milliseconds(half + jitter);
}

Result<Response> Retrier::run(const std::function<Result<Response>()>& attempt)
{
    auto result = attempt();
    for (unsigned retry = 1; retry < m_policy.max_attempts && is_retryable(result, m_policy.absent); ++retry) {
        auto wake = m_time.now() + delay_for(retry);
        if (wake >= m_deadline)
            break;
        m_time.sleep_until(wake);
        result = attempt();
    }
    return result;
}

}
