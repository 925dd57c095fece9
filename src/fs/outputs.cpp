#include "fs/outputs.h"

#include "common/text.h"
#include "fs/remount.h"
#include "fs/root_config.h"

#include <cerrno>
#include <cstring>
#include <sys/stat.h>

namespace mb::fs {

Result<OutputSet> parse_output_list(std::string_view text)
{
    OutputSet set;
    if (text == "none")
        return set;
    for (auto item : split(text, ',')) {
        if (item == "netplan" && !set.netplan)
            set.netplan = true;
        else if (item == "ifupdown" && !set.ifupdown)
            set.ifupdown = true;
        else
            return Error::invalid("--output takes netplan, ifupdown, both comma-separated, or none");
    }
    return set;
}

OutputSet detect_outputs(const Root& root)
{
    OutputSet set;
    set.netplan = root.exists("usr/sbin/netplan") || root.is_directory("etc/netplan");
    set.ifupdown = root.exists("sbin/ifup") || root.exists("etc/network/interfaces");
    return set;
}

Result<std::optional<std::string>> cloud_init_network_opt_out(const Root& root)
{
    std::vector<std::string> files { "etc/cloud/cloud.cfg" };
    for (const auto& name : TRY(root.list_directory("etc/cloud/cloud.cfg.d"))) {
        if (name.size() > 4 && name.compare(name.size() - 4, 4, ".cfg") == 0)
            files.push_back("etc/cloud/cloud.cfg.d/" + name);
    }
    std::optional<std::string> setting;
    std::string from;
    for (const auto& file : files) {
        auto text = root.read_file(file);
        // An unreadable or odd file (a symlink, a directory) is skipped;
        // cloud-init would fail on it, and its absence must not stop the
        // network config either.
        if (text.is_error() || !*text)
            continue;
        if (auto value = cloud_config_network_setting(**text)) {
            setting = std::move(value);
            from = file;
        }
    }
    if (is_network_config_disabled(setting))
        return std::optional<std::string>(from);
    return std::optional<std::string>();
}

namespace {

std::string join_path(const std::string& root, const std::string& relative)
{
    if (!root.empty() && root.back() == '/')
        return root + relative;
    return root + "/" + relative;
}

}

Result<WriteReport> write_outputs(const WriteRequest& request)
{
    WriteReport report;
    auto root = TRY(Root::open(request.root));
    report.outputs = request.outputs ? *request.outputs : detect_outputs(root);
    if (!report.outputs.any())
        return report;
    if (report.outputs.netplan && request.netplan_text.empty())
        return Error::invalid("netplan output chosen but no netplan text given");
    if (report.outputs.ifupdown && request.ifupdown_text.empty())
        return Error::invalid("ifupdown output chosen but no ifupdown text given");

    report.opted_out_by = TRY(cloud_init_network_opt_out(root));
    if (report.opted_out_by)
        return report;

    if (report.outputs.netplan && request.runtime) {
        auto runtime = TRY(Root::open(request.runtime_root));
        auto outcome = TRY(runtime.write_file(runtime_netplan_path, request.netplan_text, 0600));
        report.files.push_back({ join_path(request.runtime_root, runtime_netplan_path), outcome });
    }
    bool writes_root = report.outputs.ifupdown || (report.outputs.netplan && !request.runtime);
    if (!writes_root)
        return report;

    auto guard = TRY(WritableGuard::make_writable(request.root));
    report.remounted = guard.remounted();
    auto write_root = [&](const char* path, std::string_view text, mode_t mode) -> Status {
        auto outcome = TRY(root.write_file(path, text, mode));
        report.files.push_back({ join_path(request.root, path), outcome });
        return {};
    };
    Status status;
    if (report.outputs.netplan && !request.runtime)
        status = write_root(netplan_path, request.netplan_text, 0600);
    if (status.ok() && report.outputs.ifupdown) {
        status = write_root(ifupdown_path, request.ifupdown_text, 0644);
        if (status.ok()) {
            auto existing = root.read_file(interfaces_path);
            if (existing.is_error()) {
                status = existing.release_error();
            } else if (auto updated = interfaces_with_source_line(existing->value_or(std::string()))) {
                status = write_root(interfaces_path, *updated, 0644);
            }
        }
    }
    // Restore read-only whatever happened; the first error is the one reported.
    auto restored = guard.restore();
    if (status.is_error())
        return status.release_error();
    if (restored.is_error())
        return restored.release_error();
    return report;
}

Status write_state(const std::string& state_dir, std::string_view metadata_json, std::string_view lease_json, std::string_view timings_json, const std::optional<std::string>& user_data)
{
    if (state_dir.empty() || state_dir.front() != '/')
        return Error::invalid("state dir must be an absolute path");
    // The state dir lives in the initramfs's /run, which is ours: plain
    // mkdir of each missing component, then everything through Root.
    for (size_t slash = state_dir.find('/', 1);; slash = state_dir.find('/', slash + 1)) {
        std::string prefix = state_dir.substr(0, slash);
        if (::mkdir(prefix.c_str(), 0755) < 0 && errno != EEXIST)
            return Error::io("mkdir " + prefix, errno);
        if (slash == std::string::npos)
            break;
    }
    auto root = TRY(Root::open(state_dir));
    TRY(root.write_file("metadata.json", metadata_json, 0644));
    TRY(root.write_file("lease.json", lease_json, 0644));
    TRY(root.write_file("timings.json", timings_json, 0644));
    if (user_data)
        TRY(root.write_file("user-data", *user_data, 0600));
    return {};
}

}
