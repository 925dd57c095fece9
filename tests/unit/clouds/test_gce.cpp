// GCE: detection, the metadata server's answers into the model (keys rules,
// user-data, bad input), and the fallback network config.
#include "clouds/fetch.h"
#include "clouds/gce/gce.h"
#include "clouds/registry.h"
#include "fs/dmi.h"

#include "../fake_transport.h"

#include <doctest/doctest.h>

#include <cstdio>
#include <map>
#include <sys/stat.h>
#include <unistd.h>

using namespace mb;
using namespace mb::clouds;

namespace {

const std::string key1 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGNsb3VkaW5pdC1rZXktb25l one@example";
const std::string key2 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGFsaWNlLWtleS10d28tdHdv alice@example";
const std::string key3 = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDexpired google-ssh {\"userName\":\"x@example.com\",\"expireOn\":\"2001-01-01T00:00:00+0000\"}";
const std::string key4 = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDfuture google-ssh {\"userName\":\"x@example.com\",\"expireOn\":\"2999-01-01T00:00:00+0000\"}";
const std::string key5 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHByb2plY3Qta2V5LWZpdmU project@example";
const std::string key6 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHByb2plY3QtbGVnYWN5LXNpeA legacy@example";

// Shaped after GET instance/?recursive=true on an e2-medium: camelCase
// fields, resource paths for zone and machineType, the id as a JSON number
// (which a double cannot hold exactly), attributes under their own names.
std::string instance_json(const std::string& attributes)
{
    return R"({"attributes":)" + attributes + R"(,"cpuPlatform":"Intel Broadwell","description":"",
 "disks":[{"deviceName":"persistent-disk-0","index":0,"interface":"SCSI","mode":"READ_WRITE","type":"PERSISTENT-BALANCED"}],
 "hostname":"vm-1.us-central1-a.c.example-project.internal","id":4520031799277581759,
 "image":"projects/debian-cloud/global/images/debian-12-bookworm-v20240110",
 "machineType":"projects/123456789012/machineTypes/e2-medium","name":"vm-1",
 "networkInterfaces":[{"accessConfigs":[{"externalIp":"","type":"ONE_TO_ONE_NAT"}],"dnsServers":["169.254.169.254"],
   "gateway":"10.128.0.1","ip":"10.128.0.2","mac":"42:01:0a:80:00:02","mtu":1460,
   "network":"projects/123456789012/networks/default","subnetmask":"255.255.240.0","targetInstanceIps":[]}],
 "scheduling":{"automaticRestart":"TRUE","onHostMaintenance":"MIGRATE","preemptible":"FALSE"},
 "tags":[],"zone":"projects/123456789012/zones/us-central1-a"})";
}

std::string json_string(const std::string& text)
{
    std::string out = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\')
            out += '\\';
        if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out + "\"";
}

struct FakeGce {
    std::map<std::string, std::string> files {
        { "/computeMetadata/v1/instance/?recursive=true",
            instance_json("{\"ssh-keys\":" + json_string("cloudinit:" + key1 + "\nalice:" + key2 + "\ncloudinit:" + key3 + "\ncloudinit:" + key4 + "\ncloudinit:not a key\n\nno colon here\n") + "}") },
        { "/computeMetadata/v1/instance/id", "4520031799277581759" },
        { "/computeMetadata/v1/project/attributes/?recursive=true", "{\"ssh-keys\":" + json_string("cloudinit:" + key5) + ",\"sshKeys\":" + json_string("cloudinit:" + key6) + "}" },
    };
    testing::FakeReply handle(const testing::FakeRequest& request)
    {
        // The real server's rule: no Metadata-Flavor: Google, no answer.
        if (request.header("metadata-flavor") != "Google")
            return { testing::http_reply(403, "Missing Metadata-Flavor:Google header.") };
        auto it = files.find(request.target);
        if (it == files.end())
            return { testing::http_reply(404, "") };
        return { testing::http_reply(200, it->second, "Metadata-Flavor: Google\r\n") };
    }
};

struct Fetched {
    Result<InstanceMetadata> result;
    FetchStats stats;
    std::vector<testing::FakeRequest> requests;
};

Fetched fetch(FakeGce& service)
{
    testing::FakeTime time;
    testing::FakeTransport transport(time, [&](const testing::FakeRequest& r) { return service.handle(r); });
    FetchStats stats;
    auto result = fetch_metadata(gce_cloud, FetchOptions {}, transport, time, time.now() + http::Milliseconds(5000), stats);
    return { std::move(result), std::move(stats), transport.requests };
}

bool warned(const std::vector<std::string>& warnings, std::string_view text)
{
    for (auto const& w : warnings) {
        if (w.find(text) != std::string::npos)
            return true;
    }
    return false;
}

MacAddress mac(const char* text)
{
    return MacAddress::parse(text).value();
}

std::optional<MacAddress> find_system_nic_mac(const std::vector<SystemNic>& nics, std::string_view name)
{
    for (auto const& nic : nics) {
        if (nic.name == name)
            return nic.mac;
    }
    return std::nullopt;
}

// 2020-01-01T00:30:00Z
constexpr int64_t half_past_midnight = 1577836800 + 1800;

}

