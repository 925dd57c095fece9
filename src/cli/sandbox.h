// The system call allow-list: once a run starts to read the network, a
// fault that slips past the parsers can do no more than metaboot itself
// needs to do. doc/seccomp.md lists the calls and why each is there.
#pragma once

#include <linux/filter.h>
#include <span>
#include <string>

namespace mb::cli {

// The seccomp BPF program: this CPU's calls only (another ABI's, like x32,
// are refused), each listed call allowed, some only with safe arguments (no
// executable memory, no new namespaces, a mount only as a remount, sockets of
// the four families in use, the one ioctl stdio makes); anything else kills
// the process. Pure, for the tests.
std::span<const sock_filter> seccomp_program();

// Sets no_new_privs and installs the program on every thread of the process.
// An empty string when it is in force; otherwise why not (the kernel lacks
// seccomp, METABOOT_SECCOMP=off, a sanitizer build), for the caller to log
// once. Never fails the run.
std::string enter_sandbox();

}
