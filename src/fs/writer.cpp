#include "fs/writer.h"

#include "fs/remount.h"
#include "fs/root_config.h"

#include <algorithm>
#include <cerrno>
#include <sys/stat.h>

namespace mb::fs {

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
        if ((*text)->starts_with(cloud_init_handoff_marker))
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

std::string join_path(const std::string& directory, const std::string& relative)
{
    if (!directory.empty() && directory.back() == '/')
        return directory + relative;
    return directory + "/" + relative;
}

bool sweeps_name(const Sweep& sweep, const std::string& name)
{
    return name.size() >= sweep.prefix.size() + sweep.suffix.size() && name.starts_with(sweep.prefix) && name.ends_with(sweep.suffix);
}

Status write_each(const Root& root, const std::string& directory, const std::vector<FileContent>& files, const std::vector<Sweep>& sweeps, WriteReport& report)
{
    for (const auto& file : files) {
        auto outcome = TRY(root.write_file(file.path, file.text, mode_t(file.mode)));
        report.files.push_back({ join_path(directory, file.path), outcome });
    }
    for (const auto& sweep : sweeps) {
        for (const auto& name : TRY(root.list_directory(sweep.directory))) {
            std::string path = sweep.directory + "/" + name;
            if (!sweeps_name(sweep, name) || std::any_of(files.begin(), files.end(), [&](const FileContent& file) { return file.path == path; }))
                continue;
            if (TRY(root.remove_file(path)))
                report.removed.push_back(join_path(directory, path));
        }
    }
    return {};
}

}

Result<WriteReport> write_files(const std::string& directory, const std::vector<FileContent>& files, Remount remount, const std::vector<Sweep>& sweeps)
{
    WriteReport report;
    if (files.empty() && sweeps.empty())
        return report;
    auto root = TRY(Root::open(directory));
    if (remount == Remount::Never) {
        TRY(write_each(root, directory, files, sweeps, report));
        return report;
    }
    auto guard = TRY(WritableGuard::make_writable(directory));
    report.remounted = guard.remounted();
    auto status = write_each(root, directory, files, sweeps, report);
    // Restore read-only whatever happened; the first error is the one reported.
    auto restored = guard.restore();
    if (status.is_error())
        return status.release_error();
    if (restored.is_error())
        return restored.release_error();
    return report;
}

Result<WriteReport> write_state(const std::string& state_dir, const std::vector<FileContent>& files)
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
    return write_files(state_dir, files, Remount::Never);
}

}
