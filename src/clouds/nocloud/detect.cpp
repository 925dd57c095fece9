// NoCloud's registry row, its detection from the kernel command line and the
// DMI serial, and its seed URL.
#include "clouds/nocloud/nocloud.h"

#include "common/format.h"
#include "common/text.h"
#include "http/request.h"

namespace mb::clouds {

namespace {

std::unique_ptr<Provider> make_nocloud_provider(Session& session)
{
    return std::make_unique<NocloudProvider>(session);
}

}

bool nocloud_named(std::string_view text, NocloudArguments& arguments)
{
    // cloud-init tries "ds=nocloud" first. A word only starting with it
    // ("ds=nocloud-net;...") does not name it, but, as with cloud-init's
    // startswith(), the last such word still gives the arguments.
    for (std::string_view id : { "ds=nocloud", "ds=nocloud-net" }) {
        bool named = false;
        std::string_view words;
        for (auto word : split(trim(text), ' ')) {
            if (!word.starts_with(id))
                continue;
            named = named || word.size() == id.size() || word[id.size()] == ';';
            words = word;
        }
        if (!named)
            continue;
        auto pairs = split(words, ';');
        for (size_t i = 1; i < pairs.size(); ++i) {
            auto equals = pairs[i].find('=');
            if (equals == std::string_view::npos)
                continue;
            auto key = pairs[i].substr(0, equals);
            auto value = pairs[i].substr(equals + 1);
            if (key == "s" || key == "seedfrom")
                arguments.seed = value;
            else if (key == "h" || key == "local-hostname")
                arguments.hostname = value;
            else if (key == "i" || key == "instance-id")
                arguments.instance_id = value;
        }
        return true;
    }
    return false;
}

Verdict detect_nocloud(const PlatformFacts& facts)
{
    // ds-identify and the datasource look at the serial too: a VM whose
    // SMBIOS serial is "ds=nocloud;s=..." is seeded with no boot argument.
    NocloudArguments arguments;
    return nocloud_named(facts.dmi.product_serial, arguments) || nocloud_named(facts.cmdline, arguments) ? Verdict::Yes : Verdict::No;
}

Result<std::string> nocloud_seed_url(const PlatformFacts& facts)
{
    NocloudArguments serial, cmdline;
    nocloud_named(facts.dmi.product_serial, serial);
    nocloud_named(facts.cmdline, cmdline);
    std::string seed(serial.seed.empty() ? cmdline.seed : serial.seed);
    if (seed.empty())
        return Error::not_found("NoCloud without a seed URL (s= or seedfrom=): its seed is on a disk or in the image, which metaboot does not read");
    if (seed.starts_with('/') || seed.starts_with("file://"))
        return Error::unsupported(strf("NoCloud seed '%s' is on a file system, which metaboot does not read", printable(seed).c_str()));
    // cloud-init also takes https, ftp and ftps seeds, and host names.
    auto url = http::Url::parse(seed);
    if (url.is_error())
        return Error::unsupported(strf("NoCloud seed: %s (only http:// to an IPv4 address: no TLS and no DNS in the initramfs)", url.error().message().c_str()));
    return seed;
}

const Cloud nocloud_cloud {
    .name = "nocloud",
    // DataSourceNoCloud's cloud_name is "unknown" (unless the meta-data
    // names one); its platform_type "nocloud".
    .cloud_init_name = "unknown",
    .cloud_init_platform = "nocloud",
    .reach = Reach::Dhcp4Lease,
    .primary_nic = PrimaryNic::Unknown,
    .detect = detect_nocloud,
    .make_provider = make_nocloud_provider,
    .map_network = map_nocloud_network,
    .service_url = nocloud_seed_url,
};

}
