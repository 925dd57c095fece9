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

TEST_CASE("lock: two threads that increment one counter under the lock lose no increment")
{
    Lock lock;
    long counter = 0; // a plain long: without the lock, increments are lost
    constexpr long rounds = 200000;
    auto work = [&] {
        for (long i = 0; i < rounds; ++i) {
            std::lock_guard held(lock);
            counter = counter + 1;
        }
    };
    std::thread a(work), b(work);
    a.join();
    b.join();
    CHECK(counter == 2 * rounds);
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
    long counter = 0;
    constexpr long rounds = 100000;
    auto work = [&] {
        for (long i = 0; i < rounds; ++i) {
            std::lock_guard outer(lock);
            std::lock_guard inner(lock);
            counter = counter + 1;
        }
    };
    std::thread a(work), b(work);
    a.join();
    b.join();
    CHECK(counter == 2 * rounds);
}
