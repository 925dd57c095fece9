#include "cli/config.h"
#include "common/format.h"

#include "cli/reach.h"
#include "clouds/registry.h"
#include "common/address.h"
#include "common/text.h"
#include "http/request.h"
#include "render/registry.h"

namespace mb::cli {

namespace {

// Which commands take a flag.
enum CommandMask : unsigned {
    RunOnly = 1u << unsigned(Command::Run),
    LeaseOnly = 1u << unsigned(Command::Lease),
    MetadataOnly = 1u << unsigned(Command::Metadata),
};

struct ParseState {
    Config& config;
    bool interfaces_seen { false }; // the first --interface replaces the kernel command line's list
};

struct Flag {
    std::string_view name;
    std::string_view alias;
    unsigned commands;
    bool takes_value;
    Status (*apply)(ParseState& state, std::string_view value);
};

Status set_interface(ParseState& state, std::string_view name)
{
    if (!is_valid_interface_name(name))
        return Error::invalid(strf("not an interface name: %s", printable(name).c_str()));
    if (!state.interfaces_seen)
        state.config.interfaces.clear();
    state.interfaces_seen = true;
    state.config.interfaces.emplace_back(name);
    return {};
}

Status set_metadata_url(ParseState& state, std::string_view url)
{
    // Checked here, so a bad URL is a usage error before any DHCP.
    auto parsed = http::Url::parse(url);
    if (parsed.is_error())
        return Error::invalid(strf("--metadata-url: %s", parsed.error().message().c_str()));
    state.config.metadata_url = std::string(url);
    state.config.metadata_url_given = true;
    return {};
}

Status set_provider(ParseState& state, std::string_view name)
{
    if (name == "auto") {
        state.config.cloud = nullptr;
        return {};
    }
    const clouds::Cloud* cloud = clouds::find_cloud(name);
    if (!cloud)
        return Error::invalid(strf("unknown provider '%s' (auto, %s)", printable(name).c_str(), clouds::cloud_names().c_str()));
    state.config.cloud = cloud;
    return {};
}

Status set_reach(ParseState& state, std::string_view list)
{
    state.config.reach = TRY(parse_reach_list(list));
    return {};
}

Status set_output(ParseState& state, std::string_view list)
{
    state.config.outputs = TRY(render::parse_format_list(list));
    return {};
}

Status set_timeout(ParseState& state, std::string_view text)
{
    state.config.timeout_seconds = TRY(parse_timeout(text));
    return {};
}

Status set_crawl(ParseState& state, std::string_view mode)
{
    if (mode != "full" && mode != "minimal")
        return Error::invalid("--crawl takes full or minimal");
    state.config.crawl_full = mode == "full";
    return {};
}

constexpr unsigned every_command = RunOnly | LeaseOnly | MetadataOnly;

// The one flag table of every command.
constexpr Flag flags[] = {
    { "--interface", "-i", RunOnly | LeaseOnly, true, set_interface },
    { "--root", "", RunOnly, true, [](ParseState& s, std::string_view v) -> Status { s.config.root = std::string(v); return {}; } },
    { "--state-dir", "", RunOnly, true, [](ParseState& s, std::string_view v) -> Status { s.config.state_dir = std::string(v); return {}; } },
    { "--metadata-url", "", RunOnly | MetadataOnly, true, set_metadata_url },
    { "--provider", "", RunOnly | MetadataOnly, true, set_provider },
    { "--reach", "", RunOnly, true, set_reach },
    { "--timeout", "", every_command, true, set_timeout },
    { "--output", "", RunOnly, true, set_output },
    { "--crawl", "", RunOnly | MetadataOnly, true, set_crawl },
    { "--wait-root", "", RunOnly, true, [](ParseState& s, std::string_view v) -> Status { s.config.wait_root = std::string(v); return {}; } },
    { "--no-pipelining", "", RunOnly | MetadataOnly, false, [](ParseState& s, std::string_view) -> Status { s.config.pipelining = false; return {}; } },
    { "--sysfs", "", RunOnly | MetadataOnly, true, [](ParseState& s, std::string_view v) -> Status { s.config.sysfs_root = std::string(v); return {}; } },
    { "--cmdline", "", RunOnly, true, [](ParseState& s, std::string_view v) -> Status { s.config.cmdline_path = std::string(v); return {}; } },
    { "--config", "", RunOnly, true, [](ParseState& s, std::string_view v) -> Status { s.config.config_path = std::string(v); return {}; } },
    { "--runtime", "", RunOnly, false, [](ParseState& s, std::string_view) -> Status { s.config.runtime = true; s.config.persistent = false; return {}; } },
    { "--persistent", "", RunOnly, false, [](ParseState& s, std::string_view) -> Status { s.config.persistent = true; s.config.runtime = false; return {}; } },
    { "--cloud-init-handoff", "", RunOnly, false, [](ParseState& s, std::string_view) -> Status { s.config.cloud_init_handoff = true; return {}; } },
    { "--no-policy-routing", "", RunOnly, false, [](ParseState& s, std::string_view) -> Status { s.config.policy_routing = false; return {}; } },
    { "--keep-lease", "", RunOnly | LeaseOnly, false, [](ParseState& s, std::string_view) -> Status { s.config.keep_lease = true; return {}; } },
    { "--release", "", RunOnly | LeaseOnly, false, [](ParseState& s, std::string_view) -> Status { s.config.release = true; return {}; } },
    { "--json", "", every_command, false, [](ParseState& s, std::string_view) -> Status { s.config.json = true; return {}; } },
    { "--verbose", "-v", every_command, false, [](ParseState& s, std::string_view) -> Status { s.config.verbose = true; return {}; } },
    { "--help", "-h", every_command, false, [](ParseState& s, std::string_view) -> Status { s.config.help = true; return {}; } },
};

bool is_off(std::string_view value)
{
    return value == "0" || value == "no" || value == "off";
}

bool is_on(std::string_view value)
{
    return value == "1" || value == "yes" || value == "on";
}

}

Config default_config(Command command)
{
    Config config;
    if (command == Command::Metadata)
        config.timeout_seconds = 10.0;
    return config;
}

Result<double> parse_timeout(std::string_view text)
{
    // Whole seconds or seconds with a decimal part ("0.5"); 1 ms to 1 hour.
    auto dot = text.find('.');
    auto whole = parse_decimal(text.substr(0, dot), 3600);
    if (!whole)
        return Error::invalid(strf("bad timeout '%s'", printable(text).c_str()));
    double value = double(*whole);
    if (dot != std::string_view::npos) {
        auto fraction = text.substr(dot + 1);
        if (fraction.empty() || fraction.size() > 3 || !parse_decimal(fraction))
            return Error::invalid(strf("bad timeout '%s'", printable(text).c_str()));
        double scale = 1;
        for (size_t i = 0; i < fraction.size(); ++i)
            scale *= 10;
        value += double(*parse_decimal(fraction)) / scale;
    }
    if (value < 0.001 || value > 3600)
        return Error::invalid(strf("timeout out of range: %s", printable(text).c_str()));
    return value;
}

void apply_kernel_cmdline(Config& config, std::string_view cmdline, std::vector<std::string>& warnings)
{
    // Words are separated by spaces; values here never need quoting.
    for (auto word : split(trim(cmdline), ' ')) {
        word = trim(word);
        // The kernel's and dracut's own switches, which metaboot follows.
        if (word == "quiet")
            config.quiet = true;
        if (word == "rd.debug")
            config.verbose = true;
        if (!word.starts_with("rd.metaboot"))
            continue;
        auto eq = word.find('=');
        auto key = word.substr(0, eq);
        auto value = eq == std::string_view::npos ? std::string_view("1") : word.substr(eq + 1);
        auto warn = [&](std::string why) { warnings.push_back(strf("kernel command line: %s: %s", printable(word).c_str(), why.c_str())); };
        // The same setters as the flags, on a copy: a bad value changes nothing.
        auto apply = [&](Status (*setter)(ParseState&, std::string_view)) {
            Config trial = config;
            ParseState state { trial };
            auto status = setter(state, value);
            if (status.ok())
                config = std::move(trial);
            else
                warn(status.error().message());
        };
        if (key == "rd.metaboot") {
            if (is_off(value))
                config.disabled = true;
            else if (!is_on(value))
                warn("expected 0 or 1");
        } else if (key == "rd.metaboot.interface") {
            config.interfaces.clear();
            for (auto name : split(value, ',')) {
                if (is_valid_interface_name(name))
                    config.interfaces.emplace_back(name);
                else
                    warn("not an interface name");
            }
        } else if (key == "rd.metaboot.provider") {
            apply(set_provider);
        } else if (key == "rd.metaboot.reach") {
            apply(set_reach);
        } else if (key == "rd.metaboot.timeout") {
            apply(set_timeout);
        } else if (key == "rd.metaboot.url") {
            apply(set_metadata_url);
        } else if (key == "rd.metaboot.output") {
            apply(set_output);
        } else if (key == "rd.metaboot.cloud-init-handoff") {
            if (is_on(value) || is_off(value))
                config.cloud_init_handoff = is_on(value);
            else
                warn("expected 0 or 1");
        } else if (key == "rd.metaboot.overlap") {
            if (is_on(value) || is_off(value))
                config.overlap = is_on(value);
            else
                warn("expected 0 or 1");
        } else if (key == "rd.metaboot.network") {
            if (is_off(value))
                config.network_config = false;
            else if (!is_on(value))
                warn("expected 0 or 1");
        } else {
            warn("unknown option");
        }
    }
}

namespace {

// The settings /etc/metaboot.conf may hold: what an image builder sets once.
// Yes/no settings name the Config field they set; the others reuse the
// flags' setters, so a value means the same in all three places.
struct FileSetting {
    std::string_view key;
    bool Config::*toggle;
    Status (*apply)(ParseState& state, std::string_view value);
};

Status set_state_dir(ParseState& state, std::string_view value)
{
    if (value.empty() || value.front() != '/')
        return Error::invalid("state-dir must be an absolute path");
    state.config.state_dir = std::string(value);
    return {};
}

Status set_interfaces(ParseState& state, std::string_view list)
{
    for (auto name : split(list, ','))
        TRY(set_interface(state, trim(name)));
    return {};
}

constexpr FileSetting file_settings[] = {
    { "output", nullptr, set_output },
    { "provider", nullptr, set_provider },
    { "reach", nullptr, set_reach },
    { "timeout", nullptr, set_timeout },
    { "metadata-url", nullptr, set_metadata_url },
    { "interface", nullptr, set_interfaces },
    { "state-dir", nullptr, set_state_dir },
    { "runtime", &Config::runtime, nullptr },
    { "persistent", &Config::persistent, nullptr },
    { "policy-routing", &Config::policy_routing, nullptr },
    { "cloud-init-handoff", &Config::cloud_init_handoff, nullptr },
    { "network", &Config::network_config, nullptr },
    { "release", &Config::release, nullptr },
    { "verbose", &Config::verbose, nullptr },
};

}

void apply_config_file(Config& config, std::string_view text, std::vector<std::string>& warnings)
{
    size_t number = 0;
    for (auto raw : split_lines(text)) {
        ++number;
        auto line = trim(raw);
        if (line.empty() || line.front() == '#')
            continue;
        auto warn = [&](const std::string& why) { warnings.push_back(strf("metaboot.conf line %zu: %s", number, why.c_str())); };
        auto eq = line.find('=');
        if (eq == std::string_view::npos) {
            warn("expected key = value");
            continue;
        }
        auto key = trim(line.substr(0, eq));
        auto value = trim(line.substr(eq + 1));
        const FileSetting* setting = nullptr;
        for (const auto& candidate : file_settings) {
            if (candidate.key == key)
                setting = &candidate;
        }
        if (!setting) {
            warn(strf("unknown setting '%s'", printable(key).c_str()));
            continue;
        }
        // On a copy, as the kernel command line: a bad value changes nothing.
        Config trial = config;
        ParseState state { trial };
        Status status;
        if (setting->toggle) {
            bool yes = is_on(value) || value == "true";
            if (yes || is_off(value) || value == "false")
                trial.*setting->toggle = yes;
            else
                status = Error::invalid("expected yes or no");
            // The two places are one choice: the later line wins.
            if (yes && key == "runtime")
                trial.persistent = false;
            if (yes && key == "persistent")
                trial.runtime = false;
        } else {
            status = setting->apply(state, value);
        }
        if (status.ok())
            config = std::move(trial);
        else
            warn(strf("%s: %s", printable(key).c_str(), status.error().message().c_str()));
    }
}

Status parse_flags(Command command, Config& config, const Args& args)
{
    ParseState state { config };
    unsigned mask = 1u << unsigned(command);
    for (size_t i = 0; i < args.size(); ++i) {
        std::string_view arg = args[i];
        std::optional<std::string_view> inline_value;
        if (arg.starts_with("--")) {
            if (auto eq = arg.find('='); eq != std::string_view::npos) {
                inline_value = arg.substr(eq + 1);
                arg = arg.substr(0, eq);
            }
        }
        const Flag* flag = nullptr;
        for (const auto& candidate : flags) {
            if ((candidate.commands & mask) && (arg == candidate.name || (!candidate.alias.empty() && arg == candidate.alias)))
                flag = &candidate;
        }
        if (!flag)
            return Error::invalid(strf("unknown argument: %s", printable(arg).c_str()));
        std::string_view value;
        if (flag->takes_value) {
            if (inline_value)
                value = *inline_value;
            else if (i + 1 < args.size())
                value = args[++i];
            else
                return Error::invalid(strf("%.*s needs a value", int(flag->name.size()), flag->name.data()));
        } else if (inline_value) {
            return Error::invalid(strf("%.*s takes no value", int(flag->name.size()), flag->name.data()));
        }
        TRY(flag->apply(state, value));
    }
    return {};
}

}
