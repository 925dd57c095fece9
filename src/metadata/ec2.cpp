#include "metadata/ec2.h"

#include "common/text.h"
#include "metadata/json.h"
#include "metadata/values.h"

#include <algorithm>
#include <tuple>

namespace mb::metadata {

namespace {

constexpr std::string_view minimum_network_version = "2011-01-01";
constexpr std::string_view minimum_ipv6_version = "2016-09-02";
constexpr std::string_view fallback_version = "2009-04-04";
// Bounds on what a service can make us do.
constexpr size_t max_nics = 128;
constexpr size_t max_crawl_entries = 2048;
constexpr unsigned max_crawl_depth = 8;

// A key that may be absent (404).
Result<std::optional<std::string>> optional_key(const MetaDataLookup& lookup, std::string_view path)
{
    auto value = lookup(path);
    if (value.ok())
        return std::optional<std::string>(value.release_value());
    if (value.error().kind() == ErrorKind::NotFound)
        return std::optional<std::string>();
    return value.release_error().context(std::string(path));
}

std::string printable(std::string_view text)
{
    std::string out;
    for (char c : text.substr(0, 64))
        out += (c >= 0x20 && c < 0x7f) ? c : '?';
    return out;
}

// Sets `field` when `value` passes `valid`, else warns.
template<typename Check>
bool accept_text(std::string& field, std::string_view value, Check valid, std::string_view key, std::vector<std::string>& warnings)
{
    value = trim(value);
    if (!valid(value)) {
        warnings.push_back("dropping " + std::string(key) + ": invalid value '" + printable(value) + "'");
        return false;
    }
    field = std::string(value);
    return true;
}

template<typename T, typename Parse>
std::vector<T> parse_lines(std::string_view body, Parse parse, std::string_view key, std::vector<std::string>& warnings)
{
    std::vector<T> out;
    for (auto line : parse_listing(body)) {
        auto value = parse(line);
        if (value)
            out.push_back(*value);
        else
            warnings.push_back("dropping a value of " + std::string(key) + ": '" + printable(line) + "'");
    }
    return out;
}

bool is_identifier(std::string_view text)
{
    return is_safe_identifier(text);
}

void apply_identity_document(std::string_view body, InstanceMetadata& instance, bool& have_id, bool& have_type, bool& have_region, bool& have_zone, std::vector<std::string>& warnings)
{
    auto document = parse_json(body);
    if (document.is_error() || !document->is_object()) {
        warnings.push_back("ignoring the instance identity document: " + (document.is_error() ? document.error().message() : std::string("not an object")));
        return;
    }
    auto take = [&](const char* json_key, std::string& field, bool& have) {
        auto value = document->string_member(json_key);
        if (value)
            have = accept_text(field, *value, is_identifier, std::string("identity document ") + json_key, warnings);
    };
    take("instanceId", instance.instance_id, have_id);
    take("instanceType", instance.instance_type, have_type);
    take("region", instance.region, have_region);
    take("availabilityZone", instance.availability_zone, have_zone);
}

struct RawNic {
    std::string key; // the listing entry, as the service spells it
    MacAddress mac;
};

Result<NicMetadata> build_nic(const MetaDataLookup& lookup, std::string_view version, const RawNic& raw, std::vector<std::string>& warnings)
{
    NicMetadata nic;
    nic.mac = raw.mac;
    auto base = "network/interfaces/macs/" + raw.key + "/";
    auto key = [&](const char* name) { return base + name; };

    if (auto text = TRY(optional_key(lookup, key("device-number")))) {
        if (auto number = parse_decimal(trim(*text), 1023))
            nic.device_number = uint32_t(*number);
        else
            warnings.push_back("dropping " + key("device-number") + ": '" + printable(*text) + "'");
    }
    if (version >= "2021-03-23") {
        if (auto text = TRY(optional_key(lookup, key("network-card")))) {
            if (auto number = parse_decimal(trim(*text), 255))
                nic.network_card = uint32_t(*number);
            else
                warnings.push_back("dropping " + key("network-card") + ": '" + printable(*text) + "'");
        }
    }

    std::vector<Ipv4Address> ipv4s;
    if (auto text = TRY(optional_key(lookup, key("local-ipv4s"))))
        ipv4s = parse_lines<Ipv4Address>(*text, Ipv4Address::parse, key("local-ipv4s"), warnings);
    if (auto text = TRY(optional_key(lookup, key("subnet-ipv4-cidr-block")))) {
        if (auto prefix = Ipv4Prefix::parse(trim(*text)))
            nic.ipv4_subnet = prefix;
        else
            warnings.push_back("dropping " + key("subnet-ipv4-cidr-block") + ": '" + printable(*text) + "'");
    }
    if (version >= "2016-06-30") {
        if (auto text = TRY(optional_key(lookup, key("vpc-ipv4-cidr-blocks"))))
            nic.ipv4_vpc_blocks = parse_lines<Ipv4Prefix>(*text, Ipv4Prefix::parse, key("vpc-ipv4-cidr-blocks"), warnings);
    }

    std::vector<Ipv6Address> ipv6s;
    if (version >= minimum_ipv6_version) {
        if (auto text = TRY(optional_key(lookup, key("ipv6s"))))
            ipv6s = parse_lines<Ipv6Address>(*text, Ipv6Address::parse, key("ipv6s"), warnings);
        if (auto text = TRY(optional_key(lookup, key("subnet-ipv6-cidr-blocks"))))
            nic.ipv6_subnets = parse_lines<Ipv6Prefix>(*text, Ipv6Prefix::parse, key("subnet-ipv6-cidr-blocks"), warnings);
    }

    // Each address takes its subnet's prefix length. An address outside its
    // subnet is contradictory data and is dropped; without a subnet at all
    // (EC2-Classic) it stands alone as a /32.
    for (auto address : ipv4s) {
        if (!nic.ipv4_subnet) {
            nic.ipv4_addresses.emplace_back(address, uint8_t(32));
        } else if (nic.ipv4_subnet->contains(address)) {
            nic.ipv4_addresses.emplace_back(address, nic.ipv4_subnet->length());
        } else {
            warnings.push_back("dropping " + address.to_string() + " of " + raw.key + ": outside subnet " + nic.ipv4_subnet->to_string());
        }
    }
    for (auto const& address : ipv6s) {
        auto subnet = std::find_if(nic.ipv6_subnets.begin(), nic.ipv6_subnets.end(), [&](auto const& s) { return s.contains(address); });
        nic.ipv6_addresses.emplace_back(address, subnet == nic.ipv6_subnets.end() ? uint8_t(128) : subnet->length());
    }
    // EC2 serves every address by DHCP (DHCPv6 for IPv6); the list above is
    // what the renderers may add statically beside it.
    nic.ipv4_dhcp = true;
    nic.ipv6_dhcp = !nic.ipv6_addresses.empty();
    return nic;
}

}

Result<std::string> select_ec2_version(std::string_view listing)
{
    auto entries = parse_listing(listing);
    auto offered = [&](std::string_view version) { return std::find(entries.begin(), entries.end(), version) != entries.end(); };
    for (auto it = std::rbegin(ec2_known_versions); it != std::rend(ec2_known_versions); ++it) {
        if (std::string_view(*it) >= minimum_ipv6_version && offered(*it))
            return std::string(*it);
    }
    if (offered(fallback_version))
        return std::string(fallback_version);
    return Error::unsupported("the metadata service offers no API version metaboot can use (needs 2009-04-04, or 2016-09-02 and later)");
}

Result<InstanceMetadata> build_ec2_metadata(const MetaDataLookup& lookup, std::string_view version, std::optional<std::string_view> identity_document, std::vector<std::string>& warnings)
{
    InstanceMetadata instance;
    instance.provider = ProviderKind::Ec2;
    instance.api_version = std::string(version);

    bool have_id = false, have_type = false, have_region = false, have_zone = false;
    if (identity_document)
        apply_identity_document(*identity_document, instance, have_id, have_type, have_region, have_zone, warnings);

    auto text_key = [&](std::string_view path, std::string& field, auto valid) -> Status {
        if (auto text = TRY(optional_key(lookup, path)))
            accept_text(field, *text, valid, path, warnings);
        return {};
    };
    if (!have_id)
        TRY(text_key("instance-id", instance.instance_id, is_identifier));
    if (!have_type)
        TRY(text_key("instance-type", instance.instance_type, is_identifier));
    if (!have_zone)
        TRY(text_key("placement/availability-zone", instance.availability_zone, is_identifier));
    if (!have_region && version >= "2019-10-01")
        TRY(text_key("placement/region", instance.region, is_identifier));
    TRY(text_key("local-hostname", instance.local_hostname, is_valid_hostname));
    TRY(text_key("hostname", instance.hostname, is_valid_hostname));

    if (version < minimum_network_version)
        return instance;

    if (auto text = TRY(optional_key(lookup, "mac"))) {
        instance.primary_mac = MacAddress::parse(trim(*text));
        if (!instance.primary_mac)
            warnings.push_back("dropping mac: '" + printable(*text) + "'");
    }

    auto listing = TRY(optional_key(lookup, "network/interfaces/macs/"));
    if (!listing) {
        warnings.push_back("the service has no network/interfaces/macs/ listing");
        return instance;
    }
    std::vector<RawNic> raw_nics;
    for (auto entry : parse_listing(*listing)) {
        auto key = entry;
        if (key.ends_with('/'))
            key.remove_suffix(1);
        auto mac = MacAddress::parse(key);
        if (!mac) {
            warnings.push_back("dropping network/interfaces/macs/ entry '" + printable(entry) + "': not a MAC address");
            continue;
        }
        if (std::any_of(raw_nics.begin(), raw_nics.end(), [&](auto const& r) { return r.mac == *mac; })) {
            warnings.push_back("dropping duplicate MAC " + mac->to_string());
            continue;
        }
        if (raw_nics.size() == max_nics) {
            warnings.push_back("ignoring NICs beyond " + std::to_string(max_nics));
            break;
        }
        raw_nics.push_back({ std::string(key), *mac });
    }

    for (auto const& raw : raw_nics) {
        auto nic = TRY(build_nic(lookup, version, raw, warnings));
        // The service can answer device-number 0 for a new NIC before its
        // data has propagated; only the primary NIC (the top-level `mac`) is
        // really device 0. cloud-init works around the same race
        // (DataSourceEc2.py, convert_ec2_metadata_network_config).
        if (nic.device_number == 0u && (!instance.primary_mac || nic.mac != *instance.primary_mac)) {
            warnings.push_back("ignoring device-number 0 of " + nic.mac.to_string() + ": not the primary MAC");
            nic.device_number.reset();
        }
        instance.nics.push_back(std::move(nic));
    }

    // Deterministic order for the renderers: the primary NIC, then by
    // network card, device number and MAC.
    auto rank = [&](const NicMetadata& nic) {
        bool primary = instance.primary_mac && nic.mac == *instance.primary_mac;
        return std::make_tuple(!primary, nic.network_card.value_or(0), nic.device_number.value_or(UINT32_MAX), nic.mac);
    };
    std::stable_sort(instance.nics.begin(), instance.nics.end(), [&](auto const& a, auto const& b) { return rank(a) < rank(b); });
    instance.has_network_data = true;
    return instance;
}

Result<std::vector<std::string>> collect_ec2_public_keys(const MetaDataLookup& lookup, std::vector<std::string>& warnings)
{
    std::vector<std::string> keys;
    auto listing = TRY(optional_key(lookup, "public-keys/"));
    if (!listing)
        return keys;
    for (auto entry : parse_listing(*listing)) {
        auto index = parse_public_key_index(entry);
        if (!index) {
            warnings.push_back("dropping public-keys entry '" + printable(entry) + "'");
            continue;
        }
        auto path = "public-keys/" + std::to_string(*index) + "/openssh-key";
        auto body = TRY(optional_key(lookup, path));
        if (!body) {
            warnings.push_back(path + " is missing");
            continue;
        }
        for (auto line : split_lines(*body)) {
            line = trim(line);
            if (line.empty())
                continue;
            if (is_openssh_public_key(line))
                keys.emplace_back(line);
            else
                warnings.push_back("dropping a malformed key in " + path);
        }
    }
    return keys;
}

Ec2Provider::Ec2Provider(Session& session)
    : m_session(session)
{
}

// IMDSv2: a session token from PUT /latest/api/token, sent on every GET.
// https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-instance-metadata-service.html
Status Ec2Provider::acquire_token()
{
    auto const& options = m_session.options();
    std::vector<http::Header> headers { { "X-aws-ec2-metadata-token-ttl-seconds", std::to_string(options.token_ttl_seconds) } };
    auto response = m_session.send(http::Method::Put, "/latest/api/token", std::move(headers), options.token_put_timeout);
    if (response.is_error()) {
        // No answer in time: an EC2-compatible service that ignores PUT, or
        // a hop limit of 1 dropping the reply in a container (AWS documents
        // both); IMDSv1 still works there if it is allowed.
        if (response.error().kind() == ErrorKind::Timeout) {
            m_session.warn("IMDSv2 token request timed out; using IMDSv1");
            m_token_mode = TokenMode::NoToken;
            return {};
        }
        return response.release_error().context("IMDSv2 token");
    }
    switch (response->status) {
    case 200: {
        auto token = trim(response->body);
        bool printable_token = !token.empty() && token.size() <= 1024 && std::all_of(token.begin(), token.end(), [](char c) { return c > 0x20 && c < 0x7f; });
        if (!printable_token)
            return Error::invalid("IMDSv2 token is not a printable string");
        m_token = std::string(token);
        m_token_mode = TokenMode::Token;
        return {};
    }
    case 403:
        return Error::refused("the instance metadata service is disabled (PUT /latest/api/token answered 403 Forbidden)");
    case 404:
    case 405:
        m_session.warn("no IMDSv2 token support (HTTP " + std::to_string(response->status) + "); using IMDSv1");
        m_token_mode = TokenMode::NoToken;
        return {};
    default:
        return status_error("PUT /latest/api/token", *response);
    }
}

Result<std::string> Ec2Provider::get(const std::string& path)
{
    for (int attempt = 0;; ++attempt) {
        std::vector<http::Header> headers;
        if (m_token_mode == TokenMode::Token)
            headers.push_back({ "X-aws-ec2-metadata-token", m_token });
        auto response = m_session.send(http::Method::Get, path, std::move(headers), m_session.options().request_timeout);
        if (response.is_error())
            return response.release_error().context("GET " + path);
        if (response->status == 200)
            return std::move(response->body);
        if (response->status == 404)
            return Error::not_found("GET " + path + ": 404");
        // 401: the token expired (or was never accepted). Refresh it once.
        if (response->status == 401 && attempt == 0) {
            TRY(acquire_token());
            if (m_token_mode != TokenMode::Token)
                return Error::refused("GET " + path + ": 401 Unauthorized and no IMDSv2 token available");
            continue;
        }
        return status_error("GET " + path, *response);
    }
}

Result<std::string> Ec2Provider::lookup(std::string_view relative_path)
{
    if (m_crawled) {
        for (auto const& [path, body] : m_tree)
            if (path == relative_path)
                return body;
        return Error::not_found(std::string(relative_path) + ": not in the crawled tree");
    }
    return get("/" + m_version + "/meta-data/" + std::string(relative_path));
}

// The whole tree, the way cloud-init's crawl walks it (ec2_utils.py,
// MetadataMaterializer): an entry ending in '/' is a directory, and under
// public-keys/ an entry "N=name" is the directory N holding openssh-key.
Status Ec2Provider::crawl(const std::string& directory, unsigned depth)
{
    auto body = get("/" + m_version + "/meta-data/" + directory);
    if (body.is_error()) {
        if (body.error().kind() == ErrorKind::NotFound)
            return {};
        return body.release_error();
    }
    m_tree.emplace_back(directory, *body);
    for (auto entry : parse_listing(*body)) {
        if (m_tree.size() >= max_crawl_entries) {
            m_session.warn("crawl stopped at " + std::to_string(max_crawl_entries) + " entries");
            return {};
        }
        if (!is_safe_listing_entry(entry)) {
            m_session.warn("not crawling '" + printable(entry) + "' under " + directory);
            continue;
        }
        std::string child = directory + std::string(entry);
        if (directory == "public-keys/") {
            if (auto index = parse_public_key_index(entry))
                child = directory + std::to_string(*index) + "/openssh-key";
        }
        if (child.ends_with('/')) {
            if (depth + 1 < max_crawl_depth)
                TRY(crawl(child, depth + 1));
            continue;
        }
        auto leaf = get("/" + m_version + "/meta-data/" + child);
        if (leaf.ok())
            m_tree.emplace_back(child, leaf.release_value());
        else if (leaf.error().kind() != ErrorKind::NotFound)
            return leaf.release_error();
    }
    return {};
}

Result<InstanceMetadata> Ec2Provider::instance()
{
    TRY(acquire_token());
    auto versions = TRY(get("/"));
    m_version = TRY(select_ec2_version(versions));
    if (m_session.options().crawl_full) {
        TRY(crawl("", 0));
        m_crawled = true;
    }

    std::optional<std::string> identity;
    auto document = get("/" + m_version + "/dynamic/instance-identity/document");
    if (document.ok())
        identity = document.release_value();
    else if (document.error().kind() == ErrorKind::NotFound)
        m_session.warn("no instance identity document; fetching identity keys one by one");
    else
        return document.release_error();

    auto lookup_key = [this](std::string_view path) { return lookup(path); };
    return build_ec2_metadata(lookup_key, m_version, identity ? std::optional<std::string_view>(*identity) : std::nullopt, m_session.warnings());
}

Result<std::vector<std::string>> Ec2Provider::public_keys()
{
    auto lookup_key = [this](std::string_view path) { return lookup(path); };
    return collect_ec2_public_keys(lookup_key, m_session.warnings());
}

Result<std::optional<std::string>> Ec2Provider::user_data()
{
    auto body = get("/" + m_version + "/user-data");
    if (body.ok())
        return std::optional<std::string>(body.release_value());
    if (body.error().kind() == ErrorKind::NotFound)
        return std::optional<std::string>();
    return body.release_error();
}

}
