"""Alibaba Cloud ECS's instance metadata service, for tests: imds_emulator.py
with --alibaba serves EC2's protocol under Alibaba's names, as Alibaba
documents it
(https://www.alibabacloud.com/help/en/ecs/user-guide/view-instance-metadata):

  * PUT /latest/api/token with X-aliyun-ecs-metadata-token-ttl-seconds
    (1..21600) mints a token; GETs carry it in X-aliyun-ecs-metadata-token;
    --tokens keeps its meaning (required: a GET without a valid token is
    401; disabled: the endpoint is off, 403 to everything);
  * the data under 2016-01-01 (the version cloud-init asks for) and latest:
    meta-data/ key by key (the EC2 tree as imds_emulator serves it for that
    date), user-data, and meta-data/all, the whole tree as one JSON document
    in the shape helpers/aliyun.py shows (instance-id, hostname, mac,
    region-id, zone-id, instance.instance-type, public-keys,
    network.interfaces.macs with each NIC's ipv6s as Alibaba lists them,
    "[a, b]"); --alibaba-no-all makes meta-data/all 404, as on an older
    service, where cloud-init then reads the tree key by key (metaboot
    does not).
"""
import json

VERSION = "2016-01-01"
TTL_HEADER = "X-aliyun-ecs-metadata-token-ttl-seconds"
TOKEN_HEADER = "X-aliyun-ecs-metadata-token"


def add_arguments(p):
    p.add_argument("--alibaba", action="store_true", default=None,
                   help="Alibaba Cloud ECS: Alibaba's token headers, version 2016-01-01, meta-data/all")
    p.add_argument("--alibaba-no-all", action="store_true", default=None,
                   help="with --alibaba: meta-data/all answers 404 (an older service)")


DEFAULTS = {"alibaba": False, "alibaba_no_all": False}


def meta_data_all(cfg, tree):
    """The EC2-style tree of `tree` as Alibaba's meta-data/all document."""
    macs = {}
    for i, mac in enumerate(cfg.macs):
        nic = {"network-interface-id": "eni-bp1%012x" % (i + 1), "netmask": "255.255.255.0",
               "vpc-cidr-block": "198.18.0.0/15", "vswitch-cidr-block": "198.18.%d.0/24" % i,
               "private-ipv4s": "[\"198.18.%d.%d\"]" % (i, cfg.ipv4_host), "primary-ip-address": "198.18.%d.%d" % (i, cfg.ipv4_host)}
        if cfg.ipv6:
            nic["ipv6s"] = "[2001:db8:%x::10]" % (i + 1)
            nic["ipv6-gateway"] = "2001:db8:%x::1" % (i + 1)
        macs[mac] = nic
    keys = {str(k): {"openssh-key": tree["public-keys/%d/openssh-key" % k].strip()} for k in range(cfg.public_keys)}
    return json.dumps({
        "instance-id": tree["instance-id"],
        "hostname": tree["hostname"],
        "mac": tree.get("mac", ""),
        "region-id": "cn-hangzhou",
        "zone-id": "cn-hangzhou-i",
        "instance": {"instance-name": "metaboot-test", "instance-type": "ecs.g7.xlarge"},
        "private-ipv4": "198.18.0.%d" % cfg.ipv4_host,
        "dns-conf": {"nameservers": "198.18.2.136\r\n198.18.2.138"},
        "ntp-conf": {"ntp-servers": "ntp1.aliyun.com\r\nntp2.aliyun.com"},
        "network-type": "vpc",
        "public-keys": keys,
        "network": {"interfaces": {"macs": macs}},
    })
