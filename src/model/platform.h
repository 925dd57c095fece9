// What platform detection reads: the DMI strings and the kernel command
// line. fs/ reads them; each cloud's detect() judges them. No I/O here.
#pragma once

#include <string>

namespace mb {

// The DMI strings under <sysfs>/class/dmi/id/, trimmed. A file that is
// missing or unreadable (product_uuid is root-only) reads as empty.
struct DmiInfo {
    std::string sys_vendor;
    std::string product_name;
    std::string product_uuid;
    std::string board_asset_tag;
    std::string chassis_asset_tag;
    std::string product_version;
    std::string product_serial; // root-only, like product_uuid
};

struct PlatformFacts {
    DmiInfo dmi;
    std::string cmdline; // /proc/cmdline
};

}
