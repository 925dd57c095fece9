// The one exponential backoff: `first`, doubled at each further attempt, up
// to `max`. The DHCP retransmissions (RFC 2131 §4.1) and the HTTP retries
// both step by it; each adds its own jitter.
#pragma once

#include <algorithm>

namespace mb {

// The step for the attempt-th wait (1-based): min(first * 2^(attempt-1), max).
template<typename Duration>
Duration backoff_step(Duration first, unsigned attempt, Duration max)
{
    Duration step = first;
    for (unsigned k = 1; k < attempt && step < max; ++k)
        step *= 2;
    return std::min(step, max);
}

}
