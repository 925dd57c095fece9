// The output-format interface. A format is one file in src/render/ and one
// row in render/registry.cpp: its name, whether a root uses it, and a pure
// render from the renderer-neutral NetworkConfig to the files to write.
#pragma once

#include "common/file_content.h"
#include "common/result.h"
#include "model/network_config.h"

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mb::render {

// The read-only questions a format may ask of the real root: whether it
// uses the format, and the current text of a file the format amends.
// Relative paths. fs::Root answers them; tests answer from a map.
struct RootView {
    std::function<bool(std::string_view)> exists;
    std::function<bool(std::string_view)> is_directory;
    std::function<Result<std::optional<std::string>>(std::string_view)> read_file;
    // Names in a directory, sorted; empty when it is absent or unreadable.
    std::function<std::vector<std::string>(std::string_view)> list;
};

// --runtime: files that can live in the initramfs's /run (which survives
// switch_root) go there, so a read-only root needs no remount.
enum class Persistence {
    Persistent,
    Runtime,
};

enum class Place {
    Root,    // the real root
    Runtime, // the initramfs's /, for run/...
};

struct OutputFile {
    Place place { Place::Root };
    FileContent content;
};

// Files a format owns by name in one directory, beyond the ones it writes
// this time: a format with a file per NIC owns every `prefix`*`suffix` there,
// and the ones not written again (a NIC that is gone) are removed.
struct OwnedFiles {
    Place place { Place::Root };
    std::string_view directory; // relative, as OutputFile paths are
    std::string_view prefix;
    std::string_view suffix;
};

struct Format {
    std::string_view name; // --output, rd.metaboot.output=
    bool (*present)(const RootView& root);
    Result<std::vector<OutputFile>> (*render)(const NetworkConfig& config, const RootView& root, Persistence persistence);
    // Where the files go into the root, and under /run (--runtime); empty
    // for formats with fixed file names.
    std::span<const OwnedFiles> owned_persistent {};
    std::span<const OwnedFiles> owned_runtime {};

    std::span<const OwnedFiles> owned(Persistence persistence) const
    {
        return persistence == Persistence::Runtime ? owned_runtime : owned_persistent;
    }
    // The systemd unit that runs this stack in the real root (render/stack.h);
    // empty for a format a generator turns into another stack's config.
    std::string_view service {};
    // What present() looks for, for the message when nothing is found.
    std::string_view looked_for {};
};

// The first lines of every file metaboot writes: who wrote it and how to
// turn that off.
extern const char* const generated_header;

}
