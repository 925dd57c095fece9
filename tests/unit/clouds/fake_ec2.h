// An in-process EC2 metadata service for the unit tests: versioned trees
// with AWS's key gating, the IMDSv2 token modes, and scripted faults. The
// Python emulator (tests/tools/imds_emulator.py) does the same over sockets.
#pragma once

#include "../fake_transport.h"

#include <map>
#include <set>
#include <string>
#include <vector>

namespace mb::testing {

enum class TokenMode {
    Required,    // GET without a token: 401
    Optional,    // tokens work, GET without one works too
    Unsupported, // PUT: 404
    Disabled,    // PUT: 403
    Silent,      // PUT is never answered
};

struct FakeEc2 {
    std::vector<std::string> versions { "1.0", "2009-04-04", "2011-01-01", "2016-09-02", "2019-10-01", "2021-03-23", "latest" };
    TokenMode token_mode { TokenMode::Required };
    unsigned token_uses_before_expiry { 0 }; // 0: never expires
    std::map<std::string, std::string> meta_data; // relative to meta-data/
    std::optional<std::string> identity_document;
    std::optional<std::string> user_data { "#cloud-config\n" };
    std::map<std::string, unsigned> fail_with_500; // path -> times
    std::set<std::string> stall; // paths that never answer
    std::map<std::string, std::string> raw_replies; // path -> raw response bytes

    unsigned tokens_issued { 0 };
    unsigned token_uses { 0 };
    std::string current_token;

    void add_nic(const std::string& mac, unsigned device, const std::string& ipv4, bool ipv6 = true)
    {
        auto base = "network/interfaces/macs/" + mac + "/";
        meta_data["network/interfaces/macs/"] += mac + "/\n";
        meta_data[base + "device-number"] = std::to_string(device);
        meta_data[base + "network-card"] = "0";
        meta_data[base + "local-ipv4s"] = ipv4;
        meta_data[base + "subnet-ipv4-cidr-block"] = "172.31." + std::to_string(device * 16) + ".0/20";
        meta_data[base + "vpc-ipv4-cidr-blocks"] = "172.31.0.0/16";
        if (ipv6) {
            meta_data[base + "ipv6s"] = "2600:1f18:aaaa:bb0" + std::to_string(device) + "::10";
            meta_data[base + "subnet-ipv6-cidr-blocks"] = "2600:1f18:aaaa:bb0" + std::to_string(device) + "::/64";
        }
    }

    static FakeEc2 standard(unsigned nics = 2)
    {
        FakeEc2 ec2;
        ec2.meta_data["instance-id"] = "i-0123456789abcdef0";
        ec2.meta_data["instance-type"] = "m5.large";
        ec2.meta_data["local-hostname"] = "ip-172-31-0-10.ec2.internal";
        ec2.meta_data["hostname"] = "ip-172-31-0-10.ec2.internal";
        ec2.meta_data["placement/availability-zone"] = "us-east-1a";
        ec2.meta_data["placement/region"] = "us-east-1";
        ec2.meta_data["mac"] = "02:00:00:00:00:01";
        ec2.meta_data["public-keys/"] = "0=my-key";
        ec2.meta_data["public-keys/0/openssh-key"] = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKJ5mCvRWfm4 my-key\n";
        for (unsigned i = 0; i < nics; ++i) {
            char mac[32];
            std::snprintf(mac, sizeof mac, "02:00:00:00:%02x:%02x", i / 256, i % 256 + 1);
            ec2.add_nic(mac, i, "172.31." + std::to_string(i * 16) + ".10" + (i == 0 ? "\n172.31.0.11" : ""));
        }
        ec2.identity_document = R"({"accountId":"123456789012","architecture":"x86_64","availabilityZone":"us-east-1a",)"
                                R"("imageId":"ami-0abcdef1234567890","instanceId":"i-0123456789abcdef0","instanceType":"m5.large",)"
                                R"("privateIp":"172.31.0.10","region":"us-east-1","version":"2017-09-30"})";
        return ec2;
    }

