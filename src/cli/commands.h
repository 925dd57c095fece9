#pragma once

#include <cstdio>
#include <string_view>
#include <vector>

namespace mb::cli {

using Args = std::vector<std::string_view>;

int run_command(const Args& args);
int lease_command(const Args& args);
int metadata_command(int argc, char** argv);
int version_command();
int help_command(FILE* out, int exit_code);

}
