#include "clouds/fetch.h"
#include "common/json.h"
#include "clouds/openstack/openstack.h"
#include "fs/dmi.h"
#include "clouds/registry.h"

#include "../fake_transport.h"

#include <doctest/doctest.h>

#include <cstdlib>
#include <fcntl.h>
#include <map>
#include <sys/stat.h>
#include <unistd.h>

using namespace mb;
using namespace mb::clouds;

namespace {

// Shaped after Nova's output for a port with a static IPv4 subnet and an
// IPv6 SLAAC subnet, plus a second DHCP port.
const char* network_data_static_slaac = R"({
  "links": [
    {"id": "tapf8b5a0c1-2d", "vif_id": "f8b5a0c1-2d3e-4f50-8a9b-0c1d2e3f4a5b", "type": "ovs",
     "mtu": 1450, "ethernet_mac_address": "fa:16:3e:12:34:56"},
    {"id": "tap0b1c2d3e-4f", "type": "phy", "mtu": null, "ethernet_mac_address": "FA:16:3E:AB:CD:EF"},
    {"id": "bond0", "type": "bond", "bond_links": ["tapf8b5a0c1-2d"], "ethernet_mac_address": "fa:16:3e:00:00:01"}
  ],
  "networks": [
    {"id": "network0", "type": "ipv4", "link": "tapf8b5a0c1-2d", "ip_address": "10.0.0.5",
     "netmask": "255.255.255.0",
     "routes": [
       {"network": "0.0.0.0", "netmask": "0.0.0.0", "gateway": "10.0.0.1"},
       {"network": "192.168.0.0", "netmask": "255.255.0.0", "gateway": "10.0.0.254"}
     ],
     "network_id": "d4e5f6a7-b8c9-4d0e-9f1a-2b3c4d5e6f70",
     "services": [{"type": "dns", "address": "10.0.0.2"}]},
    {"id": "network1", "type": "ipv6_slaac", "link": "tapf8b5a0c1-2d", "network_id": "x"},
    {"id": "network2", "type": "ipv4_dhcp", "link": "tap0b1c2d3e-4f", "network_id": "y"},
    {"id": "network3", "type": "ipv6", "link": "tap0b1c2d3e-4f", "ip_address": "2001:db8:1::5",
     "netmask": "ffff:ffff:ffff:ffff::",
     "routes": [{"network": "::", "netmask": "::", "gateway": "2001:db8:1::1"}]},
    {"id": "network4", "type": "ipv6_dhcp", "link": "tap0b1c2d3e-4f"},
    {"id": "network5", "type": "ipv4", "link": "nowhere", "ip_address": "10.9.9.9", "netmask": "255.0.0.0"}
  ],
  "services": [{"type": "dns", "address": "8.8.8.8"}, {"type": "dns", "address": "2001:4860:4860::8888"},
               {"type": "ntp", "address": "10.0.0.3"}]
})";

const char* meta_data = R"json({"uuid": "83679162-1378-4288-a2d4-70e13ec132aa", "hostname": "test-vm.novalocal",
  "name": "test vm; $(reboot)", "availability_zone": "nova", "project_id": "p",
  "public_keys": {"mykey": "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC mykey@host\n"},
  "launch_index": 0, "meta": {"k": "v"}})json";

struct FakeOpenStack {
    std::map<std::string, std::string> files {
        { "/openstack/", "2012-08-10\n2013-04-04\n2015-10-15\n2016-06-30\n2018-08-27\nlatest" },
        { "/openstack/latest/meta_data.json", meta_data },
        { "/openstack/latest/network_data.json", network_data_static_slaac },
    };
    testing::FakeReply handle(const testing::FakeRequest& request)
    {
        auto it = files.find(request.target);
        if (it == files.end())
            return { testing::http_reply(404, "") };
        return { testing::http_reply(200, it->second) };
    }
};

Result<InstanceMetadata> fetch(FakeOpenStack& service, FetchStats& stats, bool pipelining = true, unsigned* writes = nullptr)
{
    testing::FakeTime time;
    testing::FakeTransport transport(time, [&](const testing::FakeRequest& r) { return service.handle(r); });
    FetchOptions options;
    options.pipelining = pipelining;
    auto result = fetch_metadata(openstack_cloud, options, transport, time, time.now() + http::Milliseconds(5000), stats);
    if (writes)
        *writes = transport.writes;
    return result;
}

}

