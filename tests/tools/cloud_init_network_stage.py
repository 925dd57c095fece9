#!/usr/bin/python3
"""cloud-init's own network stage decision on a root, run from its unpacked
code (scripts/fetch-cloud-init.sh) with Debian's /usr/bin/python3:

    cloud_init_network_stage.py DIST_PACKAGES ROOT

Reads ROOT/etc/cloud/cloud.cfg and cloud.cfg.d/ with cloud-init's own
read_conf_with_confd(), then runs its Init.apply_network_config() as its
init-local stage does, with only what touches the machine stood in for: the
paths (a scratch folder, not /var/lib/cloud and /run/cloud-init) and the
distro, which records what it is asked to render instead of rendering it.
No datasource, so the network config it would apply without an opt-out is its
fallback (DHCP on the first NIC). Prints one JSON line:
{"rendered": [configs the distro was asked to write], "log": [lines]}.
"""
import json
import logging
import sys
import tempfile

sys.path.insert(0, sys.argv[1])
root = sys.argv[2]

from cloudinit import helpers, stages, util  # noqa: E402

log_lines = []


class Collect(logging.Handler):
    def emit(self, record):
        log_lines.append(record.getMessage())


logging.getLogger("cloudinit").addHandler(Collect())
logging.getLogger("cloudinit").setLevel(logging.DEBUG)


class RecordingNetworking:
    def wait_for_physdevs(self, netcfg):
        pass

    def apply_network_config_names(self, netcfg):
        pass


class RecordingDistro:
    def __init__(self):
        self.rendered = []
        self.networking = RecordingNetworking()

    def generate_fallback_config(self):
        return {"version": 2, "ethernets": {"eth0": {"dhcp4": True, "match": {"macaddress": "02:00:00:00:00:01"},
                                                       "set-name": "eth0"}}}

    def apply_network_config(self, netcfg, bring_up):
        self.rendered.append(netcfg)


scratch = tempfile.mkdtemp(prefix="mbt-cloud-init-")
init = stages.Init(ds_deps=[])
init._cfg = util.read_conf_with_confd(root + "/etc/cloud/cloud.cfg")
init._paths = helpers.Paths({"cloud_dir": scratch + "/var/lib/cloud", "run_dir": scratch + "/run/cloud-init"})
distro = RecordingDistro()
init._distro = distro
init.apply_network_config(bring_up=False)
print(json.dumps({"rendered": distro.rendered, "log": log_lines}))
