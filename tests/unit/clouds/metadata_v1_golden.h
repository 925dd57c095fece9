// What the DigitalOcean and UpCloud tests share: a case file's metadata
// document, and the four renderings checked against their golden files
// (METABOOT_UPDATE_GOLDEN=1 rewrites them).
#pragma once

#include "render/ifupdown.h"
#include "render/netplan.h"
#include "render/networkd.h"
#include "render/networkmanager.h"

#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace metadata_v1_test {

inline std::string read_text(const std::string& path)
{
    std::string out;
    if (FILE* file = std::fopen(path.c_str(), "rb")) {
        char buffer[4096];
        size_t n;
        while ((n = std::fread(buffer, 1, sizeof buffer, file)) > 0)
            out.append(buffer, n);
        std::fclose(file);
    }
    return out;
}

// The JSON object that is the value of "key" in a case file.
inline std::string case_member(const std::string& text, const char* key)
{
    auto start = text.find('{', text.find(std::string("\"") + key + "\""));
    REQUIRE(start != std::string::npos);
    int depth = 0;
    bool in_string = false;
    for (size_t i = start; i < text.size(); ++i) {
        char c = text[i];
        if (in_string) {
            i += c == '\\';
            in_string = c != '"';
            continue;
        }
        in_string = c == '"';
        depth += c == '{' ? 1 : c == '}' ? -1 : 0;
        if (depth == 0)
            return text.substr(start, i - start + 1);
    }
    FAIL("unbalanced ", key);
    return {};
}

inline void check_golden(const std::string& name, const std::string& text)
{
    std::string path = "tests/fixtures/render/golden/" + name;
    const char* update = std::getenv("METABOOT_UPDATE_GOLDEN");
    if (update && std::string(update) == "1") {
        FILE* file = std::fopen(path.c_str(), "wb");
        REQUIRE(file);
        std::fwrite(text.data(), 1, text.size(), file);
        std::fclose(file);
    }
    INFO("golden file ", path);
    CHECK(text == read_text(path));
}

inline std::string bundle(const std::vector<mb::FileContent>& files, const char* mode_prefix)
{
    std::string text;
    for (auto const& file : files) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", unsigned(file.mode));
        text += "==> " + file.path + " (" + mode_prefix + mode + ") <==\n" + file.text;
    }
    return text;
}

inline void check_goldens(const std::string& name, const mb::NetworkConfig& config)
{
    auto netplan = mb::render::render_netplan(config);
    REQUIRE(netplan.ok());
    check_golden(name + ".netplan.yaml", *netplan);
    auto ifupdown = mb::render::render_ifupdown(config);
    REQUIRE(ifupdown.ok());
    check_golden(name + ".ifupdown", *ifupdown);
    auto networkd = mb::render::render_networkd(config, mb::render::networkd_directory);
    REQUIRE(networkd.ok());
    check_golden(name + ".networkd", bundle(*networkd, ""));
    auto networkmanager = mb::render::render_networkmanager(config, mb::render::networkmanager_directory, "etc/systemd/network");
    REQUIRE(networkmanager.ok());
    check_golden(name + ".networkmanager", bundle(*networkmanager, "mode "));
}

}
