// The clouds metaboot knows, in detection order. The only code outside
// src/clouds/<name>/ that names a cloud.
#pragma once

#include "clouds/cloud.h"

#include <span>
#include <string>
#include <string_view>

namespace mb::clouds {

std::span<const Cloud* const> all_clouds();

// By registry name; nullptr when there is none.
const Cloud* find_cloud(std::string_view name);

// The first cloud, in registry order, whose detect() says yes; nullptr on a
// machine that is not a cloud.
const Cloud* detect_cloud(const PlatformFacts& facts);

// "ec2, openstack": for the help text and usage errors.
std::string cloud_names();

}
