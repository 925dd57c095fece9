#include "cli/config.h"
#include "clouds/registry.h"
#include "render/registry.h"

#include <doctest/doctest.h>

#include <cstdio>

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
    CHECK(config.cloud == clouds::find_cloud("openstack"));
    CHECK(config.timeout_seconds == doctest::Approx(7.5));
    CHECK(config.metadata_url == "http://198.18.0.1:8080");
    REQUIRE(config.outputs);
    CHECK(*config.outputs == std::vector<const render::Format*> { render::find_format("netplan") });
    CHECK_FALSE(config.network_config);
    CHECK_FALSE(config.disabled);

    Config hostile;
    warnings.clear();
    apply_kernel_cmdline(hostile,
        "rd.metaboot.interface=eth0;reboot rd.metaboot.provider=example rd.metaboot.timeout=-1 rd.metaboot.url=file:///etc "
        "rd.metaboot.output=yaml rd.metaboot.typo=1 rd.metaboot=maybe",
        warnings);
    CHECK(warnings.size() == 7);
    CHECK(hostile.interfaces.empty());
    CHECK(hostile.cloud == nullptr);
    CHECK(hostile.timeout_seconds == 30.0);
    CHECK(hostile.metadata_url == "http://169.254.169.254");
    CHECK_FALSE(hostile.outputs);
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
    auto parsed = parse_flags(Command::Run, config, { "--interface", "eth1", "--interface=eth2", "--timeout", "2", "--output", "none",
                                              "--runtime", "--no-policy-routing", "--json", "--root", "/sysroot" });
    REQUIRE(parsed.ok());
    CHECK(config.interfaces == std::vector<std::string> { "eth1", "eth2" });
    CHECK(config.timeout_seconds == 2.0);
    REQUIRE(config.outputs);
    CHECK(config.outputs->empty());
    CHECK(config.runtime);
    CHECK_FALSE(config.policy_routing);
    CHECK(config.json);
    CHECK(config.root == "/sysroot");
}