TEST_CASE("openstack: static IPv4 with routes plus SLAAC, DHCP and static IPv6, DNS")
{
    FakeOpenStack service;
    FetchStats stats;
    auto result = fetch(service, stats);
    REQUIRE_MESSAGE(result.ok(), result.error().message());
    auto const& m = *result;
    CHECK(m.cloud == "openstack");
    CHECK(m.api_version == "latest");
    CHECK(m.instance_id == "83679162-1378-4288-a2d4-70e13ec132aa");
    CHECK(m.hostname == "test-vm.novalocal");
    CHECK(m.availability_zone == "nova");
    CHECK(m.has_network_data);
    CHECK(m.public_keys == std::vector<std::string> { "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC mykey@host" });
    CHECK_FALSE(m.user_data.has_value());
    CHECK(stats.requests == 4);

    // The versions, then the three documents in one pipelined round trip;
    // one by one, four. The same model either way.
    unsigned writes = 0, serial_writes = 0;
    FetchStats serial_stats;
    REQUIRE(fetch(service, stats, true, &writes).ok());
    auto serial = fetch(service, serial_stats, false, &serial_writes);
    CHECK(writes == 2);
    CHECK(serial_writes == 4);
    REQUIRE(serial.ok());
    CHECK(serial->nics == m.nics);
    CHECK(serial_stats.requests == 4);

    REQUIRE(m.nics.size() == 2);
    auto const& a = m.nics[0];
    CHECK(a.mac.to_string() == "fa:16:3e:12:34:56");
    CHECK(a.mtu == 1450u);
    CHECK_FALSE(a.ipv4_dhcp);
    REQUIRE(a.ipv4_addresses.size() == 1);
    CHECK(a.ipv4_addresses[0].to_string() == "10.0.0.5/24");
    CHECK(a.ipv4_gateway == Ipv4Address(10, 0, 0, 1));
    REQUIRE(a.ipv4_routes.size() == 1);
    CHECK(a.ipv4_routes[0].destination.to_string() == "192.168.0.0/16");
    CHECK(a.ipv4_routes[0].gateway == Ipv4Address(10, 0, 0, 254));
    CHECK(a.ipv6_slaac);
    CHECK_FALSE(a.ipv6_dhcp);
    CHECK(a.dns_ipv4 == std::vector<Ipv4Address> { Ipv4Address(10, 0, 0, 2) });

    auto const& b = m.nics[1];
    CHECK(b.mac.to_string() == "fa:16:3e:ab:cd:ef");
    CHECK_FALSE(b.mtu.has_value());
    CHECK(b.ipv4_dhcp);
    CHECK(b.ipv6_dhcp);
    REQUIRE(b.ipv6_addresses.size() == 1);
    CHECK(b.ipv6_addresses[0].to_string() == "2001:db8:1::5/64");
    CHECK(b.ipv6_gateway->to_string() == "2001:db8:1::1");

    CHECK(m.dns_ipv4 == std::vector<Ipv4Address> { Ipv4Address(8, 8, 8, 8) });
    REQUIRE(m.dns_ipv6.size() == 1);
    CHECK(m.dns_ipv6[0].to_string() == "2001:4860:4860::8888");

    bool bond_warned = false, unknown_link_warned = false;
    for (auto const& w : stats.warnings) {
        bond_warned = bond_warned || w.find("bond") != std::string::npos;
        unknown_link_warned = unknown_link_warned || w.find("unknown link") != std::string::npos;
    }
    CHECK(bond_warned);
    CHECK(unknown_link_warned);
}

TEST_CASE("openstack: malformed JSON is a clear error")
{
    for (auto bad : { "{\"links\": [", "[]", "{\"links\": {}}", "{\"links\": []} trailing", "" }) {
        CAPTURE(bad);
        FakeOpenStack service;
        service.files["/openstack/latest/network_data.json"] = bad;
        FetchStats stats;
        auto result = fetch(service, stats);
        REQUIRE(result.is_error());
        CHECK(result.error().kind() == ErrorKind::Invalid);
        CHECK(result.error().message().find("network_data.json") != std::string::npos);
    }
    FakeOpenStack service;
    service.files["/openstack/latest/meta_data.json"] = "{\"uuid\": \"x\",}";
    FetchStats stats;
    auto result = fetch(service, stats);
    REQUIRE(result.is_error());
    CHECK(result.error().message().find("meta_data.json: malformed JSON") != std::string::npos);
}

