// The DMI strings platform detection reads, from sysfs. The classifier itself
// lives in each cloud's detect().
#pragma once

#include "model/platform.h"

#include <string>

namespace mb::fs {

// Reads the DMI files under `sysfs_root` ("/sys" on a real system); an absent
// file reads as empty.
DmiInfo read_dmi(const std::string& sysfs_root);

}
