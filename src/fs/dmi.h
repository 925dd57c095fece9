// The DMI strings platform detection reads, from sysfs. The classifier itself
// is pure and lives in metadata/platform.
#pragma once

#include "metadata/platform.h"

#include <string>

namespace mb::fs {

// Reads the DMI files under `sysfs_root` ("/sys" on a real system); an absent
// file reads as empty.
metadata::DmiInfo read_dmi(const std::string& sysfs_root);

}
