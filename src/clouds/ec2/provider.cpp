#include "clouds/ec2/ec2.h"

#include "common/format.h"
#include "common/text.h"
#include "common/json.h"
#include "clouds/values.h"

#include <algorithm>
#include <tuple>
#include <utility>

namespace mb::clouds {

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

void drop(std::vector<std::string>& warnings, std::string_view what, std::string_view value)
{
    warnings.push_back(concat({ "dropping ", what, ": invalid value '", printable(value), "'" }));
}

bool is_identifier(std::string_view text)
{
    return is_safe_identifier(text);
}

// The identity keys, each fetched unless the identity document gave it.
struct IdentityKey {
    const char* path;
    const char* document_key; // in dynamic/instance-identity/document, or null
    const char* since;
    std::string InstanceMetadata::*field;
    bool (*valid)(std::string_view);
};

constexpr IdentityKey identity_keys[] = {
    { "instance-id", "instanceId", "1.0", &InstanceMetadata::instance_id, is_identifier },
    { "instance-type", "instanceType", "1.0", &InstanceMetadata::instance_type, is_identifier },
    { "placement/availability-zone", "availabilityZone", "1.0", &InstanceMetadata::availability_zone, is_identifier },
    { "placement/region", "region", "2019-10-01", &InstanceMetadata::region, is_identifier },
    { "local-hostname", nullptr, "1.0", &InstanceMetadata::local_hostname, is_valid_hostname },
    { "hostname", nullptr, "1.0", &InstanceMetadata::hostname, is_valid_hostname },
};

enum class NicKey {
    DeviceNumber,
    NetworkCard,
    LocalIpv4s,
    Ipv4Subnet,
    VpcBlocks,
    Ipv6s,
    Ipv6Subnets,
};

struct NicKeyInfo {
    const char* name;
    const char* since; // the API version that introduced the key
    NicKey key;
    bool list; // one value per line
};

constexpr NicKeyInfo nic_keys[] = {
    { "device-number", "2011-01-01", NicKey::DeviceNumber, false },
    { "network-card", "2021-03-23", NicKey::NetworkCard, false },
    { "local-ipv4s", "2011-01-01", NicKey::LocalIpv4s, true },
    { "subnet-ipv4-cidr-block", "2011-01-01", NicKey::Ipv4Subnet, false },
    { "vpc-ipv4-cidr-blocks", "2016-06-30", NicKey::VpcBlocks, true },
    { "ipv6s", "2016-09-02", NicKey::Ipv6s, true },
    { "subnet-ipv6-cidr-blocks", "2016-09-02", NicKey::Ipv6Subnets, true },
};

// Parses one value into the NIC; false when it does not parse. (Out of line
// on purpose here and below: inlined into one big builder, NicMetadata's
// moves and cleanups cost several KiB.)
[[gnu::noinline]] bool apply_nic_value(NicKey key, std::string_view text, NicMetadata& nic, std::vector<Ipv4Address>& ipv4s, std::vector<Ipv6Address>& ipv6s)
{
    switch (key) {
    case NicKey::DeviceNumber:
    case NicKey::NetworkCard: {
        auto number = parse_decimal(text, key == NicKey::DeviceNumber ? 1023 : 255);
        if (!number)
            return false;
        (key == NicKey::DeviceNumber ? nic.device_number : nic.network_card) = uint32_t(*number);
        return true;
    }
    case NicKey::LocalIpv4s:
        if (auto address = Ipv4Address::parse(text)) {
            ipv4s.push_back(*address);
            return true;
        }
        return false;
    case NicKey::Ipv4Subnet:
        nic.ipv4_subnet = Ipv4Prefix::parse(text);
        return nic.ipv4_subnet.has_value();
    case NicKey::VpcBlocks:
        if (auto prefix = Ipv4Prefix::parse(text)) {
            nic.ipv4_vpc_blocks.push_back(*prefix);
            return true;
        }
        return false;
    case NicKey::Ipv6s:
        if (auto address = Ipv6Address::parse(text)) {
            ipv6s.push_back(*address);
            return true;
        }
        return false;
    case NicKey::Ipv6Subnets:
        if (auto prefix = Ipv6Prefix::parse(text)) {
            nic.ipv6_subnets.push_back(*prefix);
            return true;
        }
        return false;
    }
    return false;
}

struct RawNic {
    std::string key; // the listing entry, as the service spells it
    MacAddress mac;
};

[[gnu::noinline]] Status build_nic(const MetaDataLookup& lookup, std::string_view version, const RawNic& raw, NicMetadata& nic, std::vector<std::string>& warnings)
{
    nic.mac = raw.mac;
    std::vector<Ipv4Address> ipv4s;
    std::vector<Ipv6Address> ipv6s;
    for (auto const& info : nic_keys) {
        if (version < info.since)
            continue;
        auto path = concat({ "network/interfaces/macs/", raw.key, "/", info.name });
        auto text = TRY(optional_key(lookup, path));
        if (!text)
            continue;
        std::vector<std::string_view> values = info.list ? parse_listing(*text) : std::vector<std::string_view> { trim(*text) };
        for (auto value : values)
            if (!apply_nic_value(info.key, value, nic, ipv4s, ipv6s))
                drop(warnings, path, value);
    }

    // Each address takes its subnet's prefix length. An address outside its
    // subnet is contradictory data and is dropped; without a subnet at all
    // (EC2-Classic) it stands alone as a /32.
    for (auto address : ipv4s) {
        if (!nic.ipv4_subnet)
            nic.ipv4_addresses.emplace_back(address, uint8_t(32));
        else if (nic.ipv4_subnet->contains(address))
            nic.ipv4_addresses.emplace_back(address, nic.ipv4_subnet->length());
        else
            warnings.push_back(concat({ "dropping ", address.to_string(), " of ", raw.key, ": outside subnet ", nic.ipv4_subnet->to_string() }));
    }
    for (auto const& address : ipv6s) {
        uint8_t length = 128;
        for (auto const& subnet : nic.ipv6_subnets) {
            if (subnet.contains(address)) {
                length = subnet.length();
                break;
            }
        }
        nic.ipv6_addresses.emplace_back(address, length);
    }
    // EC2 serves every address by DHCP (DHCPv6 for IPv6); the list above is
    // what the renderers may add statically beside it.
    nic.ipv4_dhcp = true;
    nic.ipv6_dhcp = !nic.ipv6_addresses.empty();
    return {};
}

[[gnu::noinline]] void sort_nics(std::vector<NicMetadata>& nics)
{
    // Sort indices (insertion sort: stable, tiny, and n is small), then move
    // each NIC once.
    std::vector<size_t> order(nics.size());
    for (size_t i = 0; i < order.size(); ++i)
        order[i] = i;
    for (size_t i = 1; i < order.size(); ++i)
        for (size_t j = i; j > 0 && ec2_nic_before(nics[order[j]], nics[order[j - 1]]); --j)
            std::swap(order[j], order[j - 1]);
    std::vector<NicMetadata> sorted;
    sorted.reserve(nics.size());
    for (auto index : order)
        sorted.push_back(std::move(nics[index]));
    nics = std::move(sorted);
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
    instance.api_version = std::string(version);

    // The identity document answers four keys in one request.
    std::optional<JsonValue> document;
    if (identity_document) {
        auto parsed = parse_json(*identity_document);
        if (parsed.ok() && parsed->is_object())
            document = parsed.release_value();
        else
            warnings.push_back(concat({ "ignoring the instance identity document: ", parsed.ok() ? "not an object" : parsed.error().message() }));
    }
    for (auto const& key : identity_keys) {
        auto& field = instance.*key.field;
        if (document && key.document_key) {
            if (auto value = document->string_member(key.document_key)) {
                if (key.valid(*value)) {
                    field = std::string(*value);
                    continue;
                }
                drop(warnings, concat({ "identity document ", key.document_key }), *value);
            }
        }
        if (version < key.since)
            continue;
        auto text = TRY(optional_key(lookup, key.path));
        if (!text)
            continue;
        auto value = trim(*text);
        if (key.valid(value))
            field = std::string(value);
        else
            drop(warnings, key.path, value);
    }

    if (version < minimum_network_version)
        return instance;

    if (auto text = TRY(optional_key(lookup, "mac"))) {
        instance.primary_mac = MacAddress::parse(trim(*text));
        if (!instance.primary_mac)
            drop(warnings, "mac", *text);
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
            warnings.push_back(concat({ "dropping network/interfaces/macs/ entry '", printable(entry), "': not a MAC address" }));
            continue;
        }
        if (std::any_of(raw_nics.begin(), raw_nics.end(), [&](auto const& r) { return r.mac == *mac; })) {
            warnings.push_back(concat({ "dropping duplicate MAC ", mac->to_string() }));
            continue;
        }
        if (raw_nics.size() == max_nics) {
            warnings.push_back(strf("ignoring NICs beyond %zu", max_nics));
            break;
        }
        raw_nics.push_back({ std::string(key), *mac });
    }

