#include "cli/sandbox.h"

#include <doctest/doctest.h>

#include <cstddef>
#include <cstring>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

using namespace mb::cli;

namespace {

#if defined(__x86_64__)
constexpr uint32_t native = AUDIT_ARCH_X86_64;
#else
constexpr uint32_t native = AUDIT_ARCH_AARCH64;
#endif

// The BPF subset the program uses, run as the kernel would: a classic-BPF
// interpreter over a seccomp_data. Any other instruction fails the test.
uint32_t verdict(std::span<const sock_filter> program, const seccomp_data& data)
{
    uint32_t a = 0;
    for (size_t pc = 0; pc < program.size(); ++pc) {
        const sock_filter& i = program[pc];
        switch (i.code) {
        case BPF_LD | BPF_W | BPF_ABS:
            REQUIRE(i.k + 4 <= sizeof data);
            std::memcpy(&a, reinterpret_cast<const char*>(&data) + i.k, 4);
            break;
        case BPF_JMP | BPF_JEQ | BPF_K:
            pc += a == i.k ? i.jt : i.jf;
            break;
        case BPF_JMP | BPF_JSET | BPF_K:
            pc += (a & i.k) ? i.jt : i.jf;
            break;
        case BPF_RET | BPF_K:
            return i.k;
        default:
            FAIL("unexpected BPF instruction ", i.code);
        }
    }
    FAIL("the program ran off its end");
    return 0;
}

uint32_t call(long nr, std::initializer_list<uint64_t> args = {}, uint32_t arch = native)
{
    seccomp_data data {};
    data.nr = int(nr);
    data.arch = arch;
    size_t n = 0;
    for (uint64_t arg : args)
        data.args[n++] = arg;
    return verdict(seccomp_program(), data);
}

constexpr uint32_t allow = SECCOMP_RET_ALLOW, killed = SECCOMP_RET_KILL_PROCESS;

}

TEST_CASE("sandbox: the filter allows what a run does and kills the rest")
{
    auto program = seccomp_program();
    CHECK(program.size() < BPF_MAXINSNS);
    CHECK(program.back().k == allow);

    // What every phase does.
    for (long nr : { SYS_read, SYS_write, SYS_openat, SYS_close, SYS_renameat, SYS_fsync, SYS_sendto, SYS_recvfrom,
             SYS_sendmsg, SYS_recvmsg, SYS_connect, SYS_bind, SYS_setsockopt, SYS_ppoll, SYS_futex, SYS_exit_group,
             SYS_rt_sigtimedwait, SYS_wait4, SYS_getrandom, SYS_munmap, SYS_brk, SYS_unlinkat, SYS_mkdirat, SYS_fchmod })
        CHECK_MESSAGE(call(nr) == allow, "call ", nr);
    // What it never does.
    for (long nr : { SYS_execve, SYS_execveat, SYS_ptrace, SYS_init_module, SYS_finit_module, SYS_delete_module,
             SYS_umount2, SYS_pivot_root, SYS_chroot, SYS_unshare, SYS_setns, SYS_kexec_load, SYS_bpf,
             SYS_perf_event_open, SYS_process_vm_writev, SYS_setuid, SYS_reboot, SYS_prctl, SYS_seccomp,
             SYS_clone3, SYS_pkey_mprotect, SYS_memfd_create, SYS_listen, SYS_accept4, SYS_symlinkat,
             SYS_fchownat, SYS_linkat })
        CHECK_MESSAGE(call(nr) == killed, "call ", nr);

    // Arguments: no executable memory.
    CHECK(call(SYS_mmap, { 0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS }) == allow);
    CHECK(call(SYS_mmap, { 0, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS }) == killed);
    CHECK(call(SYS_mprotect, { 0x1000, 4096, PROT_NONE }) == allow);
    CHECK(call(SYS_mprotect, { 0x1000, 4096, PROT_READ | PROT_WRITE | PROT_EXEC }) == killed);
    // A mount only as a remount.
    CHECK(call(SYS_mount, { 0, 0, 0, MS_REMOUNT | MS_RDONLY }) == allow);
    CHECK(call(SYS_mount, { 0, 0, 0, MS_BIND }) == killed);
    CHECK(call(SYS_mount, { 0, 0, 0, 0 }) == killed);
    // Threads and the closer child, never new namespaces.
    CHECK(call(SYS_clone, { CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM | CLONE_SETTLS }) == allow);
    CHECK(call(SYS_clone, { SIGCHLD }) == allow);
    for (uint64_t flag : { CLONE_NEWNET, CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWPID })
        CHECK(call(SYS_clone, { SIGCHLD | flag }) == killed);
    // Sockets of the four families in use.
    for (int family : { AF_INET, AF_INET6, AF_PACKET, AF_NETLINK })
        CHECK(call(SYS_socket, { uint64_t(family), SOCK_DGRAM }) == allow);
    for (int family : { AF_UNIX, AF_VSOCK, AF_ALG, AF_BLUETOOTH })
        CHECK(call(SYS_socket, { uint64_t(family), SOCK_STREAM }) == killed);
    // stdio's terminal question, nothing else.
    CHECK(call(SYS_ioctl, { 1, TIOCGWINSZ }) == allow);
    CHECK(call(SYS_ioctl, { 3, TIOCSTI }) == killed);

    // Another ABI's numbers: another architecture, or x32's on x86_64.
    CHECK(call(SYS_read, {}, AUDIT_ARCH_I386) == killed);
#if defined(__x86_64__)
    CHECK(call(0x40000000 | SYS_read) == killed);
#endif
    // A call a tracer cancelled (strace's fault injection).
    CHECK(call(-1) == allow);
}

TEST_CASE("sandbox: the kernel enforces it: allowed calls work, a forbidden one kills with SIGSYS")
{
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
    return; // ASan's runtime makes calls of its own in the child
#endif
#endif
    auto in_child = [](int (*body)()) {
        pid_t child = ::fork();
        REQUIRE(child >= 0);
        if (child == 0) {
            auto program = seccomp_program();
            sock_fprog fprog { uint16_t(program.size()), const_cast<sock_filter*>(program.data()) };
            if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) != 0)
                ::_exit(99);
            ::_exit(body());
        }
        int status = 0;
        REQUIRE(::waitpid(child, &status, 0) == child);
        return status;
    };
    int fine = in_child([] { return ::syscall(SYS_getpid) > 0 && ::syscall(SYS_getrandom, nullptr, 0, 0) == 0 ? 0 : 1; });
#if !defined(__x86_64__)
    // Another CPU's unit tests run under QEMU's user mode, which gives the
    // program no seccomp (it would filter QEMU's own calls).
    if (WIFEXITED(fine) && WEXITSTATUS(fine) == 99) {
        MESSAGE("no seccomp here (QEMU user mode?): the kernel check is skipped");
        return;
    }
#endif
    CHECK(WIFEXITED(fine));
    CHECK(WEXITSTATUS(fine) == 0);
    int exec = in_child([] {
        char* argv[] = { const_cast<char*>("/bin/true"), nullptr };
        ::syscall(SYS_execve, "/bin/true", argv, nullptr);
        return 0;
    });
    CHECK(WIFSIGNALED(exec));
    CHECK(WTERMSIG(exec) == SIGSYS);
    int mapping = in_child([] {
        ::syscall(SYS_mmap, nullptr, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        return 0;
    });
    CHECK(WIFSIGNALED(mapping));
    CHECK(WTERMSIG(mapping) == SIGSYS);
}
