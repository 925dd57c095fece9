// metaboot: one run from lease to teardown, in the initramfs before switch_root.
//
// main owns the policy: the order of the phases, the global deadline, the
// fallbacks, the exit codes and where logs go. The pieces it wires are pure
// cores (dhcp/, http/, metadata/, render/) and the I/O edge (net/, fs/).
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
            return mb::cli::metadata_command(argc - 1, argv + 1);
    }
    return mb::cli::run_command(args);
}