TEST_CASE("openstack: user-data, missing network_data, version choice")
{
    FakeOpenStack service;
    service.files["/openstack/latest/user_data"] = "#!/bin/sh\necho hi\n";
    service.files.erase("/openstack/latest/network_data.json");
    FetchStats stats;
    auto result = fetch(service, stats);
    REQUIRE(result.ok());
    CHECK(result->user_data == "#!/bin/sh\necho hi\n");
    CHECK_FALSE(result->has_network_data);

    CHECK(select_openstack_version("2012-08-10\nlatest\n").value() == "latest");
    CHECK(select_openstack_version("2012-08-10\n2015-10-15\n2016-06-30\n").value() == "2016-06-30");
    CHECK(select_openstack_version("2012-08-10\n2013-04-04\n").is_error());
    CHECK(select_openstack_version("9999-99-99x\n").is_error());
}

TEST_CASE("openstack: ip_address with a prefix, bad netmasks, hostile values")
{
    InstanceMetadata m;
    std::vector<std::string> warnings;
    auto status = apply_openstack_network_data(R"({"links": [
        {"id": "l", "type": "phy", "ethernet_mac_address": "fa:16:3e:00:00:01", "mtu": 1e9},
        {"id": "m", "type": "phy", "ethernet_mac_address": "fa:16:3e:00:00:02\n- evil: yaml"}],
      "networks": [
        {"type": "ipv4", "link": "l", "ip_address": "10.1.2.3/28"},
        {"type": "ipv4", "link": "l", "ip_address": "10.1.2.4", "netmask": "255.0.255.0"},
        {"type": "ipv6", "link": "l", "ip_address": "fd00::1", "netmask": "ffff::ffff"},
        {"type": "ipv4", "link": "l", "ip_address": "10.1.2.5/24",
         "routes": [{"network": "0.0.0.0", "netmask": "0.0.0.0", "gateway": "10.1.2.1; reboot"}]}]})",
        m, warnings);
    REQUIRE(status.ok());
    REQUIRE(m.nics.size() == 1);
    CHECK_FALSE(m.nics[0].mtu.has_value());
    REQUIRE(m.nics[0].ipv4_addresses.size() == 2);
    CHECK(m.nics[0].ipv4_addresses[0].to_string() == "10.1.2.3/28");
    CHECK(m.nics[0].ipv6_addresses.empty());
    CHECK_FALSE(m.nics[0].ipv4_gateway.has_value());
    CHECK(warnings.size() >= 5);
}

TEST_CASE("json island: values, errors, depth limit")
{
    auto doc = parse_json(R"({"a": [1, 2.5, true, null, "x\u00e9"], "b": {"c": -3}, "n": 4294967295})");
    REQUIRE(doc.ok());
    CHECK(doc->find("a")->items().size() == 5);
    CHECK(doc->find("a")->items()[0].as_unsigned(10) == 1u);
    CHECK_FALSE(doc->find("a")->items()[1].as_unsigned(10).has_value());
    CHECK(doc->find("a")->items()[2].as_bool() == true);
    CHECK(doc->find("a")->items()[3].type() == JsonValue::Type::Null);
    CHECK(doc->find("a")->items()[4].as_string() == "x\xc3\xa9");
    CHECK_FALSE(doc->find("b")->find("c")->as_unsigned(10).has_value());
    CHECK(doc->find("n")->as_unsigned(UINT32_MAX) == UINT32_MAX);
    CHECK_FALSE(doc->find("n")->as_unsigned(UINT32_MAX - 1).has_value());
    CHECK(doc->find("missing") == nullptr);
    CHECK(doc->find("a")->find("x") == nullptr);
    CHECK(doc->string_member("a") == std::nullopt);

    CHECK(parse_json("[1,]").is_error());
    CHECK(parse_json("{} {}").is_error());
    CHECK(parse_json("\"unterminated").is_error());
    CHECK(parse_json(std::string(64, '[') + std::string(64, ']')).ok());
    auto deep = parse_json(std::string(100000, '['));
    REQUIRE(deep.is_error());
    CHECK(deep.error().message().find("nested") != std::string::npos);
    CHECK(parse_json("[\"[[[[\"]").ok());
    CHECK(parse_json("1e400").is_error()); // picojson refuses infinities
    CHECK_FALSE(parse_json("1e300")->as_unsigned(UINT64_MAX).has_value());
}

