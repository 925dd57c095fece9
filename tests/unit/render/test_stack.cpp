// Which stack the real root runs: a table of root layouts, each a list of
// files (a trailing "->" names a symlink's target, which must exist too for
// the link to count), through fake rows shaped like the registry's.
#include "render/stack.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>

using namespace mb;
using namespace mb::render;

namespace {

struct FakeRoot {
    std::map<std::string, std::string> files; // path -> content

    bool exists(std::string_view path) const
    {
        auto found = files.find(std::string(path));
        if (found != files.end())
            return true;
        std::string prefix = std::string(path) + "/";
        return std::any_of(files.begin(), files.end(), [&](const auto& file) { return file.first.rfind(prefix, 0) == 0; });
    }

    RootView view() const
    {
        return RootView {
            [this](std::string_view path) { return exists(path); },
            [this](std::string_view path) { return exists(path) && !files.count(std::string(path)); },
            [this](std::string_view path) -> Result<std::optional<std::string>> {
                auto found = files.find(std::string(path));
                if (found == files.end())
                    return std::optional<std::string>();
                return std::optional<std::string>(found->second);
            },
            [this](std::string_view path) {
                std::set<std::string> names;
                std::string prefix = std::string(path) + "/";
                for (const auto& file : files) {
                    if (file.first.rfind(prefix, 0) == 0) {
                        auto rest = file.first.substr(prefix.size());
                        names.insert(rest.substr(0, rest.find('/')));
                    }
                }
                return std::vector<std::string>(names.begin(), names.end());
            },
        };
    }
};

Result<std::vector<OutputFile>> render_nothing(const NetworkConfig&, const RootView&, Persistence)
{
    return std::vector<OutputFile>();
}

// Rows in the registry's order, with the real rows' services and programs.
const Format fake_netplan { .name = "netplan",
    .present = [](const RootView& root) { return root.exists("usr/sbin/netplan"); },
    .render = render_nothing,
    .looked_for = "usr/sbin/netplan" };
const Format fake_networkmanager { .name = "networkmanager",
    .present = [](const RootView& root) { return root.exists("usr/sbin/NetworkManager"); },
    .render = render_nothing,
    .service = "NetworkManager.service",
    .looked_for = "usr/sbin/NetworkManager" };
const Format fake_ifupdown { .name = "ifupdown",
    .present = [](const RootView& root) { return root.exists("sbin/ifup"); },
    .render = render_nothing,
    .service = "networking.service",
    .looked_for = "sbin/ifup" };
const Format fake_networkd { .name = "networkd",
    .present = [](const RootView& root) { return root.exists("usr/lib/systemd/systemd-networkd"); },
    .render = render_nothing,
    .service = "systemd-networkd.service",
    .looked_for = "usr/lib/systemd/systemd-networkd" };
const Format* const rows[] = { &fake_netplan, &fake_networkmanager, &fake_ifupdown, &fake_networkd };

const char* const systemd = "usr/lib/systemd/systemd";
const char* const machine_id = "etc/machine-id";

std::string wants(const char* unit, const char* target = "multi-user.target")
{
    return std::string("etc/systemd/system/") + target + ".wants/" + unit;
}

}

