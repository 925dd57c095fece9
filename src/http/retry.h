// The one retry helper: bounded exponential backoff with jitter, never past
// the run's deadline. Retries what a second attempt can fix: connection
// failures and resets (Error::io), 5xx and 429, and where the policy says so
// 404 and 410. A timeout is not retried
// (the deadline that expired is the budget), nor is any other 4xx.
#pragma once

#include "http/response_parser.h"
#include "http/transport.h"

#include <cstdint>
#include <functional>

namespace mb::http {

// Whether 404 and 410 end the retries (EC2, OpenStack: the key is absent)
// or are worth another attempt (Azure's IMDS answers them while the VM is
// still being provisioned).
enum class Absent {
    Final,
    Transient,
};

struct RetryPolicy {
    unsigned max_attempts { 4 };
    Milliseconds first_delay { 50 };
    Milliseconds max_delay { 1000 };
    Absent absent { Absent::Final };
};

bool is_retryable(const Result<Response>& result, Absent absent = Absent::Final);

class Retrier {
public:
    Retrier(RetryPolicy policy, TimeSource& time, TimePoint deadline, uint64_t seed);

    // Calls `attempt` until it succeeds with a non-retryable outcome, the
    // attempts run out, or the next sleep would cross the deadline; returns
    // the last outcome.
    Result<Response> run(const std::function<Result<Response>()>& attempt);

    // The sleep before retry number `retry` (1-based): the exponential step
    // min(first * 2^(retry-1), max), jittered uniformly into [step/2, step].
    Milliseconds delay_for(unsigned retry);

private:
    uint64_t next_random();

    RetryPolicy m_policy;
    TimeSource& m_time;
    TimePoint m_deadline;
    uint64_t m_state;
};

}
