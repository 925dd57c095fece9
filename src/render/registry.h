// The output formats metaboot writes. The only code outside src/render/
// <format>.cpp that names a format.
#pragma once

#include "render/format.h"
#include "render/stack.h"

#include <span>
#include <string>
#include <vector>

namespace mb::render {

std::span<const Format* const> all_formats();
const Format* find_format(std::string_view name);

// The one parser of `--output` and `rd.metaboot.output=`: format names
// joined by commas, each at most once, or "none" (an empty list).
Result<std::vector<const Format*>> parse_format_list(std::string_view text);

// The one stack the real root runs (render/stack.h), asked in registry order.
StackChoice detect_stack(const RootView& root);

// "netplan, ifupdown": for the help text and usage errors.
std::string format_names();

}
