#include "net/deferred_closer.h"

#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

namespace mb::net {

void DeferredCloser::close_later(int fd)
{
    if (fd >= 0)
        m_fds.push_back(fd);
}

void DeferredCloser::release()
{
    if (m_fds.empty())
        return;
    pid_t child = fork();
    if (child == 0) {
        // Standard streams first, so that a caller reading our output to EOF
        // does not wait for this child either.
        for (int fd = 0; fd <= 2; ++fd)
            close(fd);
        for (int fd : m_fds)
            close(fd);
        _exit(0);
    }
    if (child > 0)
        m_children.push_back(child);
    // Without a child (fork failed) this close pays the grace period here.
    for (int fd : m_fds)
        close(fd);
    m_fds.clear();
}

void DeferredCloser::reap()
{
    release();
    for (int child : m_children)
        (void)waitpid(child, nullptr, WNOHANG);
    m_children.clear();
}

}
