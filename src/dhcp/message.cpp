#include "dhcp/message.h"

#include "common/format.h"
#include "common/sort.h"

#include <algorithm>
#include <utility>

namespace mb::dhcp {

namespace {

constexpr size_t sname_size = 64;
constexpr size_t file_size = 128;
// op .. chaddr, sname, file (RFC 2131 §2, figure 1), then the cookie.
constexpr size_t fixed_size = 236;
constexpr size_t minimum_bootp_size = 300;

// RFC 2132 §9.3 values of option 52.
constexpr uint8_t overload_file = 1;
constexpr uint8_t overload_sname = 2;

enum class Field {
    Options,
    File,
    Sname,
};

const char* field_name(Field field)
{
    switch (field) {
    case Field::Options: return "options";
    case Field::File: return "file";
    case Field::Sname: return "sname";
    }
    return "?";
}

using RawOptions = std::map<uint8_t, Bytes>;

// Walks one option field, appending each instance's data to what earlier
// instances of the same code left: RFC 3396 §5 concatenates every instance,
// in the order the fields are read, into one value.
Status collect_options(ByteSpan field, Field which, RawOptions& raw, std::vector<std::string>& warnings)
{
    ByteReader reader(field);
    while (!reader.at_end()) {
        uint8_t option = reader.read_u8();
        if (option == code(OptionCode::Pad))
            continue;
        if (option == code(OptionCode::End))
            return {};
        uint8_t length = reader.read_u8();
        auto data = reader.read_bytes(length);
        if (!reader.ok())
            return Error::invalid(strf("option %u runs past the end of '%s'", unsigned(option), field_name(which)));
        // RFC 2131 §4.1: option 52 may appear only in 'options'; inside an
        // overloaded field it would make the walk recursive.
        if (option == code(OptionCode::Overload) && which != Field::Options) {
            warnings.push_back(strf("option 52 inside '%s' ignored", field_name(which)));
            continue;
        }
        auto& value = raw[option];
        value.insert(value.end(), data.begin(), data.end());
    }
    // RFC 2131 §4.1 wants an End option; a field that simply stops is
    // harmless, since every option in it was complete.
    if (which == Field::Options)
        warnings.push_back("options: no End option");
    return {};
}

std::string cut_at_nul(ByteSpan field)
{
    auto end = std::find(field.begin(), field.end(), uint8_t(0));
    return std::string(field.begin(), end);
}

std::string describe(uint8_t option, std::string_view problem)
{
    return strf("option %u: %.*s; dropped", unsigned(option), int(problem.size()), problem.data());
}

std::string wrong_length(uint8_t option, size_t length, std::string_view want)
{
    return describe(option, strf("length %zu, want %.*s", length, int(want.size()), want.data()));
}

// Typed decoders for the option shapes of RFC 2132 §2. Each returns false
// after pushing a warning, leaving the output untouched.
class OptionDecoder {
public:
    explicit OptionDecoder(std::vector<std::string>& warnings)
        : m_warnings(warnings)
    {
    }

    bool address(uint8_t option, ByteSpan data, std::optional<Ipv4Address>& out)
    {
        if (data.size() != 4)
            return fail(wrong_length(option, data.size(), "4"));
        out = Ipv4Address(ByteReader(data).read_u32());
        return true;
    }

    bool address_list(uint8_t option, ByteSpan data, std::vector<Ipv4Address>& out)
    {
        // RFC 2132 §3.5, §3.8: minimum length 4, always a multiple of 4.
        if (data.empty() || data.size() % 4)
            return fail(wrong_length(option, data.size(), "a non-zero multiple of 4"));
        for (size_t k = 0; k < data.size(); k += 4)
            out.push_back(Ipv4Address(ByteReader(data.subspan(k, 4)).read_u32()));
        return true;
    }

    bool seconds(uint8_t option, ByteSpan data, std::optional<std::chrono::seconds>& out)
    {
        if (data.size() != 4)
            return fail(wrong_length(option, data.size(), "4"));
        out = std::chrono::seconds(ByteReader(data).read_u32());
        return true;
    }

    bool u16_at_least(uint8_t option, ByteSpan data, uint16_t minimum, std::optional<uint16_t>& out)
    {
        if (data.size() != 2)
            return fail(wrong_length(option, data.size(), "2"));
        uint16_t value = ByteReader(data).read_u16();
        if (value < minimum)
            return fail(describe(option, strf("%u is below the minimum %u", unsigned(value), unsigned(minimum))));
        out = value;
        return true;
    }

    bool dns_name(uint8_t option, ByteSpan data, std::optional<std::string>& out)
    {
        auto name = decode_dns_name_text(data);
        if (!name)
            return fail(describe(option, name.error().message()));
        out = name.release_value();
        return true;
    }

