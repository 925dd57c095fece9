#include "cli/signals.h"

#include "cli/log.h"

#include <csignal>
#include <cstring>
#include <pthread.h>
#include <string>
#include <unistd.h>

namespace mb::cli {

namespace {

// Constant-initialized at namespace scope: no guard to test at each of
// critical()'s callers, as a function's static would need.
constinit net::Lock critical_section;

sigset_t watched_set()
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    return set;
}

void* watch(void* teardown)
{
    sigset_t set = watched_set();
    int signal_number = 0;
    while (sigwait(&set, &signal_number) != 0) { }
    std::lock_guard lock(critical_section);
    log_warningf("caught signal %d, tearing down", signal_number);
    (*static_cast<std::function<void()>*>(teardown))();
    _exit(128 + signal_number);
}

}

net::Lock& SignalWatcher::critical()
{
    return critical_section;
}

void SignalWatcher::block_signals()
{
    sigset_t set = watched_set();
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

void SignalWatcher::start(std::function<void()> teardown)
{
    // A bare pthread rather than std::thread: the same thread, without
    // libc++'s thread-start machinery (its state block and the copy of the
    // callable in a tuple), and a failure to start is logged, not an abort.
    // The teardown lives until exit, as the thread does.
    auto* kept = new std::function<void()>(std::move(teardown));
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    pthread_t thread;
    int error = pthread_create(&thread, &attributes, watch, kept);
    pthread_attr_destroy(&attributes);
    if (error != 0)
        log_warningf("no signal watcher (pthread_create: %s): SIGTERM, SIGINT and SIGHUP wait until the run ends", std::strerror(error));
}

}