TEST_CASE("gce: detection from DMI, product_serial read from sysfs")
{
    struct Row {
        const char* name;
        DmiInfo dmi;
        bool gce;
    };
    std::vector<Row> rows = {
        { "product name", { .sys_vendor = "Google", .product_name = "Google Compute Engine" }, true },
        { "short product name", { .product_name = "Google" }, true },
        { "serial only (LP: #1674861)", { .product_serial = "GoogleCloud-8A0C31D5F4B7E0A6F11E1E3B1F2C3D4E" }, true },
        { "vendor alone", { .sys_vendor = "Google" }, false },
        { "lookalike name", { .product_name = "Google Compute Engine Emulator" }, false },
        { "lower-case serial", { .product_serial = "googlecloud-1234" }, false },
        { "plain QEMU", { .sys_vendor = "QEMU", .product_name = "Standard PC (Q35 + ICH9, 2009)", .product_serial = "" }, false },
    };
    for (auto const& row : rows) {
        CAPTURE(row.name);
        const Cloud* cloud = detect_cloud(PlatformFacts { row.dmi, "" });
        CHECK(cloud == (row.gce ? &gce_cloud : nullptr));
    }

    char pattern[] = "/tmp/mb-dmi-gce-XXXXXX";
    std::string root = ::mkdtemp(pattern);
    std::string dir = root + "/class/dmi/id";
    for (auto path : { root + "/class", root + "/class/dmi", dir })
        ::mkdir(path.c_str(), 0755);
    FILE* file = std::fopen((dir + "/product_serial").c_str(), "w");
    REQUIRE(file);
    std::fputs("GoogleCloud-1234\n", file);
    std::fclose(file);
    CHECK(fs::read_dmi(root).product_serial == "GoogleCloud-1234");
    ::unlink((dir + "/product_serial").c_str());
    for (auto path : { dir, root + "/class/dmi", root + "/class", root })
        ::rmdir(path.c_str());
}

TEST_CASE("gce: the instance in three GETs, each with Metadata-Flavor; the keys cloud-init keeps")
{
    FakeGce service;
    auto fetched = fetch(service);
    REQUIRE_MESSAGE(fetched.result.ok(), fetched.result.error().message());
    auto const& m = *fetched.result;
    CHECK(m.cloud == "gce");
    // From instance/id's text, not the recursive JSON's number.
    CHECK(m.instance_id == "4520031799277581759");
    CHECK(m.hostname == "vm-1.us-central1-a.c.example-project.internal");
    CHECK(m.local_hostname == "vm-1");
    CHECK(m.availability_zone == "us-central1-a");
    CHECK(m.region == "us-central1");
    CHECK(m.instance_type == "e2-medium");
    CHECK_FALSE(m.has_network_data);
    CHECK_FALSE(m.user_data.has_value());
    // cloudinit's keys only (no default user known), the expired google-ssh
    // key left out, the malformed one dropped; then the project's ssh-keys
    // and sshKeys in that order.
    CHECK(m.public_keys == std::vector<std::string> { key1, key4, key5, key6 });
    CHECK(warned(fetched.stats.warnings, "malformed key"));

    REQUIRE(fetched.requests.size() == 3);
    CHECK(fetched.stats.requests == 3);
    for (auto const& request : fetched.requests) {
        CHECK(request.method == "GET");
        CHECK(request.header("metadata-flavor") == "Google");
        CHECK(request.header("x-forwarded-for").empty());
    }
    CHECK(fetched.requests[0].target == "/computeMetadata/v1/instance/?recursive=true");
    CHECK(fetched.requests[1].target == "/computeMetadata/v1/instance/id");
    CHECK(fetched.requests[2].target == "/computeMetadata/v1/project/attributes/?recursive=true");
}