    // Only what a version of that date had.
    bool key_in_version(const std::string& key, const std::string& version) const
    {
        auto since = [&](const char* date) { return version == "latest" || version >= date; };
        if (key.starts_with("network/") || key == "mac")
            if (!since("2011-01-01"))
                return false;
        if (key.ends_with("/ipv6s") || key.ends_with("/subnet-ipv6-cidr-blocks"))
            return since("2016-09-02");
        if (key.ends_with("/network-card"))
            return since("2021-03-23");
        if (key == "placement/region")
            return since("2019-10-01");
        return true;
    }

    FakeReply handle(const FakeRequest& request)
    {
        auto const& path = request.target;
        if (auto it = fail_with_500.find(path); it != fail_with_500.end() && it->second > 0) {
            --it->second;
            return { http_reply(500, "oops") };
        }
        if (stall.count(path))
            return { "", false, http::Milliseconds(3600 * 1000) };
        if (auto it = raw_replies.find(path); it != raw_replies.end())
            return { it->second };

        if (path == "/latest/api/token") {
            if (request.method != "PUT")
                return { http_reply(405, "") };
            switch (token_mode) {
            case TokenMode::Unsupported: return { http_reply(404, "") };
            case TokenMode::Disabled: return { http_reply(403, "") };
            case TokenMode::Silent: return { "", false, http::Milliseconds(3600 * 1000) };
            default: break;
            }
            if (request.header("x-aws-ec2-metadata-token-ttl-seconds").empty())
                return { http_reply(400, "") };
            current_token = "AQAEAFakeToken" + std::to_string(++tokens_issued) + "==";
            token_uses = 0;
            return { http_reply(200, current_token) };
        }
        auto token = request.header("x-aws-ec2-metadata-token");
        if (token_mode == TokenMode::Required || !token.empty()) {
            if (token.empty() || token != current_token)
                return { http_reply(401, "") };
            if (token_uses_before_expiry && ++token_uses > token_uses_before_expiry)
                return { http_reply(401, "") };
        }
        if (path == "/") {
            std::string body;
            for (auto const& v : versions)
                body += v + "\n";
            return { http_reply(200, body) };
        }
        auto slash = path.find('/', 1);
        auto version = path.substr(1, slash - 1);
        if (std::find(versions.begin(), versions.end(), version) == versions.end())
            return { http_reply(404, "") };
        auto rest = path.substr(slash + 1);
        if (rest == "user-data")
            return user_data ? FakeReply { http_reply(200, *user_data) } : FakeReply { http_reply(404, "") };
        if (rest == "dynamic/instance-identity/document")
            return identity_document ? FakeReply { http_reply(200, *identity_document) } : FakeReply { http_reply(404, "") };
        if (rest.starts_with("meta-data/")) {
            auto key = rest.substr(10);
            if (key.empty())
                return { http_reply(200, listing("")) };
            if (key.ends_with("/") && !key.starts_with("network/interfaces/macs/") && key != "public-keys/")
                return { http_reply(200, listing(key)) };
            if (!key_in_version(key, version))
                return { http_reply(404, "") };
            auto it = meta_data.find(key);
            if (it != meta_data.end())
                return { http_reply(200, it->second) };
            if (key.ends_with("/"))
                return { http_reply(200, listing(key)) };
        }
        return { http_reply(404, "") };
    }

    // A directory listing derived from the keys under `dir`.
    std::string listing(const std::string& dir) const
    {
        std::set<std::string> children;
        for (auto const& [key, value] : meta_data) {
            if (!key.starts_with(dir) || key == dir)
                continue;
            auto rest = key.substr(dir.size());
            auto slash = rest.find('/');
            children.insert(slash == std::string::npos ? rest : rest.substr(0, slash + 1));
        }
        std::string out;
        for (auto const& c : children)
            out += c + "\n";
        return out;
    }
};

}
