// metaboot: one run from lease to teardown, in the initramfs before switch_root.
//
// main only picks the command; cli/ owns the policy (the phases, the
// deadline, the exit codes), wiring the pure cores (dhcp/, http/, model/,
// clouds/, render/) to the I/O edge (net/, fs/).
#include "cli/commands.h"

#include <cstdio>
#include <cstring>
#include <string_view>
#include <vector>

int main(int argc, char** argv)
{
    std::vector<std::string_view> args(argv + 1, argv + argc);
    if (!args.empty()) {
        if (args[0] == "--version" || args[0] == "version")
            return mb::cli::version_command();
        if (args[0] == "--help" || args[0] == "-h" || args[0] == "help")
            return mb::cli::help_command(stdout, 0);
        if (args[0] == "lease")
            return mb::cli::lease_command({ args.begin() + 1, args.end() });
        if (args[0] == "metadata")
            return mb::cli::metadata_command({ args.begin() + 1, args.end() });
    }
    return mb::cli::run_command(args);
}
