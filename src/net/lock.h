// Locks on one futex word: the log's and the signal watcher's (Lock), and
// the netlink journal's, which a holder may take again (RecursiveLock).
// std::mutex and std::recursive_mutex on musl go through
// pthread_mutex_lock, whose robust, error-checking and timed paths are
// 1.4 KB of the binary that these plain locks never need.
#pragma once

#include <atomic>
#include <pthread.h>

namespace mb::net {

class Lock {
public:
    constexpr Lock() = default;
    Lock(const Lock&) = delete;
    Lock& operator=(const Lock&) = delete;

    // BasicLockable, so std::lock_guard and std::unique_lock take it.
    void lock();
    void unlock();

private:
    // 0: free; 1: held; 2: held, and a thread may sleep on it.
    std::atomic<int> m_state { 0 };
};

// Taken again by the thread that holds it, it only counts; the lock is
// released when every lock() has had its unlock().
class RecursiveLock {
public:
    constexpr RecursiveLock() = default;
    RecursiveLock(const RecursiveLock&) = delete;
    RecursiveLock& operator=(const RecursiveLock&) = delete;

    void lock();
    void unlock();

private:
    Lock m_lock;
    // The holder, read by other threads only to learn that it is not them.
    std::atomic<pthread_t> m_owner {};
    unsigned m_depth { 0 };
};

}
