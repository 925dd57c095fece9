#include "cli/network_root.h"

#include "common/text.h"

namespace mb::cli {

bool root_is_on_network(const NetworkRootFacts& facts)
{
    if (facts.ibft || facts.iscsi_initramfs)
        return true;
    for (auto word : split(trim(facts.cmdline), ' ')) {
        word = trim(word);
        auto eq = word.find('=');
        auto key = word.substr(0, eq);
        auto value = eq == std::string_view::npos ? std::string_view() : word.substr(eq + 1);
        if (key == "root" || key == "netroot") {
            for (std::string_view scheme : { "nfs:", "nfs4:", "iscsi:" }) {
                if (value.starts_with(scheme))
                    return true;
            }
            if (value == "/dev/nfs" || value == "nfs" || value == "dhcp")
                return true;
        }
        if (key == "nfsroot")
            return true;
        if ((key == "rd.iscsi.firmware" || key == "rd.iscsi.ibft") && value != "0")
            return true;
        if (key == "ip" && value == "ibft")
            return true;
    }
    return false;
}

}
