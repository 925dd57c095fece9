#include "cli/metadata_command.h"

#include <cstdio>
#include <cstring>

int main(int argc, char** argv)
{
    if (argc > 1 && std::strcmp(argv[1], "--version") == 0) {
        std::printf("metaboot %s\n", METABOOT_VERSION);
        return 0;
    }
    if (argc > 1 && std::strcmp(argv[1], "metadata") == 0)
        return mb::cli::metadata_command(argc - 1, argv + 1);
    return 1;
}
