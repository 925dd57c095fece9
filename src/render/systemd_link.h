// systemd .link files: how udev's net_setup_link names a NIC. netplan writes
// one per renamed interface whichever backend it drives (networkd or
// NetworkManager), since neither network service renames links itself; the
// networkd and NetworkManager formats do the same.
// https://www.freedesktop.org/software/systemd/man/latest/systemd.link.html
#pragma once

#include "common/file_content.h"
#include "model/network_config.h"

#include <optional>
#include <string>

namespace mb::render {

// The prefix of every .link and .network file metaboot writes: cloud-init's
// networkd renderer's, so a root that later runs cloud-init has one file per
// NIC, not two.
inline constexpr const char* systemd_file_prefix = "10-cloud-init-";

// `directory` is etc/systemd/network or run/systemd/network. A .link file
// only for an interface matched by MAC and renamed (set-name); nullopt
// otherwise. The text has no header: `header` is prepended as given.
std::optional<FileContent> render_systemd_link(const Interface& interface, const std::string& directory, const char* header);

}
