// validate(), fallback_network() and is_driver_name() on bad single values,
// each with its exact error (issue 19 item 4).
#include "model/network_config.h"

#include <doctest/doctest.h>

#include <string>

using namespace mb;

TEST_CASE("network config edges: an interface name no renderer can use is refused with the name made printable")
{
    for (auto const& [name, message] : std::initializer_list<std::pair<std::string, std::string>> {
             { "lo", "interface name is not usable: \"lo\"" },
             { "-eth0", "interface name is not usable: \"-eth0\"" },
             { "", "interface name is not usable: \"\"" },
             { "eth\n0", "interface name is not usable: \"eth?0\"" },
             { std::string(16, 'e'), "interface name is not usable: \"eeeeeeeeeeeeeeee\"" },
         }) {
        INFO(name);
        NetworkConfig config;
        Interface interface;
        interface.name = name;
        interface.dhcp4 = true;
        config.interfaces.push_back(interface);
        auto status = validate(config);
        REQUIRE(status.is_error());
        CHECK(status.error().kind() == ErrorKind::Invalid);
        CHECK(status.error().message() == message);
    }
}

TEST_CASE("network config edges: the fallback needs the leased NIC to be on this system")
{
    std::vector<SystemNic> system { { MacAddress::parse("02:00:00:00:00:01").value(), "ens5" } };
    MappingOptions options;
    options.leased_mac = MacAddress::parse("02:00:00:00:00:09");
    auto config = fallback_network(system, options);
    REQUIRE(config.is_error());
    CHECK(config.error().kind() == ErrorKind::NotFound);
    CHECK(config.error().message() == "the leased NIC 02:00:00:00:00:09 is not on this system");
}

TEST_CASE("network config edges: a driver name is 1..56 letters, digits, '_' or '-'")
{
    CHECK(is_driver_name("virtio_net"));
    CHECK(is_driver_name(std::string(56, 'd')));
    CHECK_FALSE(is_driver_name(std::string(57, 'd')));
    CHECK_FALSE(is_driver_name(""));
    CHECK_FALSE(is_driver_name("mlx5 core"));
    CHECK_FALSE(is_driver_name("a/b"));
}
