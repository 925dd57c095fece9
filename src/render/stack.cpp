#include "render/stack.h"

#include "common/format.h"
#include "common/sort.h"
#include "common/text.h"

#include <algorithm>

namespace mb::render {

namespace {

// `systemctl enable` links the unit into the .wants/ (or .requires/)
// directory of each target its [Install] section names; a distribution may
// also link it statically under usr/lib.
bool unit_enabled(const RootView& root, std::string_view unit)
{
    for (const char* directory : { "etc/systemd/system", "usr/lib/systemd/system", "lib/systemd/system" }) {
        for (const auto& name : root.list(directory)) {
            if ((name.ends_with(".wants") || name.ends_with(".requires")) && root.exists(strf("%s/%s/%.*s", directory, name.c_str(), int(unit.size()), unit.data())))
                return true;
        }
    }
    return false;
}

// systemd applies presets on the first boot, which it recognises by an
// absent, empty or "uninitialized" machine-id (machine-id(5)).
bool first_boot(const RootView& root)
{
    auto id = root.read_file("etc/machine-id");
    if (id.is_error())
        return false;
    if (!*id)
        return true;
    auto text = trim(**id);
    return text.empty() || text == "uninitialized";
}

// Preset patterns are shell globs (systemd matches them with fnmatch());
// `*` and `?` are what preset files use ("disable *", "enable getty@.service").
// A bracket expression is taken literally: musl's fnmatch() would bring its
// wide-character class tables, 14 KB, for a form no preset file here uses.
bool glob_matches(std::string_view pattern, std::string_view text)
{
    size_t p = 0, t = 0, star = std::string_view::npos, resume = 0;
    while (t < text.size()) {
        if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
            ++p, ++t;
        } else if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            resume = t;
        } else if (star != std::string_view::npos) {
            p = star + 1;
            t = ++resume;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*')
        ++p;
    return p == pattern.size();
}

std::optional<bool> preset_policy(const RootView& root, std::string_view unit)
{
    // systemd.preset(5): files are ordered by name across the directories,
    // a name in an earlier directory masking the same name in a later one.
    static const char* const directories[] = { "etc/systemd/system-preset", "run/systemd/system-preset", "usr/local/lib/systemd/system-preset",
        "usr/lib/systemd/system-preset", "lib/systemd/system-preset" };
    std::vector<std::string> names;
    for (const char* directory : directories) {
        for (auto& name : root.list(directory)) {
            if (name.ends_with(".preset") && std::find(names.begin(), names.end(), name) == names.end())
                names.push_back(std::move(name));
        }
    }
    sort_strings(names);
    for (const auto& name : names) {
        for (const char* directory : directories) {
            auto text = root.read_file(strf("%s/%s", directory, name.c_str()));
            if (text.is_error() || !*text)
                continue;
            if (auto verdict = preset_enables(**text, unit))
                return verdict;
            break;
        }
    }
    return std::nullopt;
}

}

std::optional<bool> preset_enables(std::string_view preset_text, std::string_view unit)
{
    for (auto raw : split_lines(preset_text)) {
        auto line = trim(raw);
        if (line.empty() || line.front() == '#' || line.front() == ';')
            continue;
        auto space = line.find_first_of(" \t");
        if (space == std::string_view::npos)
            continue;
        auto verb = line.substr(0, space);
        auto rest = trim(line.substr(space));
        if (!glob_matches(rest.substr(0, rest.find_first_of(" \t")), unit))
            continue;
        // "ignore" (systemd 255) leaves the unit as it is: not enabled by the preset.
        return verb == "enable";
    }
    return std::nullopt;
}

StackChoice choose_stack(const RootView& root, std::span<const Format* const> formats)
{
    StackChoice choice;
    bool systemd = root.exists("usr/lib/systemd/systemd") || root.exists("lib/systemd/systemd");
    bool fresh = systemd && first_boot(root);
    for (const Format* format : formats) {
        std::string name(format->name);
        if (!format->present(root)) {
            choice.passed_over.push_back(strf("%s: not installed (%.*s)", name.c_str(), int(format->looked_for.size()), format->looked_for.data()));
            continue;
        }
        std::string service(format->service);
        if (service.empty())
            choice.reason = "installed; its generator configures the network service at every boot";
        else if (!systemd)
            choice.reason = "installed, and the root has no systemd to ask";
        else if (unit_enabled(root, service))
            choice.reason = strf("%s enabled", service.c_str());
        else if (fresh && preset_policy(root, service) == true)
            choice.reason = strf("%s enabled by the preset policy on this first boot", service.c_str());
        if (!choice.reason.empty()) {
            choice.format = format;
            return choice;
        }
        choice.passed_over.push_back(strf("%s: installed, but %s is not enabled", name.c_str(), service.c_str()));
    }
    return choice;
}

}
