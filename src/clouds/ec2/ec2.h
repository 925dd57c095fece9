// EC2 instance metadata (IMDS) and EC2-compatible services.
//
// https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-instance-metadata-service.html
// https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instancedata-data-categories.html
#pragma once

#include "clouds/cloud.h"
#include "clouds/provider.h"

#include <functional>

namespace mb::clouds {

// The registry's row for EC2 (and EC2-compatible services).
extern const Cloud ec2_cloud;
// EC2-compatible services cloud-init tells apart by DMI (Brightbox, ZStack,
// e24cloud, Outscale): EC2's provider and mapping under their own names.
extern const Cloud brightbox_cloud, zstack_cloud, e24cloud_cloud, outscale_cloud;

// Nitro's DMI vendor, or a Xen guest with Amazon's UUID prefix and version.
Verdict detect_ec2(const PlatformFacts& facts);

// cloud-init's NIC order (_build_nic_order in DataSourceEc2.py): by
// network-card, then device-number, a missing number sorting last, then by
// MAC. Index 0 is the primary NIC. The provider sorts the model with it and
// the mapping numbers metrics and tables by it: one order, defined once.
bool ec2_nic_before(const NicMetadata& a, const NicMetadata& b);

// The model -> NetworkConfig, with the semantics of cloud-init's EC2
// datasource (see mapping.cpp).
Result<NetworkConfig> map_ec2_network(const InstanceMetadata& metadata, const std::vector<SystemNic>& system_nics, const MappingOptions& options);

// The versions this code knows, oldest first. Version gating of the keys we
// read (from the data-categories table): network/ and mac appear in
// 2011-01-01, vpc-ipv4-cidr-blocks in 2016-06-30, ipv6s and
// subnet-ipv6-cidr-blocks in 2016-09-02, placement/region in 2019-10-01,
// network-card in 2021-03-23.
inline constexpr const char* ec2_known_versions[] = {
    "2009-04-04", "2016-09-02", "2018-03-28", "2018-08-17", "2018-09-24", "2019-10-01",
    "2020-10-27", "2021-01-03", "2021-03-23", "2021-07-15", "2022-09-24", "2024-04-11",
};

// Picks from the body of `GET /`: the newest known version that is
// 2016-09-02 or later (IPv6 data needs it), else 2009-04-04, else
// Error::unsupported.
Result<std::string> select_ec2_version(std::string_view listing);

// Reads a meta-data key relative to /<version>/meta-data/. Error::not_found
// when the service says 404; other errors abort the fetch.
using MetaDataLookup = std::function<Result<std::string>(std::string_view relative_path)>;

// Builds the model from meta-data keys. Pure apart from `lookup`: the
// provider passes a network lookup (or the crawled tree), tests and the
// fuzzer pass a map. `identity_document` is the body of
// dynamic/instance-identity/document when the service had one; the keys it
// provides (instanceId, instanceType, region, availabilityZone) are then not
// fetched again. Bad values are dropped with a warning.
Result<InstanceMetadata> build_ec2_metadata(const MetaDataLookup& lookup, std::string_view version, std::optional<std::string_view> identity_document, std::vector<std::string>& warnings);

// public-keys/ listing entries "N=name" -> public-keys/N/openssh-key.
Result<std::vector<std::string>> collect_ec2_public_keys(const MetaDataLookup& lookup, std::vector<std::string>& warnings);

// The session-token rules: EC2's IMDSv2 headers, which EC2-compatible
// services may lack (then IMDSv1), or Alibaba's renamed ones, which its
// service always has.
struct ImdsTokenRules {
    const char* ttl_header; // on the PUT
    const char* header;     // on every GET
    bool required;          // no token (404, 405, no answer): no metadata
};

class Ec2Provider : public Provider {
public:
    explicit Ec2Provider(Session& session, const ImdsTokenRules* token_rules = nullptr);

    Result<InstanceMetadata> instance() override;
    Result<std::vector<std::string>> public_keys() override;
    Result<std::optional<std::string>> user_data() override;

protected:
    // For Alibaba's provider, which speaks the same protocol under its own
    // header names: the token, a GET with it, the version user_data()
    // reads under.
    Status acquire_token();
    Result<std::string> get(const std::string& path);
    Session& m_session;
    std::string m_version;

private:
    Result<std::string> lookup(std::string_view relative_path);
    enum class TokenMode {
        Unknown,
        Token,   // IMDSv2
        NoToken, // IMDSv1: the service has no token endpoint
    };

    // get(): GET with the token; on 401 the token is refreshed once and
    // the request repeated. Returns the 200 body, Error::not_found on 404.
    Status crawl(const std::string& directory, unsigned depth);
    std::vector<http::Header> token_headers() const;
    // Pipelining: `dry_run` is the builder run against what is known so
    // far; the keys it asks for and nobody has fetched yet are fetched in
    // one pipelined batch, and again until it asks for nothing new (EC2:
    // the identity keys and the MAC and key listings, then every NIC's keys
    // and every key; two round trips whatever the NIC count). The keys are exactly those the
    // builder reads one by one: which keys it reads depends only on the
    // version, the identity document and the listings, never on a value
    // still missing.
    void prefetch(const std::function<void(const MetaDataLookup&)>& dry_run);


    const ImdsTokenRules& m_rules;
    TokenMode m_token_mode { TokenMode::Unknown };
    std::string m_token;
    bool m_crawled { false };
    std::vector<std::pair<std::string, std::string>> m_tree; // crawl: relative path -> body
    std::vector<std::pair<std::string, Result<std::string>>> m_prefetched; // relative path -> outcome
};

}
