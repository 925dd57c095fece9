// The only code in metaboot that writes files: lists of files written
// atomically under a directory (through fs::Root), the real root made
// writable for the duration when it is mounted read-only. It knows nothing
// of what the files are.
#pragma once

#include "common/file_content.h"
#include "common/result.h"
#include "fs/root.h"

#include <optional>
#include <string>
#include <vector>

namespace mb::fs {

// cloud-init's opt-out, read from the root's etc/cloud/cloud.cfg and then
// etc/cloud/cloud.cfg.d/*.cfg in lexical order (cloud-init's merge order, a
// later file overriding). Returns the file whose setting disabled network
// config, or nullopt when network config is not disabled.
Result<std::optional<std::string>> cloud_init_network_opt_out(const Root& root);

struct WrittenFile {
    std::string path; // as written: the directory joined with the relative path
    WriteOutcome outcome { WriteOutcome::Written };
};

struct WriteReport {
    bool remounted { false }; // the directory's mount was read-only, made writable and restored
    std::vector<WrittenFile> files;
    std::vector<std::string> removed; // by a sweep, as the directory joined with the relative path
};

enum class Remount {
    IfReadOnly, // the real root: make a read-only mount writable, then restore it
    Never,      // the initramfs's own /run
};

// Files a writer owns by name under the same directory: every entry of
// `directory` (relative) named `prefix`...`suffix`. After the writes, those
// not among the files just written are removed (left by an earlier run for
// something that is gone).
struct Sweep {
    std::string directory;
    std::string prefix;
    std::string suffix;

    bool operator==(const Sweep&) const = default;
};

// Writes each file atomically, in order, under `directory`, then removes
// what the sweeps name and this call did not write; stops at the first
// failure (files already written stay written: each is whole). With
// Remount::IfReadOnly a read-only mount is made writable and restored
// whatever happens; the first error is the one reported.
Result<WriteReport> write_files(const std::string& directory, const std::vector<FileContent>& files, Remount remount, const std::vector<Sweep>& sweeps = {});

// The state for the real root: `state_dir` (absolute) is created 0755 with
// any missing parents, then the files are written as write_files() does.
Result<WriteReport> write_state(const std::string& state_dir, const std::vector<FileContent>& files);

}
