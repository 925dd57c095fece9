#include "cli/config.h"

#include "common/address.h"
#include "common/text.h"

namespace mb::cli {

Result<ProviderChoice> parse_provider(std::string_view text)
{
    if (text == "auto")
        return ProviderChoice::Auto;
    if (text == "ec2")
        return ProviderChoice::Ec2;
    if (text == "openstack")
        return ProviderChoice::OpenStack;
    return Error::invalid("unknown provider '" + std::string(text) + "' (auto, ec2, openstack)");
}

Status parse_output(Config& config, std::string_view text)
{
    bool netplan = false, ifupdown = false;
    if (text != "none") {
        for (auto part : split(text, ',')) {
            if (part == "netplan")
                netplan = true;
            else if (part == "ifupdown")
                ifupdown = true;
            else
                return Error::invalid("unknown output '" + std::string(part) + "' (netplan, ifupdown, none)");
        }
    }
    config.output_netplan = netplan;
    config.output_ifupdown = ifupdown;
    config.output_explicit = true;
    return {};
}

Result<double> parse_timeout(std::string_view text)
{
    // Whole seconds or seconds with a decimal part ("0.5"); 1 ms to 1 hour.
    auto dot = text.find('.');
    auto whole = parse_decimal(text.substr(0, dot), 3600);
    if (!whole)
        return Error::invalid("bad timeout '" + std::string(text) + "'");
    double value = double(*whole);
    if (dot != std::string_view::npos) {
        auto fraction = text.substr(dot + 1);
        if (fraction.empty() || fraction.size() > 3 || !parse_decimal(fraction))
            return Error::invalid("bad timeout '" + std::string(text) + "'");
        double scale = 1;
        for (size_t i = 0; i < fraction.size(); ++i)
            scale *= 10;
        value += double(*parse_decimal(fraction)) / scale;
    }
    if (value < 0.001 || value > 3600)
        return Error::invalid("timeout out of range: " + std::string(text));
    return value;
}

static bool valid_url(std::string_view url)
{
    if (!url.starts_with("http://") || url.size() > 256)
        return false;
    for (char c : url)
        if (c <= ' ' || c >= 127)
            return false;
    return true;
}

void apply_kernel_cmdline(Config& config, std::string_view cmdline, std::vector<std::string>& warnings)
{
    // Words are separated by spaces; values here never need quoting.
    for (auto word : split(trim(cmdline), ' ')) {
        word = trim(word);
        if (!word.starts_with("rd.metaboot"))
            continue;
        auto eq = word.find('=');
        auto key = word.substr(0, eq);
        auto value = eq == std::string_view::npos ? std::string_view("1") : word.substr(eq + 1);
        auto warn = [&](std::string why) { warnings.push_back("kernel command line: " + std::string(word) + ": " + why); };
        if (key == "rd.metaboot") {
            if (value == "0" || value == "no" || value == "off")
                config.disabled = true;
            else if (value != "1" && value != "yes" && value != "on")
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
            auto provider = parse_provider(value);
            if (provider)
                config.provider = *provider;
            else
                warn(provider.error().message());
        } else if (key == "rd.metaboot.timeout") {
            auto timeout = parse_timeout(value);
            if (timeout)
                config.timeout_seconds = *timeout;
            else
                warn(timeout.error().message());
        } else if (key == "rd.metaboot.url") {
            if (valid_url(value))
                config.metadata_url = std::string(value);
            else
                warn("not an http:// URL");
        } else if (key == "rd.metaboot.output") {
            Config trial = config;
            auto result = parse_output(trial, value);
            if (result)
                config = trial;
            else
                warn(result.error().message());
        } else if (key == "rd.metaboot.network") {
            if (value == "0" || value == "no" || value == "off")
                config.network_config = false;
            else if (value != "1")
                warn("expected 0 or 1");
        } else {
            warn("unknown option");
        }
    }
}

Result<FlagSet> parse_run_flags(Config& config, const std::vector<std::string_view>& args)
{
    FlagSet seen;
    for (size_t i = 0; i < args.size(); ++i) {
        std::string_view arg = args[i];
        std::string_view inline_value;
        bool has_inline = false;
        if (arg.starts_with("--")) {
            auto eq = arg.find('=');
            if (eq != std::string_view::npos) {
                inline_value = arg.substr(eq + 1);
                arg = arg.substr(0, eq);
                has_inline = true;
            }
        }
        auto value = [&]() -> Result<std::string_view> {
            if (has_inline)
                return inline_value;
            if (i + 1 >= args.size())
                return Error::invalid(std::string(arg) + " needs a value");
            return args[++i];
        };
        auto flag = [&](bool& target) -> Status {
            if (has_inline)
                return Error::invalid(std::string(arg) + " takes no value");
            target = true;
            return {};
        };
        if (arg == "--interface" || arg == "-i") {
            auto name = TRY(value());
            if (!is_valid_interface_name(name))
                return Error::invalid("not an interface name: " + std::string(name));
            if (!seen.interfaces)
                config.interfaces.clear();
            config.interfaces.emplace_back(name);
            seen.interfaces = true;
        } else if (arg == "--root") {
            config.root = std::string(TRY(value()));
        } else if (arg == "--state-dir") {
            config.state_dir = std::string(TRY(value()));
        } else if (arg == "--metadata-url") {
            auto url = TRY(value());
            if (!valid_url(url))
                return Error::invalid("--metadata-url must be an http:// URL");
            config.metadata_url = std::string(url);
            seen.metadata_url = true;
        } else if (arg == "--provider") {
            config.provider = TRY(parse_provider(TRY(value())));
            seen.provider = true;
        } else if (arg == "--timeout") {
            config.timeout_seconds = TRY(parse_timeout(TRY(value())));
            seen.timeout = true;
        } else if (arg == "--output") {
            TRY(parse_output(config, TRY(value())));
            seen.output = true;
        } else if (arg == "--crawl") {
            auto mode = TRY(value());
            if (mode != "full" && mode != "minimal")
                return Error::invalid("--crawl takes full or minimal");
            config.crawl_full = mode == "full";
        } else if (arg == "--sysfs") {
            config.sysfs_root = std::string(TRY(value()));
        } else if (arg == "--cmdline") {
            config.cmdline_path = std::string(TRY(value()));
        } else if (arg == "--runtime") {
            TRY(flag(config.runtime));
        } else if (arg == "--no-policy-routing") {
            bool off = false;
            TRY(flag(off));
            config.policy_routing = false;
        } else if (arg == "--keep-lease") {
            TRY(flag(config.keep_lease));
        } else if (arg == "--release") {
            TRY(flag(config.release));
        } else if (arg == "--json") {
            TRY(flag(config.json));
        } else if (arg == "--verbose" || arg == "-v") {
            TRY(flag(config.verbose));
        } else {
            return Error::invalid("unknown argument: " + std::string(arg));
        }
    }
    return seen;
}

}
