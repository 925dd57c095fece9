/* peak-rss PROGRAM [ARG...]: runs PROGRAM and prints its peak RSS in KiB.
 *
 * A tiny static launcher, because a child's ru_maxrss includes the memory it
 * had before exec: forked from Python, that is Python's ~18 MB. Forked from
 * this, it is a few pages. */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char** argv)
{
    if (argc < 2) {
        fputs("usage: peak-rss PROGRAM [ARG...]\n", stderr);
        return 2;
    }
    pid_t child = fork();
    if (child == 0) {
        execvp(argv[1], argv + 1);
        _exit(127);
    }
    int status = 0;
    struct rusage usage;
    if (child < 0 || wait4(child, &status, 0, &usage) < 0)
        return 2;
    fprintf(stderr, "peak-rss-kib %ld\n", usage.ru_maxrss);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
