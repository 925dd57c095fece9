#include "render/registry.h"

#include "common/format.h"
#include "common/named.h"
#include "common/text.h"
#include "render/ifupdown.h"
#include "render/netplan.h"
#include "render/networkd.h"
#include "render/networkmanager.h"
#include "render/stack.h"

#include <algorithm>

namespace mb::render {

namespace {

// One row per format. The order is detection's (render/stack.h): the first
// stack the root runs wins. --output lists keep it too.
constexpr const Format* registry[] = {
    &netplan_format,
    &networkmanager_format,
    &ifupdown_format,
    &networkd_format,
};

}

const char* const generated_header = "# Written by metaboot in the initramfs, from this instance's cloud metadata.\n"
                                     "# It is written again at every boot, so edits here do not last. To stop\n"
                                     "# metaboot writing network configuration, boot with rd.metaboot.network=0 on\n"
                                     "# the kernel command line, or disable cloud-init's network configuration with\n"
                                     "# \"network: {config: disabled}\" in a file in /etc/cloud/cloud.cfg.d/.\n";

std::span<const Format* const> all_formats()
{
    return registry;
}

const Format* find_format(std::string_view name)
{
    return find_named<Format>(registry, name);
}

std::string format_names()
{
    return join_names<Format>(registry);
}

Result<std::vector<const Format*>> parse_format_list(std::string_view text)
{
    std::vector<const Format*> formats;
    if (text == "none")
        return formats;
    for (auto name : split(text, ',')) {
        const Format* format = find_format(name);
        if (!format)
            return Error::invalid(strf("unknown output '%s' (%s, comma-separated, or none)", printable(name).c_str(), format_names().c_str()));
        if (std::find(formats.begin(), formats.end(), format) != formats.end())
            return Error::invalid(strf("output '%.*s' named twice", int(format->name.size()), format->name.data()));
        formats.push_back(format);
    }
    return formats;
}

StackChoice detect_stack(const RootView& root)
{
    return choose_stack(root, registry);
}

}