TEST_CASE("gce: project keys are not read when blocked or replaced by legacy sshKeys")
{
    for (auto attributes : { "{\"block-project-ssh-keys\":\"TRUE\",\"ssh-keys\":" + json_string("cloudinit:" + key1) + "}",
             "{\"sshKeys\":" + json_string("cloudinit:" + key1) + "}" }) {
        CAPTURE(attributes);
        FakeGce service;
        service.files["/computeMetadata/v1/instance/?recursive=true"] = instance_json(attributes);
        auto fetched = fetch(service);
        REQUIRE(fetched.result.ok());
        CHECK(fetched.result->public_keys == std::vector<std::string> { key1 });
        CHECK(fetched.requests.size() == 2);
    }
    // "false", and an empty legacy sshKeys, let the project's keys in.
    FakeGce service;
    service.files["/computeMetadata/v1/instance/?recursive=true"] = instance_json("{\"block-project-ssh-keys\":\"false\",\"sshKeys\":\"\"}");
    auto fetched = fetch(service);
    REQUIRE(fetched.result.ok());
    CHECK(fetched.result->public_keys == std::vector<std::string> { key5, key6 });
}

TEST_CASE("gce: user-data and its encoding")
{
    struct Row {
        const char* attributes;
        std::optional<std::string> user_data;
        const char* warning;
    };
    std::vector<Row> rows = {
        { R"({"user-data":"#cloud-config\nhostname: x\n"})", "#cloud-config\nhostname: x\n", nullptr },
        { R"({"user-data":"I2Nsb3VkLWNvbmZpZwo=","user-data-encoding":"base64"})", "#cloud-config\n", nullptr },
        { R"({"user-data":"I2Ns\nb3Vk","user-data-encoding":"base64"})", "#cloud", nullptr },
        // Unpadded: Python's b64decode says "Incorrect padding" too.
        { R"({"user-data":"aGk","user-data-encoding":"base64"})", std::nullopt, "not base64" },
        { R"({"user-data":"aGk=","user-data-encoding":"base64"})", "hi", nullptr },
        { R"({"user-data":"aGVsbG8hI","user-data-encoding":"base64"})", std::nullopt, "not base64" },
        { R"({"user-data":"abc","user-data-encoding":"gzip"})", "abc", "user-data-encoding unknown" },
        { R"({"user-data":42})", std::nullopt, nullptr },
        { R"({})", std::nullopt, nullptr },
    };
    for (auto const& row : rows) {
        CAPTURE(row.attributes);
        InstanceMetadata m;
        std::vector<std::string> warnings;
        bool project_keys = false;
        REQUIRE(apply_gce_json(instance_json(row.attributes), GceDocument::Instance, m, half_past_midnight, project_keys, warnings).ok());
        CHECK(m.user_data == row.user_data);
        CHECK(warnings.empty() == !row.warning);
        if (row.warning)
            CHECK(warned(warnings, row.warning));
    }
}

TEST_CASE("gce: bad input is refused or dropped with a warning")
{
    for (auto bad : { "", "{", "[]", "\"x\"", "{\"a\":1} trailing", "{\"hostname\":\"a\",}" }) {
        CAPTURE(bad);
        InstanceMetadata m;
        std::vector<std::string> warnings;
        bool project_keys = false;
        auto result = apply_gce_json(bad, GceDocument::Instance, m, 0, project_keys, warnings);
        REQUIRE(result.is_error());
        CHECK(result.error().kind() == ErrorKind::Invalid);
    }
    struct Row {
        const char* json;
        const char* warning;
    };
    std::vector<Row> rows = {
        { R"({"hostname":"vm-1\nevil: yes"})", "hostname" },
        { R"({"hostname":"-vm.example"})", "hostname" },
        { R"({"zone":"projects/1/zones/us central1-a"})", "zone" },
        { R"({"zone":"projects/1/zones/"})", "zone" },
        { R"({"machineType":"projects/1/machineTypes/e2-medium;reboot"})", "machineType" },
    };
    for (auto const& row : rows) {
        CAPTURE(row.json);
        InstanceMetadata m;
        std::vector<std::string> warnings;
        bool project_keys = false;
        REQUIRE(apply_gce_json(row.json, GceDocument::Instance, m, 0, project_keys, warnings).ok());
        CHECK(m.hostname.empty());
        CHECK(m.local_hostname.empty());
        CHECK(m.availability_zone.empty());
        CHECK(m.instance_type.empty());
        CHECK(warned(warnings, row.warning));
    }
    // Values of the wrong type are ignored, not an error.
    InstanceMetadata m;
    std::vector<std::string> warnings;
    bool project_keys = false;
    REQUIRE(apply_gce_json(R"({"hostname":7,"zone":null,"attributes":[1,2],"id":"x"})", GceDocument::Instance, m, 0, project_keys, warnings).ok());
    CHECK(project_keys);
    CHECK(m.hostname.empty());
    CHECK(m.public_keys.empty());

    // A bad instance/id is dropped; a missing one is not GCE's service.
    FakeGce service;
    service.files["/computeMetadata/v1/instance/id"] = "123\n456";
    auto fetched = fetch(service);
    REQUIRE(fetched.result.ok());
    CHECK(fetched.result->instance_id.empty());
    CHECK(warned(fetched.stats.warnings, "instance/id"));
    service.files.erase("/computeMetadata/v1/instance/id");
    CHECK(fetch(service).result.error().kind() == ErrorKind::NotFound);

    // Malformed or failing project attributes cost only the project's keys.
    for (auto project : { "{\"ssh-keys\":", "" }) {
        FakeGce other;
        if (*project)
            other.files["/computeMetadata/v1/project/attributes/?recursive=true"] = project;
        else
            other.files.erase("/computeMetadata/v1/project/attributes/?recursive=true");
        auto result = fetch(other);
        REQUIRE(result.result.ok());
        CHECK(result.result->public_keys == std::vector<std::string> { key1, key4 });
        CHECK(warned(result.stats.warnings, "no project keys") == bool(*project));
    }
}

TEST_CASE("gce: google-ssh expireOn, as cloud-init's _has_expired reads it")
{
    struct Row {
        const char* expire_on;
        bool kept;
    };
    std::vector<Row> rows = {
        { "2020-01-01T00:00:00+0000", false },
        { "2020-01-01T00:00:00Z", false },
        { "2020-01-01T00:30:00+00:00", true }, // now is not past it
        { "2020-01-01T00:00:00-0100", true },  // 01:00Z
        { "2020-01-01T01:00:00+0100", false }, // 00:00Z
        { "2019-12-31T23:59:59+0000", false },
        { "2020-02-29T00:00:00+0000", true },
        // Day 32 is refused (kept, as cloud-init keeps it); a day 29..31
        // past a shorter month's end would count on into the next month,
        // where Python's strptime refuses it.
        { "2020-01-32T00:00:00+0000", true },
        { "2019-12-31T00:00:00+0000", false },
        { "2020-01-01T00:00:00+01:3x", true },
        { "2020-01-01T00:00:00+0x30", true },
        { "2020-13-01T00:00:00+0000", true }, // not a date: never expires
        { "2020-01-01 00:00:00+0000", true },
        { "2020-01-01T00:00:00", true },
        { "2020-01-01T00:00:00+0000x", true },
        { "2020", true },
        { "", true },
    };
    for (auto const& row : rows) {
        CAPTURE(row.expire_on);
        std::vector<std::string> keys, warnings;
        auto key = std::string("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQD google-ssh {\"userName\":\"u\",\"expireOn\":\"") + row.expire_on + "\"}";
        append_gce_keys("cloudinit:" + key, half_past_midnight, keys, warnings);
        CHECK(keys.size() == (row.kept ? 1u : 0u));
    }
    // Spaces around the fields do not hide the schema (Python's split()).
    for (auto expired : { "  ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQD google-ssh {\"expireOn\":\"2000-01-01T00:00:00Z\"}",
             "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQD   google-ssh   {\"expireOn\":\"2000-01-01T00:00:00Z\"}" }) {
        CAPTURE(expired);
        std::vector<std::string> keys, warnings;
        append_gce_keys(std::string("cloudinit:") + expired, half_past_midnight, keys, warnings);
        CHECK(keys.empty());
    }
    // Only the google-ssh schema, as the third field, with a JSON rest.
    for (auto kept : { "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQD other {\"expireOn\":\"2000-01-01T00:00:00Z\"}",
             "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQD google-ssh",
             "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQD google-ssh not-json",
             "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQD google-ssh {\"userName\":\"u\"}" }) {
        CAPTURE(kept);
        std::vector<std::string> keys, warnings;
        append_gce_keys(std::string("cloudinit:") + kept, half_past_midnight, keys, warnings);
        CHECK(keys.size() == 1);
    }
    // Other users' keys, lines without a user, non-ASCII lines: not kept.
    std::vector<std::string> keys, warnings;
    append_gce_keys("root:" + key1 + "\n" + key1 + "\ncloudinit :" + key1 + "\ncloudinit:" + key1 + " caf\xc3\xa9", 0, keys, warnings);
    CHECK(keys.empty());
}

TEST_CASE("gce: cloud-init's fallback: dhcp4 and dhcp6 on eth0, else on the first NIC in natural order")
{
    // Each row's choice is what cloud-init 25.1.4's own
    // generate_fallback_config() picks for these NICs, all with a carrier
    // (run through make_reference.py's gce_fallback()).
    struct Row {
        std::vector<const char*> names;
        const char* chosen;
    };
    std::vector<Row> rows = {
        { { "ens5", "ens4" }, "ens4" },
        { { "eth10", "eth2" }, "eth2" },
        { { "ens4", "eth0" }, "eth0" },
        { { "eth1", "eth0" }, "eth0" },
        { { "ens3", "ens4", "ens10" }, "ens3" },
        { { "Enp0s4", "enp0s5" }, "Enp0s4" },
        { { "eth", "eth1" }, "eth" },
        { { "gve1", "eth007" }, "eth007" },
    };
    for (auto const& row : rows) {
        CAPTURE(row.chosen);
        std::vector<SystemNic> nics;
        for (auto name : row.names)
            nics.push_back({ mac(("42:01:0a:80:00:0" + std::to_string(nics.size() + 2)).c_str()), name });
        // The lease does not choose: the last NIC here holds it.
        MappingOptions options;
        options.leased_mac = nics.back().mac;
        auto config = map_gce_network(InstanceMetadata {}, nics, options);
        REQUIRE(config.ok());
        REQUIRE(config->interfaces.size() == 1);
        auto const& interface = config->interfaces[0];
        CHECK(interface.name == row.chosen);
        CHECK(interface.set_name == row.chosen);
        CHECK(interface.match_mac == find_system_nic_mac(nics, row.chosen));
        CHECK(interface.dhcp4);
        CHECK(interface.dhcp6);
        CHECK(interface.addresses.empty());
        CHECK(interface.routes.empty());
    }
    // No NIC at all: nothing to write.
    CHECK(map_gce_network(InstanceMetadata {}, {}, {}).is_error());
}
