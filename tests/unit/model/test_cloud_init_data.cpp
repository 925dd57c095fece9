// cloud-init's instance-data from the model: the distro facts as cloud-init's
// get_linux_distro() and _get_variant() read os-release, canonical_cloud_id's
// regions, and the user-data only in the sensitive file.
#include "common/json.h"
#include "common/text.h"
#include "model/cloud_init_data.h"

#include <doctest/doctest.h>

using namespace mb;

namespace {

std::string v1(const std::string& document, const std::string& key)
{
    auto json = parse_json(document);
    REQUIRE(json.ok());
    const JsonValue* v1 = json->find("v1");
    REQUIRE(v1);
    const JsonValue* value = v1->find(key);
    if (!value)
        return "<absent>";
    if (value->type() == JsonValue::Type::Null)
        return "<null>";
    REQUIRE(value->as_string());
    return std::string(*value->as_string());
}

InstanceMetadata instance()
{
    InstanceMetadata metadata;
    metadata.cloud = "ec2";
    metadata.instance_id = "i-0123";
    metadata.local_hostname = "ip-198-18-0-10.ec2.internal";
    metadata.region = "us-east-1";
    metadata.availability_zone = "us-east-1a";
    metadata.public_keys = { "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI key" };
    return metadata;
}

}

TEST_CASE("cloud-init data: distro, release and variant from os-release")
{
    struct Case {
        const char* os_release;
        const char* distro;
        const char* version;
        const char* release;
        const char* variant;
    };
    const Case cases[] = {
        { "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\n",
            "debian", "12", "bookworm", "debian" },
        { "ID=ubuntu\nVERSION_ID=\"24.04\"\nVERSION_CODENAME=noble\n", "ubuntu", "24.04", "noble", "ubuntu" },
        { "ID=\"rhel\"\nVERSION_ID=\"9.4\"\nVERSION=\"9.4 (Plow)\"\n", "redhat", "9.4", "Plow", "rhel" },
        { "ID=fedora\nVERSION_ID=41\nVERSION_CODENAME=\"\"\nVERSION=\"41 (Cloud Edition)\"\n", "fedora", "41", "Cloud Edition", "fedora" },
        { "ID=\"sles\"\nVERSION_ID=\"15.6\"\n", "sles", "15.6", "x86_64", "suse" },
        { "ID=opensuse-leap\nVERSION_ID=\"15.6\"\n", "opensuse-leap", "15.6", "x86_64", "suse" },
        { "ID=alpine\nVERSION_ID=3.20.3\nPRETTY_NAME=\"Alpine Linux v3.20\"\n", "alpine", "3.20.3", "Alpine Linux v3.20", "alpine" },
        { "ID=amzn\nVERSION_ID=\"2023\"\n", "amzn", "2023", "", "linux" },
        { "", "", "", "", "linux" },
    };
    for (const auto& c : cases) {
        INFO(c.os_release);
        HostFacts host { c.os_release, "6.1.0-28-cloud-amd64", "x86_64" };
        auto text = cloud_init_instance_data(instance(), { "aws", "ec2", "http://169.254.169.254" }, host, false);
        CHECK(v1(text, "distro") == c.distro);
        CHECK(v1(text, "distro_version") == c.version);
        CHECK(v1(text, "distro_release") == c.release);
        CHECK(v1(text, "variant") == c.variant);
        CHECK(v1(text, "kernel_release") == "6.1.0-28-cloud-amd64");
        CHECK(v1(text, "machine") == "x86_64");
        CHECK(v1(text, "python_version") == "<null>");
    }
}

TEST_CASE("cloud-init data: identity in both spellings, cloud_id by region")
{
    auto metadata = instance();
    auto text = cloud_init_instance_data(metadata, { "aws", "ec2", "http://169.254.169.254" }, {}, false);
    CHECK(v1(text, "instance_id") == "i-0123");
    CHECK(v1(text, "instance-id") == "i-0123");
    CHECK(v1(text, "local-hostname") == "ip-198-18-0-10.ec2.internal");
    CHECK(v1(text, "cloud_name") == "aws");
    CHECK(v1(text, "platform") == "ec2");
    CHECK(v1(text, "subplatform") == "metadata (http://169.254.169.254)");
    CHECK(v1(text, "cloud_id") == "aws");
    metadata.region = "cn-north-1";
    CHECK(v1(cloud_init_instance_data(metadata, { "aws", "ec2", "u" }, {}, false), "cloud_id") == "aws-china");
    metadata.region = "us-gov-west-1";
    CHECK(v1(cloud_init_instance_data(metadata, { "aws", "ec2", "u" }, {}, false), "cloud_id") == "aws-gov");
    CHECK(v1(cloud_init_instance_data(metadata, { "openstack", "openstack", "u" }, {}, false), "cloud_id") == "openstack");
    metadata.region.clear();
    CHECK(v1(cloud_init_instance_data(metadata, { "", "ec2", "u" }, {}, false), "cloud_id") == "ec2");
}

TEST_CASE("cloud-init data: user-data only in the sensitive file, base64 when it is not UTF-8")
{
    auto metadata = instance();
    CHECK(cloud_init_instance_data(metadata, { "aws", "ec2", "u" }, {}, true).find("user_data") == std::string::npos);
    metadata.user_data = std::string("#cloud-config\npassword: hunter2\n");
    auto pub = cloud_init_instance_data(metadata, { "aws", "ec2", "u" }, {}, false);
    auto secret = cloud_init_instance_data(metadata, { "aws", "ec2", "u" }, {}, true);
    CHECK(pub.find("hunter2") == std::string::npos);
    CHECK(pub.find("\"redacted for non-root user\"") != std::string::npos);
    CHECK(secret.find("password: hunter2") != std::string::npos);
    CHECK(secret.find("\"base64_encoded_keys\": []") != std::string::npos);
    metadata.user_data = std::string("\x1f\x8b\x08\x00gzip", 8);
    secret = cloud_init_instance_data(metadata, { "aws", "ec2", "u" }, {}, true);
    CHECK(secret.find(base64_encode(*metadata.user_data)) != std::string::npos);
    CHECK(secret.find("\"ds/user_data\"") != std::string::npos);
}

TEST_CASE("base64: RFC 4648 section 10 vectors")
{
    const std::pair<const char*, const char*> vectors[] = {
        { "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" }, { "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
    };
    for (auto [in, out] : vectors)
        CHECK(base64_encode(in) == out);
    CHECK(base64_encode(std::string("\xff\xfe\x00", 3)) == "//4A");
}

TEST_CASE("os-release: last assignment wins, quotes dropped, prefixes are not keys")
{
    const char* text = "ID=debian\nID_LIKE=\"rhel fedora\"\nVERSION_ID='12'\n  ID=\"ubuntu\"\n# ID=arch\n";
    CHECK(os_release_value(text, "ID") == "ubuntu");
    CHECK(os_release_value(text, "ID_LIKE") == "rhel fedora");
    CHECK(os_release_value(text, "VERSION_ID") == "12");
    CHECK(os_release_value(text, "VERSION") == "");
}
