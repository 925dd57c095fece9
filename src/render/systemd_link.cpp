#include "render/systemd_link.h"

#include "common/format.h"

namespace mb::render {

std::optional<FileContent> render_systemd_link(const Interface& interface, const std::string& directory, const char* header)
{
    if (!interface.match_mac || !interface.set_name)
        return std::nullopt;
    // PermanentMACAddress=, as netplan writes it: a bond or team port takes
    // its master's MAC, and a renamed port must still be found by its own.
    // WakeOnLan=off is netplan's default (`wakeonlan: false`); a .link file
    // that names no WakeOnLan would leave the driver's setting instead.
    std::string text = header;
    text += "[Match]\n";
    if (interface.match_driver)
        text += strf("Driver=%s\n", interface.match_driver->c_str());
    text += strf("PermanentMACAddress=%s\n\n[Link]\nName=%s\nWakeOnLan=off\n", interface.match_mac->to_string().c_str(), interface.set_name->c_str());
    return FileContent { strf("%s/%s%s.link", directory.c_str(), systemd_file_prefix, interface.set_name->c_str()), std::move(text), 0644 };
}

}
