#include "cli/signals.h"

#include "cli/log.h"

#include <csignal>
#include <pthread.h>
#include <string>
#include <thread>
#include <unistd.h>

namespace mb::cli {

namespace {

sigset_t watched_set()
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    return set;
}

}

std::mutex& SignalWatcher::critical()
{
    static std::mutex mutex;
    return mutex;
}

void SignalWatcher::block_signals()
{
    sigset_t set = watched_set();
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

void SignalWatcher::start(std::function<void()> teardown)
{
    std::thread([teardown = std::move(teardown)] {
        sigset_t set = watched_set();
        int signal_number = 0;
        while (sigwait(&set, &signal_number) != 0) { }
        std::lock_guard lock(critical());
        log_warningf("caught signal %d, tearing down", signal_number);
        teardown();
        _exit(128 + signal_number);
    }).detach();
}

}