    bool fail(std::string warning)
    {
        m_warnings.push_back(std::move(warning));
        return false;
    }

private:
    std::vector<std::string>& m_warnings;
};

void decode_option(uint8_t option, ByteSpan data, Options& out, OptionDecoder& decoder)
{
    switch (static_cast<OptionCode>(option)) {
    case OptionCode::SubnetMask: {
        std::optional<Ipv4Address> mask;
        if (!decoder.address(option, data, mask))
            return;
        // RFC 950 allowed holes in a mask; RFC 4632 and every kernel since
        // do not, and a prefix length is what we configure.
        if (!Ipv4Prefix::length_from_netmask(*mask)) {
            decoder.fail(describe(option, strf("%s is not a contiguous mask", mask->to_string().c_str())));
            return;
        }
        out.subnet_mask = mask;
        return;
    }
    case OptionCode::Router:
        decoder.address_list(option, data, out.routers);
        return;
    case OptionCode::DomainNameServer:
        decoder.address_list(option, data, out.dns_servers);
        return;
    case OptionCode::HostName:
        decoder.dns_name(option, data, out.hostname);
        return;
    case OptionCode::DomainName:
        decoder.dns_name(option, data, out.domain_name);
        return;
    case OptionCode::InterfaceMtu:
        // RFC 2132 §5.1: the minimum legal value is 68.
        decoder.u16_at_least(option, data, 68, out.mtu);
        return;
    case OptionCode::BroadcastAddress:
        decoder.address(option, data, out.broadcast);
        return;
    case OptionCode::RequestedAddress:
        decoder.address(option, data, out.requested_address);
        return;
    case OptionCode::LeaseTime:
        decoder.seconds(option, data, out.lease_time);
        return;
    case OptionCode::MessageType:
        if (data.size() != 1) {
            decoder.fail(wrong_length(option, data.size(), "1"));
            return;
        }
        if (data[0] < uint8_t(MessageType::Discover) || data[0] > uint8_t(MessageType::Inform)) {
            decoder.fail(describe(option, strf("unknown message type %u", unsigned(data[0]))));
            return;
        }
        out.message_type = static_cast<MessageType>(data[0]);
        return;
    case OptionCode::ServerIdentifier:
        decoder.address(option, data, out.server_id);
        return;
    case OptionCode::ParameterRequestList:
        // RFC 2132 §9.8: minimum length 1.
        if (data.empty()) {
            decoder.fail(wrong_length(option, 0, "at least 1"));
            return;
        }
        out.parameter_request_list.assign(data.begin(), data.end());
        return;
    case OptionCode::MaxMessageSize:
        // RFC 2132 §9.10: the minimum legal value is 576.
        decoder.u16_at_least(option, data, 576, out.max_message_size);
        return;
    case OptionCode::RenewalTime:
        decoder.seconds(option, data, out.renewal_time);
        return;
    case OptionCode::RebindingTime:
        decoder.seconds(option, data, out.rebinding_time);
        return;
    case OptionCode::ClientIdentifier:
        // RFC 2132 §9.14: minimum length 2 (a type and at least one octet).
        if (data.size() < 2) {
            decoder.fail(wrong_length(option, data.size(), "at least 2"));
            return;
        }
        out.client_id = Bytes(data.begin(), data.end());
        return;
    case OptionCode::RapidCommit:
        // RFC 4039 §4: code 80, length 0.
        if (!data.empty()) {
            decoder.fail(wrong_length(option, data.size(), "0"));
            return;
        }
        out.rapid_commit = true;
        return;
    case OptionCode::DomainSearch: {
        auto names = decode_domain_search(data);
        if (!names) {
            decoder.fail(describe(option, names.error().message()));
            return;
        }
        out.search_domains = names.release_value();
        return;
    }
    case OptionCode::ClasslessStaticRoute: {
        auto routes = decode_classless_routes(data);
        if (!routes) {
            decoder.fail(describe(option, routes.error().message()));
            return;
        }
        out.classless_routes = routes.release_value();
        return;
    }
    case OptionCode::Pad:
    case OptionCode::Overload:
    case OptionCode::End:
        return;
    }
    out.other[option] = Bytes(data.begin(), data.end());
}

bool is_typed_or_structural(uint8_t option)
{
    switch (static_cast<OptionCode>(option)) {
    case OptionCode::Pad:
    case OptionCode::SubnetMask:
    case OptionCode::Router:
    case OptionCode::DomainNameServer:
    case OptionCode::HostName:
    case OptionCode::DomainName:
    case OptionCode::InterfaceMtu:
    case OptionCode::BroadcastAddress:
    case OptionCode::RequestedAddress:
    case OptionCode::LeaseTime:
    case OptionCode::Overload:
    case OptionCode::MessageType:
    case OptionCode::ServerIdentifier:
    case OptionCode::ParameterRequestList:
    case OptionCode::MaxMessageSize:
    case OptionCode::RenewalTime:
    case OptionCode::RebindingTime:
    case OptionCode::ClientIdentifier:
    case OptionCode::RapidCommit:
    case OptionCode::DomainSearch:
    case OptionCode::ClasslessStaticRoute:
    case OptionCode::End:
        return true;
    }
    return false;
}

Bytes address_bytes(Ipv4Address address)
{
    auto octets = address.octets();
    return Bytes(octets.begin(), octets.end());
}

Bytes address_list_bytes(const std::vector<Ipv4Address>& addresses)
{
    Bytes out;
    for (auto address : addresses) {
        auto octets = address.octets();
        out.insert(out.end(), octets.begin(), octets.end());
    }
    return out;
}

Bytes u16_bytes(uint16_t value)
{
    return { uint8_t(value >> 8), uint8_t(value) };
}

Bytes u32_bytes(uint32_t value)
{
    return { uint8_t(value >> 24), uint8_t(value >> 16), uint8_t(value >> 8), uint8_t(value) };
}

Bytes seconds_bytes(std::chrono::seconds value)
{
    return u32_bytes(static_cast<uint32_t>(value.count()));
}

Bytes text_bytes(const std::string& text)
{
    return Bytes(text.begin(), text.end());
}

// Every option of `options` as (code, value), in the order they are written.
std::vector<std::pair<uint8_t, Bytes>> flatten(const Options& options)
{
    std::vector<std::pair<uint8_t, Bytes>> out;
    auto add = [&](OptionCode option, Bytes value) { out.emplace_back(code(option), std::move(value)); };
    if (options.subnet_mask)
        add(OptionCode::SubnetMask, address_bytes(*options.subnet_mask));
    if (!options.routers.empty())
        add(OptionCode::Router, address_list_bytes(options.routers));
    if (!options.dns_servers.empty())
        add(OptionCode::DomainNameServer, address_list_bytes(options.dns_servers));
    if (options.hostname)
        add(OptionCode::HostName, text_bytes(*options.hostname));
    if (options.domain_name)
        add(OptionCode::DomainName, text_bytes(*options.domain_name));
    if (options.mtu)
        add(OptionCode::InterfaceMtu, u16_bytes(*options.mtu));
    if (options.broadcast)
        add(OptionCode::BroadcastAddress, address_bytes(*options.broadcast));
    if (options.requested_address)
        add(OptionCode::RequestedAddress, address_bytes(*options.requested_address));
    if (options.lease_time)
        add(OptionCode::LeaseTime, seconds_bytes(*options.lease_time));
    if (options.server_id)
        add(OptionCode::ServerIdentifier, address_bytes(*options.server_id));
    if (!options.parameter_request_list.empty())
        add(OptionCode::ParameterRequestList, options.parameter_request_list);
    if (options.max_message_size)
        add(OptionCode::MaxMessageSize, u16_bytes(*options.max_message_size));
    if (options.renewal_time)
        add(OptionCode::RenewalTime, seconds_bytes(*options.renewal_time));
    if (options.rebinding_time)
        add(OptionCode::RebindingTime, seconds_bytes(*options.rebinding_time));
    if (options.client_id)
        add(OptionCode::ClientIdentifier, *options.client_id);
    if (options.rapid_commit)
        add(OptionCode::RapidCommit, {});
    if (!options.search_domains.empty())
        add(OptionCode::DomainSearch, encode_domain_search(options.search_domains));
    if (!options.classless_routes.empty())
        add(OptionCode::ClasslessStaticRoute, encode_classless_routes(options.classless_routes));
    for (auto const& [option, value] : options.other)
        if (!is_typed_or_structural(option))
            out.emplace_back(option, value);
    // Codes are unique here (each typed field once, `other` without them).
    sort_small(out, [](auto const& a, auto const& b) { return a.first < b.first; });
    return out;
}

void put_option(ByteWriter& writer, uint8_t option, ByteSpan value)
{
    // RFC 3396 §7: a value longer than 255 octets goes out as consecutive
    // instances of the same code. An empty value is one zero-length instance.
    do {
        size_t chunk = std::min<size_t>(value.size(), 255);
        writer.put_u8(option);
        writer.put_u8(static_cast<uint8_t>(chunk));
        writer.put_bytes(value.first(chunk));
        value = value.subspan(chunk);
    } while (!value.empty());
}

void put_field(ByteWriter& writer, const std::string& text, size_t size)
{
    size_t used = std::min(text.size(), size);
    writer.put_bytes(as_bytes(std::string_view(text).substr(0, used)));
    writer.put_zeros(size - used);
}

}

const char* message_type_name(MessageType type)
{
    switch (type) {
    case MessageType::Discover: return "DISCOVER";
    case MessageType::Offer: return "OFFER";
    case MessageType::Request: return "REQUEST";
    case MessageType::Decline: return "DECLINE";
    case MessageType::Ack: return "ACK";
    case MessageType::Nak: return "NAK";
    case MessageType::Release: return "RELEASE";
    case MessageType::Inform: return "INFORM";
    }
    return "?";
}

std::optional<MacAddress> Message::client_mac() const
{
    if (htype != hardware_ethernet || hlen != 6)
        return std::nullopt;
    std::array<uint8_t, 6> bytes {};
    std::copy_n(chaddr.begin(), 6, bytes.begin());
    return MacAddress(bytes);
}

void Message::set_client_mac(MacAddress mac)
{
    htype = hardware_ethernet;
    hlen = 6;
    chaddr = {};
    std::copy(mac.bytes().begin(), mac.bytes().end(), chaddr.begin());
}

Result<Message> decode_message(ByteSpan data)
{
    Message message;
    ByteReader reader(data);
    uint8_t op = reader.read_u8();
    message.htype = reader.read_u8();
    message.hlen = reader.read_u8();
    message.hops = reader.read_u8();
    message.xid = reader.read_u32();
    message.secs = reader.read_u16();
    message.flags = reader.read_u16();
    message.ciaddr = Ipv4Address(reader.read_u32());
    message.yiaddr = Ipv4Address(reader.read_u32());
    message.siaddr = Ipv4Address(reader.read_u32());
    message.giaddr = Ipv4Address(reader.read_u32());
    auto chaddr = reader.read_bytes(message.chaddr.size());
    auto sname = reader.read_bytes(sname_size);
    auto file = reader.read_bytes(file_size);
    uint32_t cookie = reader.read_u32();
    if (!reader.ok())
        return Error::invalid(strf("DHCP message shorter than %zu bytes", fixed_size + 4));
    if (op != uint8_t(OpCode::BootRequest) && op != uint8_t(OpCode::BootReply))
        return Error::invalid(strf("bad BOOTP op %u", unsigned(op)));
    message.op = static_cast<OpCode>(op);
    if (message.hlen > message.chaddr.size())
        return Error::invalid(strf("hlen %u larger than chaddr", unsigned(message.hlen)));
    // RFC 2131 §3: without the cookie the rest is not DHCP options.
    if (cookie != magic_cookie)
        return Error::invalid("no DHCP magic cookie");
    std::copy(chaddr.begin(), chaddr.end(), message.chaddr.begin());

    RawOptions raw;
    TRY(collect_options(reader.rest(), Field::Options, raw, message.warnings));

    // RFC 2132 §9.3 and RFC 3396 §5: with option 52 the 'file' and then the
    // 'sname' field continue the options, and then hold no name.
    uint8_t overload = 0;
    if (auto it = raw.find(code(OptionCode::Overload)); it != raw.end()) {
        if (it->second.size() == 1 && it->second[0] >= 1 && it->second[0] <= 3)
            overload = it->second[0];
        else
            message.warnings.push_back("option 52: not a single value 1..3; ignored");
        raw.erase(it);
    }
    if (overload & overload_file)
        TRY(collect_options(file, Field::File, raw, message.warnings));
    else
        message.file = cut_at_nul(file);
    if (overload & overload_sname)
        TRY(collect_options(sname, Field::Sname, raw, message.warnings));
    else
        message.sname = cut_at_nul(sname);

    OptionDecoder decoder(message.warnings);
    for (auto const& [option, value] : raw)
        decode_option(option, value, message.options, decoder);
    return message;
}

Bytes encode_message(const Message& message)
{
    ByteWriter writer;
    writer.put_u8(static_cast<uint8_t>(message.op));
    writer.put_u8(message.htype);
    writer.put_u8(message.hlen);
    writer.put_u8(message.hops);
    writer.put_u32(message.xid);
    writer.put_u16(message.secs);
    writer.put_u16(message.flags);
    writer.put_u32(message.ciaddr.value());
    writer.put_u32(message.yiaddr.value());
    writer.put_u32(message.siaddr.value());
    writer.put_u32(message.giaddr.value());
    writer.put_bytes(message.chaddr);
    put_field(writer, message.sname, sname_size);
    put_field(writer, message.file, file_size);
    writer.put_u32(magic_cookie);

    if (message.options.message_type) {
        const uint8_t type = static_cast<uint8_t>(*message.options.message_type);
        put_option(writer, code(OptionCode::MessageType), ByteSpan(&type, 1));
    }
    for (auto const& [option, value] : flatten(message.options))
        put_option(writer, option, value);
    writer.put_u8(code(OptionCode::End));
    if (writer.size() < minimum_bootp_size)
        writer.put_zeros(minimum_bootp_size - writer.size());
    return writer.take();
}

}
