// Alibaba Cloud ECS's registry row, and its detection from DMI alone.
#include "clouds/alibaba/alibaba.h"

#include "clouds/ec2/ec2.h"

namespace mb::clouds {

namespace {

// The metadata service's own paths: the token as EC2's, the data under the
// version cloud-init asks for (min_metadata_version).
constexpr const char* alibaba_version = "2016-01-01";

// "Security hardening mode": EC2's IMDSv2 under Alibaba's names, 21600 s
// at most (DataSourceAliYun's imdsv2_token_* properties). cloud-init gives
// up when the PUT fails (wait_for_metadata_service: "IMDS's HTTP endpoint
// is probably disabled"), 403 included, so the token is required.
constexpr ImdsTokenRules alibaba_token_rules { "X-aliyun-ecs-metadata-token-ttl-seconds", "X-aliyun-ecs-metadata-token", true };

class AlibabaProvider final : public Ec2Provider {
public:
    explicit AlibabaProvider(Session& session)
        : Ec2Provider(session, &alibaba_token_rules)
    {
        m_version = alibaba_version;
    }

    // crawl_metadata: meta-data/all, the whole tree in one JSON document
    // (the keys in it come with it: public_keys() is not asked again).
    // Where that fails, cloud-init falls back to EC2's tree key by key
    // (ec2.get_instance_metadata), for services older than the document;
    // metaboot does not (it would cost 700 bytes): no metadata then.
    // user-data is EC2's user_data() under the version.
    Result<InstanceMetadata> instance() override
    {
        TRY(acquire_token());
        InstanceMetadata instance;
        TRY(apply_alibaba_metadata(TRY(get("/2016-01-01/meta-data/all")), instance, m_session.warnings()));
        instance.api_version = alibaba_version;
        return instance;
    }

    Result<std::vector<std::string>> public_keys() override { return Provider::public_keys(); }
};

std::unique_ptr<Provider> make_alibaba_provider(Session& session)
{
    return std::make_unique<AlibabaProvider>(session);
}

}

Verdict detect_alibaba(const PlatformFacts& facts)
{
    return facts.dmi.product_name == "Alibaba Cloud ECS" ? Verdict::Yes : Verdict::No;
}

const Cloud alibaba_cloud {
    .name = "alibaba",
    // DataSourceAliYun's dsname, lowercased, for both.
    .cloud_init_name = "aliyun",
    .cloud_init_platform = "aliyun",
    // DataSourceAliYunLocal takes a DHCPv4 lease on the fallback NIC
    // (EphemeralIPNetwork, IPv4 only) and reaches 100.100.100.200 through
    // the lease's routes. The host route through the lease's router costs
    // nothing more and also reaches it from a lease whose classless routes
    // leave out the default route.
    .reach = Reach::Dhcp4Routed,
    .primary_nic = PrimaryNic::FirstInterface,
    .detect = detect_alibaba,
    .make_provider = make_alibaba_provider,
    .map_network = map_alibaba_network,
    .ipv4_service = "http://100.100.100.200",
};

}
