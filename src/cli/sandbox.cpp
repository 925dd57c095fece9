#include "cli/sandbox.h"

#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MB_SANITIZED 1
#endif
#endif

namespace mb::cli {

namespace {

#if defined(__x86_64__)
constexpr uint32_t this_arch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
constexpr uint32_t this_arch = AUDIT_ARCH_AARCH64;
#else
#error "no seccomp architecture for this CPU"
#endif

// Allowed whatever their arguments. The #ifdefs are the calls x86_64 has
// and aarch64 replaced with their *at / p* forms.
constexpr uint16_t plain_calls[] = {
    // Files: the root's config, the state dir, sysfs, /proc, /dev/kmsg.
    SYS_read, SYS_write, SYS_writev, SYS_lseek, SYS_openat, SYS_close, SYS_newfstatat, SYS_fstat,
    SYS_faccessat, SYS_readlinkat, SYS_getdents64, SYS_mkdirat, SYS_renameat, SYS_unlinkat, SYS_fchmod,
    SYS_fsync, SYS_syncfs, SYS_statfs, SYS_fcntl, SYS_dup,
#ifdef SYS_open
    SYS_open, SYS_access, SYS_readlink, SYS_mkdir,
#endif
    // Sockets once made: DHCP, HTTP, netlink.
    SYS_bind, SYS_connect, SYS_sendto, SYS_recvfrom, SYS_sendmsg, SYS_recvmsg, SYS_setsockopt,
    SYS_getsockopt, SYS_getsockname, SYS_ppoll,
#ifdef SYS_poll
    SYS_poll,
#endif
    // Memory (mmap and mprotect are checked below).
    SYS_munmap, SYS_mremap, SYS_madvise, SYS_brk,
    // Threads, signals, time, the closer child (clone is checked below).
    SYS_exit, SYS_exit_group, SYS_rt_sigaction, SYS_rt_sigprocmask, SYS_rt_sigreturn,
    SYS_rt_sigtimedwait, SYS_restart_syscall, SYS_gettid, SYS_getpid, SYS_tkill, SYS_wait4, SYS_futex,
    SYS_nanosleep, SYS_clock_nanosleep, SYS_clock_gettime, SYS_getrandom, SYS_uname,
#ifdef SYS_fork
    SYS_fork,
#endif
};

enum class Check : uint8_t {
    BitsClear, // (argument & value) == 0
    BitsSet,   // (argument & value) != 0
    Equal,     // argument == value
};

struct ArgumentRule {
    uint16_t call;
    uint8_t argument;
    Check check;
    uint32_t value;
};

constexpr uint32_t new_namespaces = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET;

// Rules of one call are consecutive; Equal rules of one call are
// alternatives (any one allows).
constexpr ArgumentRule argument_rules[] = {
    { SYS_mmap, 2, Check::BitsClear, PROT_EXEC },
    { SYS_mprotect, 2, Check::BitsClear, PROT_EXEC },
    { SYS_clone, 0, Check::BitsClear, new_namespaces },
    // The one mount metaboot makes: remounting the real root read-write
    // and back (fs/remount.cpp).
    { SYS_mount, 3, Check::BitsSet, MS_REMOUNT },
    // musl's stdio asks whether stdout is a terminal.
    { SYS_ioctl, 1, Check::Equal, TIOCGWINSZ },
    { SYS_socket, 0, Check::Equal, AF_INET },
    { SYS_socket, 0, Check::Equal, AF_INET6 },
    { SYS_socket, 0, Check::Equal, AF_PACKET },
    { SYS_socket, 0, Check::Equal, AF_NETLINK },
};

constexpr uint32_t argument_offset(uint8_t index)
{
    // The low half of the 64-bit argument: both CPUs are little-endian.
    return uint32_t(offsetof(seccomp_data, args) + index * sizeof(uint64_t));
}

}

namespace {

constexpr size_t rule_groups()
{
    size_t groups = 0;
    for (size_t i = 0; i < std::size(argument_rules); ++i)
        groups += i == 0 || argument_rules[i].call != argument_rules[i - 1].call;
    return groups;
}

// arch load and check, nr load, the cancelled call, the plain calls, per
// group a call check and an argument load, the argument checks, kill, allow.
constexpr size_t program_size = 4 + std::size(plain_calls) + 2 * rule_groups() + std::size(argument_rules) + 2;

// Built at compile time: the program is data in the binary, not code.
constexpr std::array<sock_filter, program_size> build_program()
{
    std::array<sock_filter, program_size> out {};
    constexpr int kill_at = int(program_size) - 2, allow_at = int(program_size) - 1;
    int at = 0;
    auto load = [&](uint32_t offset) { out[size_t(at++)] = { BPF_LD | BPF_W | BPF_ABS, 0, 0, offset }; };
    // yes/no are absolute indexes; BPF wants the distance from the next one.
    auto jump = [&](uint16_t op, uint32_t k, int yes, int no) {
        out[size_t(at)] = { uint16_t(BPF_JMP | op | BPF_K), uint8_t(yes - at - 1), uint8_t(no - at - 1), k };
        ++at;
    };

    load(offsetof(seccomp_data, arch));
    jump(BPF_JEQ, this_arch, at + 1, kill_at);
    load(offsetof(seccomp_data, nr));
    // -1: a call a tracer cancelled (strace's fault injection, which the
    // write-failure tests use); the kernel runs nothing and returns ENOSYS.
    jump(BPF_JEQ, uint32_t(-1), allow_at, at + 1);
    for (uint16_t call : plain_calls)
        jump(BPF_JEQ, call, allow_at, at + 1);
    for (size_t i = 0; i < std::size(argument_rules);) {
        size_t end = i;
        while (end < std::size(argument_rules) && argument_rules[end].call == argument_rules[i].call)
            ++end;
        // Not this call: on to the next group (nr still loaded), past this
        // call's load and checks. Every check ends in allow or kill.
        jump(BPF_JEQ, argument_rules[i].call, at + 1, at + 2 + int(end - i));
        load(argument_offset(argument_rules[i].argument));
        for (; i < end; ++i) {
            const ArgumentRule& rule = argument_rules[i];
            if (rule.check == Check::Equal)
                jump(BPF_JEQ, rule.value, allow_at, i + 1 == end ? kill_at : at + 1);
            else if (rule.check == Check::BitsSet)
                jump(BPF_JSET, rule.value, allow_at, kill_at);
            else
                jump(BPF_JSET, rule.value, kill_at, allow_at);
        }
    }
    out[size_t(at++)] = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
    out[size_t(at++)] = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    return out;
}

constexpr auto program = build_program();
static_assert(program.size() < 256, "every jump must reach kill and allow in 8 bits");

}

std::span<const sock_filter> seccomp_program()
{
    return program;
}

std::string enter_sandbox()
{
#if defined(MB_SANITIZED)
    return "no system call filter in a sanitizer build";
#elif defined(METABOOT_NO_SECCOMP)
    return "no system call filter in a coverage build";
#else
    const char* setting = std::getenv("METABOOT_SECCOMP");
    if (setting && std::strcmp(setting, "off") == 0)
        return "no system call filter: METABOOT_SECCOMP=off";
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return std::string("no system call filter: no_new_privs: ") + std::strerror(errno);
    sock_fprog fprog { uint16_t(program.size()), const_cast<sock_filter*>(program.data()) };
    if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &fprog) != 0)
        return std::string("no system call filter: seccomp: ") + std::strerror(errno);
    return {};
#endif
}

}