    instance.nics.reserve(raw_nics.size());
    for (auto const& raw : raw_nics) {
        auto& nic = instance.nics.emplace_back();
        TRY(build_nic(lookup, version, raw, nic, warnings));
        // The service can answer device-number 0 for a new NIC before its
        // data has propagated; only the primary NIC (the top-level `mac`) is
        // really device 0. cloud-init works around the same race
        // (DataSourceEc2.py, convert_ec2_metadata_network_config).
        if (nic.device_number == 0u && (!instance.primary_mac || nic.mac != *instance.primary_mac)) {
            warnings.push_back(concat({ "ignoring device-number 0 of ", nic.mac.to_string(), ": not the primary MAC" }));
            nic.device_number.reset();
        }
    }
    sort_nics(instance.nics);
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
            drop(warnings, "public-keys entry", entry);
            continue;
        }
        auto path = concat({ "public-keys/", std::to_string(*index), "/openssh-key" });
        auto body = TRY(optional_key(lookup, path));
        if (!body) {
            warnings.push_back(concat({ path, " is missing" }));
            continue;
        }
        append_public_keys(*body, path, keys, warnings);
    }
    return keys;
}

namespace {

constexpr ImdsTokenRules ec2_token_rules { "X-aws-ec2-metadata-token-ttl-seconds", "X-aws-ec2-metadata-token", false };

}

