#pragma once

#include "cli/config.h"

#include <cstdio>

namespace mb::cli {

int run_command(const Args& args);
int lease_command(const Args& args);
int metadata_command(const Args& args);
int version_command();
int help_command(FILE* out, int exit_code);

}
