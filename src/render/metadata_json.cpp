#include "render/metadata_json.h"

#include "common/text.h"

namespace mb::render {

namespace {

// Length of the valid UTF-8 sequence at `text[0]`, or 0 (RFC 3629 §4: no
// overlongs, no surrogates, nothing above U+10FFFF).
size_t utf8_sequence_length(std::string_view text)
{
    auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
    unsigned char lead = byte(0);
    if (lead < 0x80)
        return 1;
    size_t length;
    unsigned char min_second = 0x80, max_second = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) {
        length = 2;
    } else if (lead >= 0xe0 && lead <= 0xef) {
        length = 3;
        if (lead == 0xe0)
            min_second = 0xa0;
        if (lead == 0xed)
            max_second = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
        length = 4;
        if (lead == 0xf0)
            min_second = 0x90;
        if (lead == 0xf4)
            max_second = 0x8f;
    } else {
        return 0;
    }
    if (text.size() < length)
        return 0;
    if (byte(1) < min_second || byte(1) > max_second)
        return 0;
    for (size_t i = 2; i < length; ++i) {
        if (byte(i) < 0x80 || byte(i) > 0xbf)
            return 0;
    }
    return length;
}

class JsonWriter {
public:
    void open(char bracket)
    {
        separator();
        m_out += bracket;
        m_first.push_back(true);
    }
    void close(char bracket)
    {
        bool empty = m_first.back();
        m_first.pop_back();
        if (!empty)
            newline();
        m_out += bracket;
    }
    void key(std::string_view name)
    {
        separator();
        m_out += json_string(name);
        m_out += ": ";
        m_after_key = true;
    }
    void string(std::string_view value)
    {
        separator();
        m_out += json_string(value);
    }
    void number(uint64_t value)
    {
        separator();
        m_out += std::to_string(value);
    }
    void boolean(bool value)
    {
        separator();
        m_out += value ? "true" : "false";
    }
    void null()
    {
        separator();
        m_out += "null";
    }
    template<typename T>
    void optional_number(const std::optional<T>& value)
    {
        if (value)
            number(*value);
        else
            null();
    }
    template<typename T>
    void optional_text(const std::optional<T>& value)
    {
        if (value)
            string(value->to_string());
        else
            null();
    }
    template<typename T>
    void text_list(const std::vector<T>& values)
    {
        open('[');
        for (const auto& value : values)
            string(value.to_string());
        close(']');
    }

    std::string release()
    {
        m_out += '\n';
        return std::move(m_out);
    }

private:
    void newline()
    {
        m_out += '\n';
        m_out.append(m_first.size() * 2, ' ');
    }
    void separator()
    {
        if (m_after_key) {
            m_after_key = false;
            return;
        }
        if (m_first.empty())
            return;
        if (!m_first.back())
            m_out += ',';
        m_first.back() = false;
        newline();
    }

    std::string m_out;
    std::vector<bool> m_first;
    bool m_after_key { false };
};

bool is_secret_path(std::string_view path)
{
    for (const char* marker : { "user-data", "user_data", "iam/security-credentials", "identity-credentials" }) {
        if (path.find(marker) != std::string_view::npos)
            return true;
    }
    return false;
}

template<typename Route>
void write_routes(JsonWriter& json, const std::vector<Route>& routes)
{
    json.open('[');
    for (const auto& route : routes) {
        json.open('{');
        json.key("destination");
        json.string(route.destination.to_string());
        json.key("gateway");
        json.string(route.gateway.to_string());
        json.key("metric");
        json.optional_number(route.metric);
        json.close('}');
    }
    json.close(']');
}

void write_nic(JsonWriter& json, const NicMetadata& nic)
{
    json.open('{');
    json.key("mac");
    json.string(nic.mac.to_string());
    json.key("device_number");
    json.optional_number(nic.device_number);
    json.key("network_card");
    json.optional_number(nic.network_card);
    json.key("mtu");
    json.optional_number(nic.mtu);
    json.key("ipv4_dhcp");
    json.boolean(nic.ipv4_dhcp);
    json.key("ipv4_addresses");
    json.text_list(nic.ipv4_addresses);
    json.key("ipv4_subnet");
    json.optional_text(nic.ipv4_subnet);
    json.key("ipv4_vpc_blocks");
    json.text_list(nic.ipv4_vpc_blocks);
    json.key("ipv4_routes");
    write_routes(json, nic.ipv4_routes);
    json.key("ipv4_gateway");
    json.optional_text(nic.ipv4_gateway);
    json.key("ipv6_dhcp");
    json.boolean(nic.ipv6_dhcp);
    json.key("ipv6_slaac");
    json.boolean(nic.ipv6_slaac);
    json.key("ipv6_addresses");
    json.text_list(nic.ipv6_addresses);
    json.key("ipv6_subnets");
    json.text_list(nic.ipv6_subnets);
    json.key("ipv6_routes");
    write_routes(json, nic.ipv6_routes);
    json.key("ipv6_gateway");
    json.optional_text(nic.ipv6_gateway);
    json.key("dns_ipv4");
    json.text_list(nic.dns_ipv4);
    json.key("dns_ipv6");
    json.text_list(nic.dns_ipv6);
    json.close('}');
}

}

std::string json_string(std::string_view bytes)
{
    std::string valid;
    valid.reserve(bytes.size());
    while (!bytes.empty()) {
        size_t length = utf8_sequence_length(bytes);
        if (length == 0) {
            valid += "\xef\xbf\xbd"; // U+FFFD
            bytes.remove_prefix(1);
            continue;
        }
        valid.append(bytes.substr(0, length));
        bytes.remove_prefix(length);
    }
    return "\"" + json_escape(valid) + "\"";
}

std::string metadata_to_json(const InstanceMetadata& metadata)
{
    JsonWriter json;
    json.open('{');
    json.key("provider");
    json.string(provider_name(metadata.provider));
    json.key("api_version");
    json.string(metadata.api_version);
    json.key("instance_id");
    json.string(metadata.instance_id);
    json.key("local_hostname");
    json.string(metadata.local_hostname);
    json.key("hostname");
    json.string(metadata.hostname);
    json.key("instance_type");
    json.string(metadata.instance_type);
    json.key("region");
    json.string(metadata.region);
    json.key("availability_zone");
    json.string(metadata.availability_zone);
    json.key("primary_mac");
    json.optional_text(metadata.primary_mac);
    json.key("has_network_data");
    json.boolean(metadata.has_network_data);
    json.key("nics");
    json.open('[');
    for (const auto& nic : metadata.nics)
        write_nic(json, nic);
    json.close(']');
    json.key("dns_ipv4");
    json.text_list(metadata.dns_ipv4);
    json.key("dns_ipv6");
    json.text_list(metadata.dns_ipv6);
    json.key("public_keys");
    json.open('[');
    for (const auto& key : metadata.public_keys)
        json.string(key);
    json.close(']');
    json.key("user_data_present");
    json.boolean(metadata.user_data.has_value());
    json.key("raw");
    json.open('[');
    for (const auto& [path, body] : metadata.raw) {
        if (is_secret_path(path))
            continue;
        json.open('{');
        json.key("path");
        json.string(path);
        json.key("body");
        json.string(body);
        json.close('}');
    }
    json.close(']');
    json.close('}');
    return json.release();
}

}
