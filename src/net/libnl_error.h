// libnl's error codes as metaboot errors, for the files of net/ that talk
// to libnl.
#pragma once

#include "common/result.h"


namespace mb::net {

// Defined in netlink.cpp.
Error nl_error(const char* what, int code);

}