TEST_CASE("stack: one stack per root, from a table of root layouts")
{
    struct Case {
        const char* layout;
        std::map<std::string, std::string> files;
        const char* expected; // nullptr: none
        const char* reason_has;
    };
    const std::string id = "4f3a0e1b2c3d4e5f60718293a4b5c6d7\n";
    const Case cases[] = {
        { "Ubuntu/Debian with netplan (networkd backend), ifupdown also installed and enabled",
            { { systemd, "" }, { machine_id, id }, { "usr/sbin/netplan", "" }, { "usr/lib/systemd/systemd-networkd", "" }, { "sbin/ifup", "" },
                { wants("networking.service"), "" }, { wants("systemd-networkd.service"), "" } },
            "netplan", "generator" },
        { "Debian 12 with ifupdown (networking.service enabled by its postinst)",
            { { systemd, "" }, { machine_id, id }, { "sbin/ifup", "" }, { "usr/lib/systemd/systemd-networkd", "" }, { wants("networking.service"), "" },
                { wants("networking.service", "network-online.target"), "" } },
            "ifupdown", "networking.service enabled" },
        { "Fedora/RHEL/AL2023-like: NetworkManager enabled, networkd shipped but disabled",
            { { systemd, "" }, { machine_id, id }, { "usr/sbin/NetworkManager", "" }, { "usr/lib/systemd/systemd-networkd", "" },
                { wants("NetworkManager.service"), "" } },
            "networkmanager", "NetworkManager.service enabled" },
        { "networkd alone (Arch, a minimal image)",
            { { systemd, "" }, { machine_id, id }, { "usr/lib/systemd/systemd-networkd", "" }, { wants("systemd-networkd.service"), "" } },
            "networkd", "systemd-networkd.service enabled" },
        { "NetworkManager and networkd both enabled: NetworkManager",
            { { systemd, "" }, { machine_id, id }, { "usr/sbin/NetworkManager", "" }, { "usr/lib/systemd/systemd-networkd", "" },
                { wants("NetworkManager.service"), "" }, { wants("systemd-networkd.service"), "" } },
            "networkmanager", "enabled" },
        { "ifupdown left installed but disabled, NetworkManager enabled",
            { { systemd, "" }, { machine_id, id }, { "sbin/ifup", "" }, { "usr/sbin/NetworkManager", "" }, { wants("NetworkManager.service"), "" } },
            "networkmanager", "enabled" },
        { "first boot: nothing linked yet, the preset policy enables NetworkManager",
            { { systemd, "" }, { machine_id, "" }, { "usr/sbin/NetworkManager", "" }, { "usr/lib/systemd/systemd-networkd", "" },
                { "usr/lib/systemd/system-preset/90-default.preset", "enable NetworkManager.service\n" },
                { "usr/lib/systemd/system-preset/99-default-disable.preset", "disable *\n" } },
            "networkmanager", "preset" },
        { "first boot (uninitialized): the preset disables everything",
            { { systemd, "" }, { machine_id, "uninitialized\n" }, { "usr/lib/systemd/systemd-networkd", "" },
                { "usr/lib/systemd/system-preset/99-default-disable.preset", "disable *\n" } },
            nullptr, nullptr },
        { "not the first boot: presets are not applied again",
            { { systemd, "" }, { machine_id, id }, { "usr/sbin/NetworkManager", "" },
                { "usr/lib/systemd/system-preset/90-default.preset", "enable NetworkManager.service\n" } },
            nullptr, nullptr },
        { "an etc/ preset file masks the usr/lib one of the same name",
            { { systemd, "" }, { "usr/sbin/NetworkManager", "" }, { "etc/systemd/system-preset/90-default.preset", "disable NetworkManager.service\n" },
                { "usr/lib/systemd/system-preset/90-default.preset", "enable NetworkManager.service\n" } },
            nullptr, nullptr },
        { "no systemd (sysvinit or OpenRC with ifupdown): installed is enough",
            { { "sbin/ifup", "" }, { "etc/network/interfaces", "auto lo\n" } }, "ifupdown", "no systemd" },
        { "nothing installed", { { systemd, "" }, { machine_id, id } }, nullptr, nullptr },
        { "networkd installed, never enabled", { { systemd, "" }, { machine_id, id }, { "usr/lib/systemd/systemd-networkd", "" } }, nullptr, nullptr },
    };
    for (const auto& c : cases) {
        INFO(c.layout);
        FakeRoot root { c.files };
        auto choice = choose_stack(root.view(), rows);
        if (!c.expected) {
            CHECK(!choice.format);
            CHECK(choice.passed_over.size() == 4);
            continue;
        }
        REQUIRE(choice.format);
        CHECK(choice.format->name == c.expected);
        CHECK(choice.reason.find(c.reason_has) != std::string::npos);
    }
}

TEST_CASE("stack: what was looked for is named when nothing is found")
{
    FakeRoot root { { { systemd, "" }, { "usr/lib/systemd/systemd-networkd", "" } } };
    auto choice = choose_stack(root.view(), rows);
    CHECK(!choice.format);
    REQUIRE(choice.passed_over.size() == 4);
    CHECK(choice.passed_over[0] == "netplan: not installed (usr/sbin/netplan)");
    CHECK(choice.passed_over[3] == "networkd: installed, but systemd-networkd.service is not enabled");
}

TEST_CASE("stack: preset lines, first match wins")
{
    struct Case {
        const char* text;
        const char* unit;
        std::optional<bool> expected;
    };
    const Case cases[] = {
        { "enable NetworkManager.service\n", "NetworkManager.service", true },
        { "disable *\n", "NetworkManager.service", false },
        { "# comment\n; other comment\n\nenable systemd-network*\n", "systemd-networkd.service", true },
        { "enable systemd-networkd.socket\ndisable systemd-networkd.service\n", "systemd-networkd.service", false },
        { "enable getty@.service tty1\n", "getty@.service", true },
        { "ignore NetworkManager.service\nenable *\n", "NetworkManager.service", false },
        { "enable Network?anager.service\n", "NetworkManager.service", true },
        { "enable NetworkManager\n", "NetworkManager.service", std::nullopt },
        { "enable\n", "NetworkManager.service", std::nullopt },
        { "", "NetworkManager.service", std::nullopt },
        { "  enable\t*.service  \n", "x.service", true },
        { "enable *.socket\n", "x.service", std::nullopt },
        { "enable **a*\n", "banana", true },
    };
    for (const auto& c : cases) {
        INFO(c.text);
        CHECK(preset_enables(c.text, c.unit) == c.expected);
    }
}
