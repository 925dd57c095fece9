#include "fs/dmi.h"

#include "common/text.h"
#include "fs/small_file.h"

namespace mb::fs {

DmiInfo read_dmi(const std::string& sysfs_root)
{
    auto dir = sysfs_root + "/class/dmi/id/";
    auto read = [&](const char* name) { return std::string(trim(read_small_file(dir + name, 4096))); };
    DmiInfo dmi;
    dmi.sys_vendor = read("sys_vendor");
    dmi.product_name = read("product_name");
    dmi.product_uuid = read("product_uuid");
    dmi.board_asset_tag = read("board_asset_tag");
    dmi.chassis_asset_tag = read("chassis_asset_tag");
    dmi.product_version = read("product_version");
    dmi.product_serial = read("product_serial");
    return dmi;
}

}
