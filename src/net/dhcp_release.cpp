#include "net/dhcp_release.h"

#include "dhcp/ipv4_udp.h"

#include <arpa/inet.h>
#include <cerrno>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace mb::net {

namespace {

struct FdCloser {
    int fd;
    ~FdCloser() { close(fd); }
};

}

Status send_dhcp_release(const std::string& interface, Ipv4Address client, Ipv4Address server, ByteSpan payload)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return Error::io("release socket", errno);
    FdCloser guard { fd };
    // The release is best effort (an unreleased lease still ends at its
    // expiry), so an option that cannot be set is not an error of its own.
    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, interface.c_str(), socklen_t(interface.size()));
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in from {};
    from.sin_family = AF_INET;
    from.sin_port = htons(dhcp::client_port);
    from.sin_addr.s_addr = htonl(client.value());
    if (bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) < 0)
        return Error::io("binding release socket", errno);
    sockaddr_in to {};
    to.sin_family = AF_INET;
    to.sin_port = htons(dhcp::server_port);
    to.sin_addr.s_addr = htonl(server.value());
    if (sendto(fd, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to) < 0)
        return Error::io("sending DHCPRELEASE", errno);
    return {};
}

}