TEST_CASE("json island: numbers follow RFC 8259's grammar and whole values are exact")
{
    struct Case {
        const char* text;
        std::optional<uint64_t> whole; // as_unsigned(UINT64_MAX)
    };
    for (const Case& c : std::initializer_list<Case> {
             { "0", 0 }, { "-0", 0 }, { "7", 7 }, { "9000", 9000 }, { "4294967295", 4294967295u },
             { "9007199254740992", 9007199254740992u }, { "1.0", 1 }, { "1.500e3", 1500 }, { "15E-1", std::nullopt },
             { "1e2", 100 }, { "1E+2", 100 }, { "100e-2", 1 }, { "0.5", std::nullopt }, { "-3", std::nullopt },
             { "1234567890123456", 1234567890123456u }, { "1e22", std::nullopt }, { "0.000", 0 },
             { "123456789012345678901234567890e-20", std::nullopt }, { "1e-400", 0 } }) {
        INFO(c.text);
        auto doc = parse_json(c.text);
        REQUIRE(doc.ok());
        CHECK(doc->as_unsigned(UINT64_MAX) == c.whole);
    }
    // 1e22 is the largest exact power; 2^64 and more is refused as a whole value.
    CHECK(parse_json("1e19")->as_unsigned(UINT64_MAX) == 10000000000000000000u);
    CHECK(parse_json("1e22")->as_number() == 1e22);
    CHECK(parse_json("0.1")->as_number() == 0.1);
    CHECK(parse_json("-2.5e-3")->as_number() == -2.5e-3);
    CHECK(parse_json("1.5e300")->as_number() > 1e299);
    // Not JSON numbers: picojson takes these characters in, the grammar ends
    // the number early, and the document is malformed.
    for (auto text : { "01", "-", "1.", "1.e5", "1e", "1e+", "--1", "1-2", "1.2.3", "1ee2", "-.5", "00", "1e5e5", "2+" }) {
        INFO(text);
        CHECK(parse_json(text).is_error());
        CHECK(parse_json(std::string("[") + text + "]").is_error());
    }
    CHECK(parse_json("1e400").is_error());
    CHECK(parse_json("-1e400").is_error());
    CHECK(parse_json("1" + std::string(400, '0')).is_error());
    CHECK(parse_json("1" + std::string(400, '0') + "e-400")->as_unsigned(10) == 1u);
}

