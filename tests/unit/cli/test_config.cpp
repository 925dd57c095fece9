#include "cli/config.h"

#include <doctest/doctest.h>

using namespace mb;
using namespace mb::cli;

TEST_CASE("kernel command line options apply and bad ones are ignored with a warning")
{
    Config config;
    std::vector<std::string> warnings;
    apply_kernel_cmdline(config,
        "BOOT_IMAGE=/vmlinuz root=/dev/vda1 ro quiet rd.metaboot.interface=ens5,ens6 rd.metaboot.provider=openstack "
        "rd.metaboot.timeout=7.5 rd.metaboot.url=http://198.18.0.1:8080 rd.metaboot.output=netplan rd.metaboot.network=0\n",
        warnings);
    CHECK(warnings.empty());
    CHECK(config.interfaces == std::vector<std::string> { "ens5", "ens6" });
    CHECK(config.provider == ProviderChoice::OpenStack);
    CHECK(config.timeout_seconds == doctest::Approx(7.5));
    CHECK(config.metadata_url == "http://198.18.0.1:8080");
    CHECK(config.output_netplan);
    CHECK_FALSE(config.output_ifupdown);
    CHECK(config.output_explicit);
    CHECK_FALSE(config.network_config);
    CHECK_FALSE(config.disabled);

    Config hostile;
    warnings.clear();
    apply_kernel_cmdline(hostile,
        "rd.metaboot.interface=eth0;reboot rd.metaboot.provider=gce rd.metaboot.timeout=-1 rd.metaboot.url=file:///etc "
        "rd.metaboot.output=yaml rd.metaboot.typo=1 rd.metaboot=maybe",
        warnings);
    CHECK(warnings.size() == 7);
    CHECK(hostile.interfaces.empty());
    CHECK(hostile.provider == ProviderChoice::Auto);
    CHECK(hostile.timeout_seconds == 30.0);
    CHECK(hostile.metadata_url == "http://169.254.169.254");
    CHECK(hostile.output_netplan);
    CHECK(hostile.output_ifupdown);
    CHECK_FALSE(hostile.disabled);

    Config off;
    apply_kernel_cmdline(off, "rd.metaboot=0", warnings);
    CHECK(off.disabled);
}

TEST_CASE("flags parse, and win over the kernel command line when applied after it")
{
    Config config;
    std::vector<std::string> warnings;
    apply_kernel_cmdline(config, "rd.metaboot.interface=ens5 rd.metaboot.timeout=5", warnings);
    auto parsed = parse_run_flags(config, { "--interface", "eth1", "--interface=eth2", "--timeout", "2", "--output", "none",
                                              "--runtime", "--no-policy-routing", "--json", "--root", "/sysroot" });
    REQUIRE(parsed.ok());
    CHECK(config.interfaces == std::vector<std::string> { "eth1", "eth2" });
    CHECK(config.timeout_seconds == 2.0);
    CHECK_FALSE(config.output_netplan);
    CHECK_FALSE(config.output_ifupdown);
    CHECK(config.runtime);
    CHECK_FALSE(config.policy_routing);
    CHECK(config.json);
    CHECK(config.root == "/sysroot");
}

TEST_CASE("usage errors")
{
    const std::vector<std::vector<std::string_view>> bad = {
        { "--bogus" },
        { "--timeout" },
        { "--timeout", "soon" },
        { "--timeout", "0" },
        { "--interface", "eth0 x" },
        { "--interface", "a-very-long-interface-name" },
        { "--provider", "azure" },
        { "--output", "systemd" },
        { "--metadata-url", "https://169.254.169.254" },
        { "--json=yes" },
        { "--crawl", "some" },
    };
    for (auto const& args : bad) {
        Config config;
        CAPTURE(args[0]);
        CHECK(parse_run_flags(config, args).is_error());
    }
}

TEST_CASE("timeouts")
{
    CHECK(parse_timeout("30").value() == 30.0);
    CHECK(parse_timeout("0.25").value() == doctest::Approx(0.25));
    CHECK(parse_timeout("3600").value() == 3600.0);
    CHECK(parse_timeout("3601").is_error());
    CHECK(parse_timeout("1.").is_error());
    CHECK(parse_timeout("1.2345").is_error());
    CHECK(parse_timeout("").is_error());
    CHECK(parse_timeout("0.0001").is_error());
}
