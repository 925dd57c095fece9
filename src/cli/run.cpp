#include "cli/commands.h"
#include "cli/config.h"

namespace mb::cli {

int run_command(const Args&)
{
    std::fprintf(stderr, "metaboot: the full run is not wired yet\n");
    return ExitUsage;
}

int metadata_command(int, char**)
{
    return ExitUsage;
}

}
