#include "cli/commands.h"

#include "clouds/registry.h"
#include "render/registry.h"

#include <netlink/version.h>

namespace mb::cli {

int version_command()
{
    std::printf("metaboot %s\n", METABOOT_VERSION);
#if defined(__clang__)
    std::printf("built with clang %s", __clang_version__);
#elif defined(__GNUC__)
    std::printf("built with gcc %s", __VERSION__);
#endif
#if defined(_LIBCPP_VERSION)
    std::printf(", libc++ %d", _LIBCPP_VERSION);
#elif defined(__GLIBCXX__)
    std::printf(", libstdc++ %d", __GLIBCXX__);
#endif
#if defined(__GLIBC__)
    std::printf(", glibc %d.%d", __GLIBC__, __GLIBC_MINOR__);
#else
    std::printf(", musl");
#endif
    std::printf(", %s\n", LIBNL_STRING);
    return 0;
}

int help_command(FILE* out, int exit_code)
{
    auto clouds = clouds::cloud_names();
    auto formats = render::format_names();
    std::fprintf(out,
        "usage: metaboot [--interface NAME]... [--root DIR] [--state-dir DIR] [--metadata-url URL]\n"
        "                [--provider auto|CLOUD] [--reach KIND,...] [--timeout SECONDS] [--output FORMAT,...|none]\n"
        "                [--runtime|--persistent] [--cloud-init-handoff] [--no-policy-routing]\n"
        "                [--keep-lease] [--release] [--json] [--verbose]\n"
        "       metaboot lease [--interface NAME]... [--timeout S] [--json] [--keep-lease] [--release]\n"
        "       metaboot metadata [--metadata-url URL] [--provider CLOUD] [--crawl full] [--timeout S] [--json]\n"
        "       metaboot --version | --help\n"
        "\n"
        "One run, in the initramfs before switch_root: take a DHCPv4 lease (on the named NIC, or on\n"
        "every Ethernet NIC at once, first to bind wins), fetch the instance metadata, write the\n"
        "network config into the real root and the metadata into the state directory, then tear\n"
        "the lease down, leaving links, addresses and routes as they were.\n"
        "\n"
        "Clouds: %s. Output formats: %s.\n"
        "\n"
        "  --interface NAME     run DHCP on NAME (repeatable); default: every Ethernet NIC\n"
        "  --root DIR           the real root to write into (required unless --output none)\n"
        "  --state-dir DIR      metadata.json, lease.json, timings.json, user-data (default /run/metaboot)\n"
        "  --metadata-url URL   metadata service (default http://169.254.169.254)\n"
        "  --provider P         auto (from DMI; a non-cloud machine exits at once) or a cloud above\n"
        "  --reach LIST         dhcp4, ipv4ll, ipv6ll, slaac, routed: tried in order (default: the cloud's)\n"
        "  --timeout SECONDS    the global deadline for the whole run (default 30)\n"
        "  --output LIST        output formats, comma-separated, or none (default: what the root uses)\n"
        "  --runtime            formats with a runtime directory write there (/run) instead of the root\n"
        "                       (the default when the root runs SELinux enforcing)\n"
        "  --persistent         into the root even when it runs SELinux enforcing\n"
        "  --cloud-init-handoff tell cloud-init in the root to write no network config\n"
        "  --no-policy-routing  no per-NIC routing tables for secondary NICs\n"
        "  --keep-lease         leave the lease configured (no teardown)\n"
        "  --release            send DHCPRELEASE before the teardown\n"
        "  --crawl full         fetch the cloud's whole metadata tree, where it has one\n"
        "  --no-pipelining      send each metadata request after the answer to the one before\n"
        "  --wait-root PATH     lease and fetch at once, tear down, then write once PATH exists\n"
        "  --json               print the whole result as JSON instead of the summary line\n"
        "  --verbose            debug logging\n"
        "\n"
        "Kernel command line (flags win): rd.metaboot=0 disables the run; rd.metaboot.interface=,\n"
        "rd.metaboot.provider=, rd.metaboot.reach=, rd.metaboot.timeout=, rd.metaboot.url=,\n"
        "rd.metaboot.output=; rd.metaboot.network=0 writes no network config (the metadata is\n"
        "still written); rd.metaboot.overlap=0 makes a --wait-root run wait for the root before the lease.\n"
        "\n"
        "Exit codes: 0 success; 1 usage; 2 no lease; 3 no metadata; 4 writing failed;\n"
        "5 teardown failed; 6 platform not a cloud (nothing done); 7 the root runs no network\n"
        "stack metaboot writes for (state written, no network config); 128+N killed by\n"
        "signal N (after the teardown).\n",
        clouds.c_str(), formats.c_str());
    return exit_code;
}

}