Ec2Provider::Ec2Provider(Session& session, const ImdsTokenRules* token_rules)
    : m_session(session)
    , m_rules(token_rules ? *token_rules : ec2_token_rules)
{
}

// IMDSv2: a session token from PUT /latest/api/token, sent on every GET.
// https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-instance-metadata-service.html
Status Ec2Provider::acquire_token()
{
    auto const& options = m_session.options();
    std::vector<http::Header> headers { { m_rules.ttl_header, std::to_string(options.token_ttl_seconds) } };
    auto response = m_session.send(http::Method::Put, "/latest/api/token", std::move(headers), options.token_put_timeout);
    if (response.is_error()) {
        // No answer in time: an EC2-compatible service that ignores PUT, or
        // a hop limit of 1 dropping the reply in a container (AWS documents
        // both); IMDSv1 still works there if it is allowed.
        if (response.error().kind() == ErrorKind::Timeout && !m_rules.required) {
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
        if (m_rules.required)
            break;
        m_session.warn(strf("no IMDSv2 token support (HTTP %d); using IMDSv1", response->status));
        m_token_mode = TokenMode::NoToken;
        return {};
    }
    return status_error("PUT /latest/api/token", *response);
}

std::vector<http::Header> Ec2Provider::token_headers() const
{
    if (m_token_mode == TokenMode::Token)
        return { { m_rules.header, m_token } };
    return {};
}

Result<std::string> Ec2Provider::get(const std::string& path)
{
    for (int attempt = 0;; ++attempt) {
        auto response = m_session.send(http::Method::Get, path, token_headers(), m_session.options().request_timeout);
        if (response.is_error() || (response->status != 401 && response->status != 403))
            return body_of(std::move(response), "GET " + path);
        // 401: the token expired (or was never accepted). Refresh it once.
        if (response->status == 401 && attempt == 0) {
            TRY(acquire_token());
            if (m_token_mode != TokenMode::Token)
                return Error::refused(strf("GET %s: 401 Unauthorized and no IMDSv2 token available", path.c_str()));
            continue;
        }
        if (response->status == 401)
            return Error::refused(strf("GET %s: 401 Unauthorized even with a fresh IMDSv2 token", path.c_str()));
        // AWS answers 403 to every request once the endpoint is turned off.
        return Error::refused(strf("GET %s: 403 Forbidden (instance metadata service disabled?)", path.c_str()));
    }
}

void Ec2Provider::prefetch(const std::function<void(const MetaDataLookup&)>& dry_run)
{
    if (!m_session.options().pipelining || m_crawled)
        return;
    // Bounded: EC2's builders need two rounds; a third finds nothing new.
    for (int round = 0; round < 4; ++round) {
        std::vector<std::string> wanted;
        dry_run([&](std::string_view relative_path) -> Result<std::string> {
            for (auto const& [path, outcome] : m_prefetched)
                if (path == relative_path)
                    return outcome;
            wanted.emplace_back(relative_path);
            return Error::not_found("not fetched yet");
        });
        if (wanted.empty())
            return;
        std::vector<std::string> paths;
        for (auto const& relative : wanted)
            paths.push_back(strf("/%s/meta-data/%s", m_version.c_str(), relative.c_str()));
        auto responses = m_session.send_batch(http::Method::Get, paths, token_headers(), m_session.options().request_timeout);
        std::optional<Error> refusal;
        for (size_t i = 0; i < wanted.size(); ++i) {
            auto& response = responses[i];
            // 401 and 403 take get()'s way: a fresh token, or the
            // service's refusal as get() words it, once for the batch.
            bool refused = response.ok() && (response->status == 401 || response->status == 403);
            Result<std::string> outcome = refusal ? Result<std::string>(*refusal)
                : refused                         ? get(paths[i])
                                                  : body_of(std::move(response), "GET " + paths[i]);
            if (refused && !refusal && outcome.is_error())
                refusal = outcome.error();
            m_prefetched.emplace_back(std::move(wanted[i]), std::move(outcome));
        }
    }
}

Result<std::string> Ec2Provider::lookup(std::string_view relative_path)
{
    for (auto const& [path, outcome] : m_prefetched)
        if (path == relative_path)
            return outcome;
    if (m_crawled) {
        for (auto const& [path, body] : m_tree)
            if (path == relative_path)
                return body;
        return Error::not_found(strf("%.*s: not in the crawled tree", int(relative_path.size()), relative_path.data()));
    }
    return get(strf("/%s/meta-data/%.*s", m_version.c_str(), int(relative_path.size()), relative_path.data()));
}

// The whole tree, the way cloud-init's crawl walks it (ec2_utils.py,
// MetadataMaterializer): an entry ending in '/' is a directory, and under
// public-keys/ an entry "N=name" is the directory N holding openssh-key.
Status Ec2Provider::crawl(const std::string& directory, unsigned depth)
{
    auto body = get(strf("/%s/meta-data/%s", m_version.c_str(), directory.c_str()));
    if (body.is_error()) {
        if (body.error().kind() == ErrorKind::NotFound)
            return {};
        return body.release_error();
    }
    m_tree.emplace_back(directory, *body);
    for (auto entry : parse_listing(*body)) {
        if (m_tree.size() >= max_crawl_entries)
            break;
        if (!is_safe_listing_entry(entry)) {
            m_session.warn(concat({ "not crawling '", printable(entry), "' under ", directory }));
            continue;
        }
        std::string child = directory + std::string(entry);
        if (directory == "public-keys/") {
            if (auto index = parse_public_key_index(entry))
                child = strf("%s%u/openssh-key", directory.c_str(), *index);
        }
        if (child.ends_with('/')) {
            if (depth + 1 < max_crawl_depth)
                TRY(crawl(child, depth + 1));
            continue;
        }
        auto leaf = get(strf("/%s/meta-data/%s", m_version.c_str(), child.c_str()));
        if (leaf.ok())
            m_tree.emplace_back(child, leaf.release_value());
        else if (leaf.error().kind() != ErrorKind::NotFound)
            return leaf.release_error();
    }
    // Said once, by the outermost call, however deep the crawl stopped.
    if (depth == 0 && m_tree.size() >= max_crawl_entries)
        m_session.warn(concat({ "crawl stopped at ", std::to_string(max_crawl_entries), " entries" }));
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
    auto document = get(strf("/%s/dynamic/instance-identity/document", m_version.c_str()));
    if (document.ok())
        identity = document.release_value();
    else if (document.error().kind() == ErrorKind::NotFound)
        m_session.warn("no instance identity document; fetching identity keys one by one");
    else
        return document.release_error();

    auto document_view = identity ? std::optional<std::string_view>(*identity) : std::nullopt;
    // The public keys ride along: public_keys() comes next and needs the
    // same two rounds.
    prefetch([&](const MetaDataLookup& lookup_key) {
        std::vector<std::string> ignored;
        (void)build_ec2_metadata(lookup_key, m_version, document_view, ignored);
        (void)collect_ec2_public_keys(lookup_key, ignored);
    });
    auto lookup_key = [this](std::string_view path) { return lookup(path); };
    return build_ec2_metadata(lookup_key, m_version, document_view, m_session.warnings());
}

Result<std::vector<std::string>> Ec2Provider::public_keys()
{
    auto lookup_key = [this](std::string_view path) { return lookup(path); };
    return collect_ec2_public_keys(lookup_key, m_session.warnings());
}

Result<std::optional<std::string>> Ec2Provider::user_data()
{
    return optional_body(get(strf("/%s/user-data", m_version.c_str())));
}

}
