#include "net/lock.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace mb::net {

namespace {

static_assert(sizeof(std::atomic<int>) == sizeof(int) && std::atomic<int>::is_always_lock_free,
    "the kernel's futex word is a plain int");

void futex(std::atomic<int>& word, int operation, int value)
{
    syscall(SYS_futex, reinterpret_cast<int*>(&word), operation, value, nullptr, nullptr, 0);
}

}

// The three-state mutex of Drepper's "Futexes Are Tricky" (2011, mutex 3):
// the uncontended lock and unlock are one atomic operation each, and only a
// lock that found the word held sleeps in the kernel, after marking it 2 so
// that the holder's unlock wakes a sleeper.
void Lock::lock()
{
    int seen = 0;
    if (m_state.compare_exchange_strong(seen, 1, std::memory_order_acquire))
        return;
    if (seen != 2)
        seen = m_state.exchange(2, std::memory_order_acquire);
    while (seen != 0) {
        // Sleeps only while the word is still 2 (EAGAIN otherwise); EINTR and
        // spurious wake-ups just go round again.
        futex(m_state, FUTEX_WAIT_PRIVATE, 2);
        seen = m_state.exchange(2, std::memory_order_acquire);
    }
}

void Lock::unlock()
{
    if (m_state.exchange(0, std::memory_order_release) == 2)
        futex(m_state, FUTEX_WAKE_PRIVATE, 1);
}

void RecursiveLock::lock()
{
    pthread_t self = pthread_self();
    // Only this thread ever stores its own id here, so seeing it means this
    // thread holds the lock; any other value (another holder, or none) means
    // it does not.
    if (m_owner.load(std::memory_order_relaxed) == self) {
        ++m_depth;
        return;
    }
    m_lock.lock();
    m_owner.store(self, std::memory_order_relaxed);
    m_depth = 1;
}

void RecursiveLock::unlock()
{
    if (--m_depth == 0) {
        m_owner.store(pthread_t {}, std::memory_order_relaxed);
        m_lock.unlock();
    }
}

}
