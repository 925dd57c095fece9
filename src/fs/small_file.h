// Reading the small text files of /proc and /sys (the kernel command line,
// DMI strings): bounded, and an absent file reads as empty.
#pragma once

#include <cstddef>
#include <string>

namespace mb::fs {

std::string read_small_file(const std::string& path, size_t limit = 8192);

// The kernel command line as dracut's getcmdline sees it: the options an
// image bakes in (dracut's kernel_cmdline=, --kernel-cmdline, in
// <cmdline_d>/*.conf, by name) before those of `cmdline_path`, so the boot
// loader's win. Only for /proc/cmdline itself; any other path is read alone.
std::string read_kernel_cmdline(const std::string& cmdline_path, const std::string& cmdline_d = "/etc/cmdline.d");

// Does the path exist (a file, a directory, anything)?
bool path_exists(const std::string& path);

// The driver bound to a network interface's device: the last component of
// <sysfs>/class/net/<name>/device/driver ("virtio_net", "hv_netvsc",
// "mlx5_core"); empty for a virtual link or an unreadable entry.
std::string read_net_driver(const std::string& sysfs_root, const std::string& interface);

}
