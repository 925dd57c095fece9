// net/lock.h: the futex locks that stand in for std::mutex and
// std::recursive_mutex. Real threads on the real kernel futex.
#include "net/lock.h"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

using namespace mb::net;
using namespace std::chrono_literals;

namespace {

// Two threads each add `rounds` to one counter, every add under
// `take(lock)`; returns the total. The counter is read and written back
// as two volatile accesses, and both threads start together, so without
// the lock the two interleave and increments are lost (checked: with a
// lock() that does nothing, the total falls short).
template <class AnyLock, class Take>
long two_threads_counting(AnyLock& lock, long rounds, Take take)
{
    volatile long counter = 0;
    std::atomic<int> ready { 0 };
    auto work = [&] {
        ready.fetch_add(1);
        while (ready.load() < 2) { }
        for (long i = 0; i < rounds; ++i) {
            take(lock, [&] {
                long seen = counter;
                counter = seen + 1;
            });
        }
    };
    std::thread a(work), b(work);
    a.join();
    b.join();
    return counter;
}

}

TEST_CASE("lock: two threads that increment one counter under the lock lose no increment")
{
    Lock lock;
    auto once = [](Lock& l, auto add) {
        std::lock_guard held(l);
        add();
    };
    CHECK(two_threads_counting(lock, 200000, once) == 400000);
}

TEST_CASE("lock: a second thread sleeps until the holder unlocks, then sees what the holder wrote")
{
    Lock lock;
    int value = 0;
    std::atomic<bool> got { false };
    lock.lock();
    std::thread waiter([&] {
        std::lock_guard held(lock);
        got = true;
        CHECK(value == 42);
    });
    std::this_thread::sleep_for(50ms);
    CHECK_FALSE(got.load());
    value = 42;
    lock.unlock();
    waiter.join();
    CHECK(got.load());
    // Free again, and uncontended: lock and unlock at once.
    lock.lock();
    lock.unlock();
}

TEST_CASE("recursive lock: the holder takes it again; another thread waits for the last unlock")
{
    RecursiveLock lock;
    std::atomic<bool> got { false };
    lock.lock();
    lock.lock();
    std::thread other([&] {
        std::lock_guard held(lock);
        got = true;
    });
    std::this_thread::sleep_for(50ms);
    CHECK_FALSE(got.load());
    lock.unlock();
    std::this_thread::sleep_for(50ms);
    CHECK_FALSE(got.load()); // still held once
    lock.unlock();
    other.join();
    CHECK(got.load());
}

TEST_CASE("recursive lock: two threads that each take it twice per round lose no increment")
{
    RecursiveLock lock;
    auto twice = [](RecursiveLock& l, auto add) {
        std::lock_guard outer(l);
        std::lock_guard inner(l);
        add();
    };
    CHECK(two_threads_counting(lock, 200000, twice) == 400000);
}
