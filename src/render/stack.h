// Which network stack the real root will run, so that exactly one format is
// written: netplan and ifupdown files both in a root that runs both stacks
// make systemd-networkd and networking.service fight over the same NIC.
// Pure: it asks the root through RootView; tests answer from a table of root
// layouts (tests/unit/render/test_stack.cpp).
#pragma once

#include "render/format.h"

#include <span>
#include <string>
#include <vector>

namespace mb::render {

struct StackChoice {
    const Format* format { nullptr }; // none: the root has no stack metaboot writes for
    std::string reason;               // why this one ("NetworkManager.service enabled")
    // One line per format passed over, in the order asked: what was looked
    // for and not found ("ifupdown: not installed (sbin/ifup)").
    std::vector<std::string> passed_over;
};

// The rules, in `formats`' order (the registry's: netplan, networkmanager,
// ifupdown, networkd), the first that holds winning:
// 1. A format without a service (netplan): installed is enough, since its
//    systemd generator writes and enables the backend's config at every boot.
// 2. A root without systemd (sysvinit, OpenRC, busybox init): installed is
//    enough; there are no units to ask.
// 3. The format's service is enabled: a unit link in a *.wants/ or
//    *.requires/ directory of etc/systemd/system (what `systemctl enable`
//    makes) or usr/lib/systemd/system.
// 4. First boot (etc/machine-id absent, empty or "uninitialized"), when
//    systemd applies the preset policy: the first preset line that matches
//    the service, files taken by name across etc/, run/, usr/local/lib/ and
//    usr/lib/ (lib/) systemd/system-preset, the earlier directory winning a
//    name, says "enable".
// https://www.freedesktop.org/software/systemd/man/latest/systemd.preset.html
StackChoice choose_stack(const RootView& root, std::span<const Format* const> formats);

// Does the preset text enable `unit`? nullopt when no line matches it.
std::optional<bool> preset_enables(std::string_view preset_text, std::string_view unit);

}