TEST_CASE("where files go and the cloud-init hand-off: the last flag wins, the kernel command line sets the hand-off")
{
    Config config;
    REQUIRE(parse_flags(Command::Run, config, { "--runtime", "--persistent" }).ok());
    CHECK(config.persistent);
    CHECK_FALSE(config.runtime);
    REQUIRE(parse_flags(Command::Run, config, { "--runtime" }).ok());
    CHECK(config.runtime);
    CHECK_FALSE(config.persistent);
    CHECK(parse_flags(Command::Lease, config, { "--persistent" }).is_error());

    std::vector<std::string> warnings;
    Config handoff;
    apply_kernel_cmdline(handoff, "ro rd.metaboot.cloud-init-handoff=1", warnings);
    CHECK(handoff.cloud_init_handoff);
    apply_kernel_cmdline(handoff, "rd.metaboot.cloud-init-handoff=0", warnings);
    CHECK_FALSE(handoff.cloud_init_handoff);
    CHECK(warnings.empty());
    apply_kernel_cmdline(handoff, "rd.metaboot.cloud-init-handoff=maybe", warnings);
    CHECK_FALSE(handoff.cloud_init_handoff);
    CHECK(warnings.size() == 1);
    REQUIRE(parse_flags(Command::Run, handoff, { "--cloud-init-handoff" }).ok());
    CHECK(handoff.cloud_init_handoff);
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
        { "--provider", "no-such-cloud" },
        { "--output", "systemd" },
        { "--metadata-url", "https://169.254.169.254" },
        { "--json=yes" },
        { "--crawl", "some" },
    };
    for (auto const& args : bad) {
        Config config;
        CAPTURE(args[0]);
        CHECK(parse_flags(Command::Run, config, args).is_error());
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

TEST_CASE("one flag table: each command takes its own flags and refuses the others")
{
    Config lease = default_config(Command::Lease);
    CHECK(parse_flags(Command::Lease, lease, { "-i", "eth0", "--timeout=2.5", "--json", "--keep-lease", "--release", "-v" }).ok());
    CHECK(lease.interfaces == std::vector<std::string> { "eth0" });
    CHECK(lease.timeout_seconds == doctest::Approx(2.5));
    CHECK(lease.keep_lease);
    CHECK(lease.release);
    for (auto flag : { "--root", "--output", "--provider", "--metadata-url" }) {
        Config config = default_config(Command::Lease);
        CAPTURE(flag);
        CHECK(parse_flags(Command::Lease, config, { flag, "x" }).is_error());
    }

    Config metadata = default_config(Command::Metadata);
    CHECK(metadata.timeout_seconds == 10.0);
    CHECK(parse_flags(Command::Metadata, metadata, { "--provider", "ec2", "--metadata-url", "http://198.18.0.1:8080/prefix", "--crawl", "full" }).ok());
    CHECK(metadata.cloud == clouds::find_cloud("ec2"));
    CHECK(metadata.metadata_url == "http://198.18.0.1:8080/prefix");
    CHECK(metadata.crawl_full);
    Config bad = default_config(Command::Metadata);
    CHECK(parse_flags(Command::Metadata, bad, { "--interface", "eth0" }).is_error());
    CHECK(parse_flags(Command::Metadata, bad, { "--provider", "auto" }).ok());
    CHECK(bad.cloud == nullptr);
}

TEST_CASE("every registered cloud and format is accepted by name; the URL is checked when it is parsed")
{
    for (const clouds::Cloud* cloud : clouds::all_clouds()) {
        Config config;
        CHECK(parse_flags(Command::Run, config, { "--provider", cloud->name }).ok());
        CHECK(config.cloud == cloud);
    }
    for (const render::Format* format : render::all_formats()) {
        Config config;
        CHECK(parse_flags(Command::Run, config, { "--output", format->name }).ok());
        REQUIRE(config.outputs);
        CHECK(*config.outputs == std::vector<const render::Format*> { format });
    }
    Config twice;
    CHECK(parse_flags(Command::Run, twice, { "--output", "netplan,netplan" }).is_error());
    for (auto url : { "http://metadata.google.internal", "http://169.254.169.254:0", "http://169.254.169.254/?x", "ftp://198.18.0.1" }) {
        Config config;
        CAPTURE(url);
        CHECK(parse_flags(Command::Run, config, { "--metadata-url", url }).is_error());
    }
}

TEST_CASE("the run's configuration: flags over the kernel command line over the config file")
{
    std::vector<std::string> warnings;
    std::vector<std::string> asked;
    auto read = [&](const std::string& path) {
        asked.push_back(path);
        if (path == "/tmp/metaboot.conf")
            return std::string("# an image's defaults\noutput = networkd\ntimeout = 20\nprovider = openstack\ncloud-init-handoff = yes\n"
                               "policy-routing = no\ninterface = ens5, ens6\n");
        return std::string("rd.metaboot.timeout=5 rd.metaboot.provider=ec2 quiet rd.debug");
    };
    auto config = load_run_config({ "--cmdline", "/tmp/cmdline", "--config", "/tmp/metaboot.conf", "--timeout", "2" }, read, warnings);
    REQUIRE(config.ok());
    CHECK(asked == std::vector<std::string> { "/tmp/metaboot.conf", "/tmp/cmdline" });
    CHECK(config->timeout_seconds == 2.0);               // the flag
    CHECK(config->cloud == clouds::find_cloud("ec2"));  // the kernel command line
    REQUIRE(config->outputs);                           // the file
    CHECK(config->outputs->size() == 1);
    CHECK(config->cloud_init_handoff);
    CHECK_FALSE(config->policy_routing);
    CHECK(config->interfaces == std::vector<std::string> { "ens5", "ens6" });
    CHECK(config->quiet);
    CHECK(config->verbose);
    CHECK(warnings.empty());
    CHECK(load_run_config({ "--bogus" }, read, warnings).is_error());

    Config defaults;
    CHECK(defaults.config_path == "/etc/metaboot.conf");
}

TEST_CASE("config file: doc/metaboot.conf's examples, uncommented, all read, at their defaults")
{
    std::string text;
    FILE* file = std::fopen("doc/metaboot.conf", "r");
    REQUIRE(file);
    char line[512];
    size_t settings = 0;
    while (std::fgets(line, sizeof line, file)) {
        std::string_view l = line;
        // "#key = value": a setting; "# words": prose.
        if (l.size() > 1 && l[0] == '#' && l[1] >= 'a' && l[1] <= 'z') {
            text += l.substr(1);
            ++settings;
        }
    }
    std::fclose(file);
    CHECK(settings >= 12);
    std::vector<std::string> warnings;
    Config config;
    apply_config_file(config, text, warnings);
    CHECK(warnings.empty());
    // Every example is the default but two that name a choice.
    Config expected;
    expected.outputs = config.outputs;
    expected.interfaces = config.interfaces;
    CHECK(config.outputs->size() == 1);
    CHECK(config.timeout_seconds == expected.timeout_seconds);
    CHECK(config.policy_routing == expected.policy_routing);
    CHECK(config.runtime == expected.runtime);
    CHECK(config.cloud_init_handoff == expected.cloud_init_handoff);
    CHECK(config.network_config == expected.network_config);
}

TEST_CASE("config file: bad lines are reported and ignored, never fatal")
{
    std::vector<std::string> warnings;
    Config config;
    apply_config_file(config,
        "runtime = yes\npersistent = yes\ntimeout = soon\nbogus = 1\nno equals sign\noutput = systemd\n"
        "  # indented comment\n\nmetadata-url = not a url\nstate-dir = relative\nverbose = maybe\nnetwork = no\n",
        warnings);
    CHECK(config.persistent);
    CHECK_FALSE(config.runtime);
    CHECK(config.timeout_seconds == 30.0);
    CHECK_FALSE(config.outputs);
    CHECK(config.state_dir == "/run/metaboot");
    CHECK_FALSE(config.verbose);
    CHECK_FALSE(config.network_config);
    REQUIRE(warnings.size() == 7);
    CHECK(warnings[0].starts_with("metaboot.conf line 3: timeout"));
    CHECK(warnings[1] == "metaboot.conf line 4: unknown setting 'bogus'");
    CHECK(warnings[2] == "metaboot.conf line 5: expected key = value");
}

TEST_CASE("the early start's options: --wait-root, --no-pipelining, rd.metaboot.overlap")
{
    Config config;
    std::vector<std::string> warnings;
    CHECK(config.overlap);
    CHECK(config.pipelining);
    CHECK(config.wait_root.empty());
    apply_kernel_cmdline(config, "rd.metaboot.overlap=0 rd.metaboot.overlap=maybe", warnings);
    CHECK(warnings.size() == 1);
    CHECK_FALSE(config.overlap);
    auto parsed = parse_flags(Command::Run, config, { "--wait-root", "/run/metaboot-root-ready", "--no-pipelining", "--root", "/sysroot" });
    REQUIRE(parsed.ok());
    CHECK(config.wait_root == "/run/metaboot-root-ready");
    CHECK_FALSE(config.pipelining);
    Config metadata;
    CHECK(parse_flags(Command::Metadata, metadata, { "--no-pipelining" }).ok());
    CHECK(parse_flags(Command::Metadata, metadata, { "--wait-root", "/x" }).is_error());
}