namespace {

struct TempSysfs {
    std::string root;
    TempSysfs()
    {
        char pattern[] = "/tmp/mb-dmi-XXXXXX";
        root = ::mkdtemp(pattern);
        ::mkdir((root + "/class").c_str(), 0755);
        ::mkdir((root + "/class/dmi").c_str(), 0755);
        ::mkdir((root + "/class/dmi/id").c_str(), 0755);
    }
    ~TempSysfs()
    {
        for (auto name : { "sys_vendor", "product_name", "product_uuid", "board_asset_tag", "chassis_asset_tag", "product_version", "product_serial" })
            ::unlink((root + "/class/dmi/id/" + name).c_str());
        ::rmdir((root + "/class/dmi/id").c_str());
        ::rmdir((root + "/class/dmi").c_str());
        ::rmdir((root + "/class").c_str());
        ::rmdir(root.c_str());
    }
    void write(const char* name, const std::string& value)
    {
        int fd = ::open((root + "/class/dmi/id/" + name).c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        REQUIRE(fd >= 0);
        auto text = value + "\n"; // sysfs attributes end in a newline
        REQUIRE(::write(fd, text.data(), text.size()) == ssize_t(text.size()));
        ::close(fd);
    }
};

}

TEST_CASE("platform detection over fake sysfs trees with real DMI strings")
{
    struct Row {
        const char* name;
        std::map<const char*, std::string> files;
        const char* expected; // the registry's name, or nullptr: not a cloud
    };
    std::vector<Row> rows = {
        { "EC2 Nitro (m5.large)",
            { { "sys_vendor", "Amazon EC2" }, { "product_name", "m5.large" }, { "product_uuid", "ec2e1916-9099-7caf-fd21-012345678901" },
                { "board_asset_tag", "i-0123456789abcdef0" }, { "chassis_asset_tag", "Amazon EC2" }, { "product_version", "" } },
            "ec2" },
        { "EC2 Nitro, uuid unreadable (not root)", { { "sys_vendor", "Amazon EC2" }, { "product_name", "c6g.medium" } }, "ec2" },
        { "EC2 Xen (t2.micro)",
            { { "sys_vendor", "Xen" }, { "product_name", "HVM domU" }, { "product_uuid", "EC2A4B41-7A0F-2AE5-2F3C-4B28D7DE4D1A" },
                { "product_version", "4.11.amazon" }, { "chassis_asset_tag", "" } },
            "ec2" },
        { "EC2 Xen, lower-case uuid", { { "sys_vendor", "Xen" }, { "product_name", "HVM domU" }, { "product_uuid", "ec2a4b41-7a0f-2ae5-2f3c-4b28d7de4d1a" } }, "ec2" },
        { "plain Xen", { { "sys_vendor", "Xen" }, { "product_name", "HVM domU" }, { "product_uuid", "5b2e8a3c-1111-2222-3333-444455556666" }, { "product_version", "4.17.3" } }, nullptr },
        { "OpenStack Nova (RDO)",
            { { "sys_vendor", "RDO" }, { "product_name", "OpenStack Compute" }, { "product_uuid", "83679162-1378-4288-a2d4-70e13ec132aa" },
                { "product_version", "23.2.1-1.el8" }, { "chassis_asset_tag", "" } },
            "openstack" },
        { "OpenStack Nova (Foundation)", { { "sys_vendor", "OpenStack Foundation" }, { "product_name", "OpenStack Nova" }, { "product_version", "27.1.0" } }, "openstack" },
        { "OpenStack, rebranded product, Nova asset tag", { { "sys_vendor", "Example Cloud" }, { "product_name", "Example VM" }, { "chassis_asset_tag", "OpenStack Nova" } }, "openstack" },
        { "plain QEMU (i440FX)",
            { { "sys_vendor", "QEMU" }, { "product_name", "Standard PC (i440FX + PIIX, 1996)" }, { "product_version", "pc-i440fx-8.2" },
                { "chassis_asset_tag", "" }, { "product_uuid", "ec2aaaaa-0000-0000-0000-000000000000" } },
            nullptr },
        { "plain QEMU (Q35)", { { "sys_vendor", "QEMU" }, { "product_name", "Standard PC (Q35 + ICH9, 2009)" } }, nullptr },
        // EC2-compatible services and rebranded OpenStack clouds, with the
        // DMI values cloud-init's ds-identify and DataSourceEc2 go by.
        { "Brightbox", { { "sys_vendor", "OpenStack Foundation" }, { "product_name", "OpenStack Nova" }, { "product_serial", "srv-a1b2c.gb1.brightbox.com" } }, "brightbox" },
        { "not Brightbox: the suffix in the middle", { { "sys_vendor", "QEMU" }, { "product_serial", "srv.brightbox.com.example" } }, nullptr },
        { "ZStack", { { "sys_vendor", "ZStack" }, { "chassis_asset_tag", "5f2b3a0c.zstack.io" } }, "zstack" },
        { "e24cloud", { { "sys_vendor", "e24cloud" }, { "product_name", "e24cloud VM" } }, "e24cloud" },
        { "Outscale", { { "sys_vendor", "3DS Outscale" }, { "product_name", "3DS Outscale VM" } }, "outscale" },
        { "Outscale's product name alone", { { "sys_vendor", "QEMU" }, { "product_name", "3DS Outscale VM" } }, nullptr },
        { "Samsung Cloud Platform (OpenStack)", { { "sys_vendor", "Samsung" }, { "product_name", "SCP VM" }, { "chassis_asset_tag", "Samsung Cloud Platform" } }, "openstack" },
        { "RDO asset tag (OpenStack)", { { "sys_vendor", "Red Hat" }, { "product_name", "KVM" }, { "chassis_asset_tag", "OpenStack Compute" } }, "openstack" },
        { "no DMI at all (bare container)", {}, nullptr },
    };
    for (auto const& row : rows) {
        CAPTURE(row.name);
        TempSysfs sysfs;
        for (auto const& [name, value] : row.files)
            sysfs.write(name, value);
        auto dmi = fs::read_dmi(sysfs.root);
        const clouds::Cloud* cloud = detect_cloud(PlatformFacts { dmi, "" });
        CHECK(cloud == (row.expected ? find_cloud(row.expected) : nullptr));
        if (row.files.count("sys_vendor"))
            CHECK(dmi.sys_vendor == row.files.at("sys_vendor"));
    }
    CHECK(fs::read_dmi("/nonexistent").sys_vendor.empty());
    REQUIRE(find_cloud("openstack"));
    CHECK(find_cloud("openstack")->name == "openstack");
    CHECK(find_cloud("example") == nullptr);
}
