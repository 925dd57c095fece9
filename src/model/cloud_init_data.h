// cloud-init's instance-data for the real root: the v1 keys that
// `cloud-init query` and cloud-init's Jinja templates read (v1.cloud_name,
// v1.instance_id, v1.local_hostname, v1.region, ...), in cloud-init's own
// layout (cloudinit/sources/__init__.py, _get_standardized_metadata), so a
// script written against cloud-init's instance-data.json reads metaboot's.
// Pure: the caller reads os-release and uname.
#pragma once

#include "model/instance.h"

#include <string>
#include <string_view>

namespace mb {

// What cloud-init's util.system_info() reports and metaboot can know without
// Python: the real root's os-release, and the running kernel.
struct HostFacts {
    std::string os_release; // the root's etc/os-release text; empty when unknown
    std::string kernel_release;
    std::string machine; // uname -m
};

struct CloudInitNames {
    std::string_view cloud_name; // "aws"
    std::string_view platform;   // "ec2"
    std::string metadata_url;    // for subplatform: "metadata (http://169.254.169.254)"
};

// instance-data.json (sensitive = false, mode 0644): the v1 keys; user-data is
// named in sensitive_keys and "redacted for non-root user", as cloud-init
// writes it. instance-data-sensitive.json (sensitive = true, mode 0600): the
// same with the user-data itself under ds.user_data (base64, and listed in
// base64_encoded_keys, when it is not UTF-8).
std::string cloud_init_instance_data(const InstanceMetadata& metadata, const CloudInitNames& names, const HostFacts& host, bool sensitive);

// The value of KEY in an os-release text (os-release(5): KEY=value, the value
// optionally quoted); empty when absent.
std::string os_release_value(std::string_view text, std::string_view key);

}
