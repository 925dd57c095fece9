#include "model/cloud_init_data.h"

#include "common/format.h"
#include "common/json_writer.h"
#include "common/text.h"

namespace mb {

namespace {

// cloud-init's canonical_cloud_id(): AWS's China and GovCloud regions have
// ids of their own; otherwise the cloud's name ("unknown" when neither).
std::string cloud_id(std::string_view cloud_name, std::string_view region, std::string_view platform)
{
    if (region.starts_with("cn-") && cloud_name == "aws")
        return "aws-china";
    if (region.starts_with("us-gov-") && cloud_name == "aws")
        return "aws-gov";
    if (region.starts_with("china") && cloud_name == "azure")
        return "azure-china";
    return std::string(cloud_name.empty() || cloud_name == "unknown" ? platform : cloud_name);
}

struct Distro {
    std::string name, version, release, variant;
};

// cloud-init's util.get_linux_distro() and _get_variant() on the root's
// os-release.
Distro distro_of(const HostFacts& host)
{
    Distro distro;
    std::string id = os_release_value(host.os_release, "ID");
    distro.version = os_release_value(host.os_release, "VERSION_ID");
    if (id.find("sles") != std::string::npos || id.find("suse") != std::string::npos) {
        distro.release = host.machine;
        distro.variant = "suse";
    } else if (id == "alpine" || id == "photon") {
        distro.release = os_release_value(host.os_release, "PRETTY_NAME");
    } else {
        distro.release = os_release_value(host.os_release, "VERSION_CODENAME");
        // "12 (bookworm)"
        std::string version = os_release_value(host.os_release, "VERSION");
        auto open = version.find(" (");
        if (distro.release.empty() && open != std::string::npos && version.back() == ')' && version.find(' ') == open)
            distro.release = version.substr(open + 2, version.size() - open - 3);
    }
    distro.name = id == "rhel" ? "redhat" : id;
    if (!distro.variant.empty())
        return distro;
    static const char* const own[] = { "almalinux", "alpine", "aosc", "arch", "azurelinux", "centos", "cloudlinux", "debian", "eurolinux", "fedora",
        "mariner", "miraclelinux", "openeuler", "opencloudos", "openmandriva", "photon", "rhel", "rocky", "suse", "tencentos", "virtuozzo" };
    distro.variant = "linux";
    for (const char* name : own) {
        if (distro.name == name)
            distro.variant = name;
    }
    if (distro.name == "ubuntu" || distro.name == "linuxmint" || distro.name == "mint")
        distro.variant = "ubuntu";
    else if (distro.name == "redhat")
        distro.variant = "rhel";
    else if (distro.name.starts_with("opensuse") || distro.name.starts_with("sle"))
        distro.variant = "suse";
    return distro;
}

// Both spellings, as cloud-init writes the keys it renamed ("instance-id"
// and "instance_id").
void both(JsonWriter& json, std::string_view dashed, std::string_view underscored, std::string_view value)
{
    json.field(dashed, value);
    json.field(underscored, value);
}

}

std::string os_release_value(std::string_view text, std::string_view key)
{
    std::string value;
    for (auto raw : split_lines(text)) {
        auto line = trim(raw);
        if (line.size() <= key.size() || !line.starts_with(key) || line[key.size()] != '=')
            continue;
        auto rest = line.substr(key.size() + 1);
        if (rest.size() >= 2 && (rest.front() == '"' || rest.front() == '\'') && rest.back() == rest.front())
            rest = rest.substr(1, rest.size() - 2);
        value = std::string(rest);
    }
    return value;
}

std::string cloud_init_instance_data(const InstanceMetadata& metadata, const CloudInitNames& names, const HostFacts& host, bool sensitive)
{
    auto distro = distro_of(host);
    bool user_data_text = metadata.user_data && is_valid_utf8(*metadata.user_data);
    JsonWriter json(JsonWriter::Layout::Pretty);
    json.open_object();
    json.string_list_field("_beta_keys", { "subplatform" });
    json.string_list_field("base64_encoded_keys", sensitive && metadata.user_data && !user_data_text ? std::vector<std::string> { "ds/user_data" } : std::vector<std::string> {});
    if (metadata.user_data) {
        json.key("ds");
        json.open_object();
        json.field("user_data", !sensitive ? "redacted for non-root user" : user_data_text ? *metadata.user_data : base64_encode(*metadata.user_data));
        json.close_object();
    }
    json.string_list_field("sensitive_keys", metadata.user_data ? std::vector<std::string> { "ds/user_data" } : std::vector<std::string> {});
    json.key("v1");
    json.open_object();
    json.string_list_field("_beta_keys", { "subplatform" });
    both(json, "availability-zone", "availability_zone", metadata.availability_zone);
    json.field("cloud_id", cloud_id(names.cloud_name, metadata.region, names.platform));
    both(json, "cloud-name", "cloud_name", names.cloud_name);
    json.field("distro", distro.name);
    json.field("distro_release", distro.release);
    json.field("distro_version", distro.version);
    both(json, "instance-id", "instance_id", metadata.instance_id);
    json.field("kernel_release", host.kernel_release);
    both(json, "local-hostname", "local_hostname", metadata.local_hostname);
    json.field("machine", host.machine);
    json.field("platform", names.platform);
    json.string_list_field("public_ssh_keys", metadata.public_keys);
    // No Python runs here: cloud-init's interpreter version and
    // platform.platform() string have no value to give.
    json.key("python_version");
    json.null();
    json.field("region", metadata.region);
    json.field("subplatform", strf("metadata (%s)", names.metadata_url.c_str()));
    json.key("system_platform");
    json.null();
    json.field("variant", distro.variant);
    json.close_object();
    json.close_object();
    return json.release();
}

}
