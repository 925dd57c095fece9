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

    // crawl_metadata: meta-data/all, and where that fails (an older
    // service: 404, or not JSON) EC2's tree under the same version, key by
    // key (ec2.get_instance_metadata). user-data is EC2's user_data() under
    // the version.
    Result<InstanceMetadata> instance() override
    {
        TRY(acquire_token());
        auto all = get("/" + m_version + "/meta-data/all");
        if (all.is_error() && all.error().kind() != ErrorKind::NotFound)
            return all.release_error();
        InstanceMetadata instance;
        instance.api_version = m_version;
        if (all.ok()) {
            auto applied = apply_alibaba_metadata(*all, instance, m_session.warnings());
            if (applied.ok()) {
                m_keys = std::move(instance.public_keys);
                return instance;
            }
            m_session.warn("meta-data/all: " + applied.error().message() + "; reading meta-data/ key by key");
        }
        m_tree_read = true;
        return build_ec2_metadata([this](std::string_view path) { return lookup(path); }, m_version, std::nullopt, m_session.warnings());
    }

    Result<std::vector<std::string>> public_keys() override
    {
        if (m_tree_read)
            return Ec2Provider::public_keys();
        return std::move(m_keys);
    }

private:
    std::vector<std::string> m_keys;
    bool m_tree_read { false };
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
