"""cloud-init's instance-data that metaboot writes into its state directory
(instance-data.json, instance-data-sensitive.json), read by cloud-init's own
code: `cloud-init query`, its Jinja rendering, and its own v1 keys for the
same facts (tests/tools/cloud_init_instance_data.py)."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import netns
from netns import Topology

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_cloud_init_handoff import _cloud_init  # noqa: E402
from test_run import make_root, run, serve  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# No Python runs in the initramfs: the interpreter's version and
# platform.platform() string are null in metaboot's file.
NO_PYTHON = {"python_version", "system_platform"}


def test_instance_data_reads_as_cloud_inits(ctx):
    netns.require_root()
    packages = _cloud_init()
    root = make_root()
    work = tempfile.mkdtemp(prefix="mbt-instance-data-")
    try:
        # The root's os-release is this machine's, so that cloud-init's own
        # system facts (read from this machine) are the root's too.
        os.makedirs(os.path.join(root, "etc"), exist_ok=True)
        shutil.copyfile("/etc/os-release", os.path.join(root, "etc/os-release"))
        with Topology() as t:
            serve(t, emulator_flags=["--user-data", "#cloud-config\npassword: hunter2\n"])
            proc = run(t, ctx, root)
            assert proc.returncode == 0, proc.stderr
        public = os.path.join(proc.state, "instance-data.json")
        sensitive = os.path.join(proc.state, "instance-data-sensitive.json")
        assert oct(os.stat(public).st_mode & 0o777) == "0o644"
        assert oct(os.stat(sensitive).st_mode & 0o777) == "0o600"
        with open(public) as f:
            ours = json.load(f)
        assert "hunter2" not in open(public).read()
        assert ours["ds"]["user_data"] == "redacted for non-root user", ours["ds"]
        assert ours["sensitive_keys"] == ["ds/user_data"]
        with open(sensitive) as f:
            assert json.load(f)["ds"]["user_data"] == "#cloud-config\npassword: hunter2\n"

        meta = json.load(open(os.path.join(proc.state, "metadata.json")))
        facts = {"instance_id": meta["instance_id"], "local_hostname": meta["local_hostname"],
                 "availability_zone": meta["availability_zone"], "region": meta["region"],
                 "cloud_name": "aws", "platform": "ec2", "subplatform": "metadata (http://169.254.169.254)",
                 "public_ssh_keys": meta["public_keys"],
                 "ask": ["v1.cloud_name", "v1.instance_id", "v1.local_hostname", "v1.region", "v1.availability_zone",
                         "v1.platform", "v1.cloud_id", "v1.distro", "v1.public_ssh_keys", "ds.user_data"]}
        assert facts["instance_id"] and facts["region"] and facts["public_ssh_keys"], meta
        facts_path = os.path.join(work, "facts.json")
        with open(facts_path, "w") as f:
            json.dump(facts, f)
        out = subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "tests/tools/cloud_init_instance_data.py"), packages,
                              public, sensitive, facts_path], capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        theirs = json.loads(out.stdout.strip().splitlines()[-1])

        # cloud-init's v1 keys for the same facts: the same keys, the same values.
        reference = theirs["reference"]["v1"]
        assert sorted(ours["v1"]) == sorted(reference), (sorted(ours["v1"]), sorted(reference))
        for key, value in reference.items():
            if key in NO_PYTHON:
                assert ours["v1"][key] is None, key
            else:
                assert ours["v1"][key] == value, (key, ours["v1"][key], value)

        # `cloud-init query` on both files.
        query = theirs["query"]
        assert query["v1.cloud_name"] == [0, "aws"], query
        assert query["v1.instance_id"] == [0, facts["instance_id"]], query
        assert query["v1.region"] == [0, facts["region"]], query
        assert query["v1.cloud_id"][0] == 0 and query["v1.cloud_id"][1] == reference["cloud_id"], query
        assert json.loads(query["v1.public_ssh_keys"][1]) == facts["public_ssh_keys"], query
        assert query["ds.user_data"] == [0, "redacted for non-root user"], query
        assert theirs["query_sensitive"]["ds.user_data"] == [0, "#cloud-config\npassword: hunter2"], theirs["query_sensitive"]

        # A Jinja template, as cloud-init renders one.
        assert theirs["jinja"].rstrip("\n") == "#cloud-config\nhostname: %s\nfqdn: %s.%s.aws" % (
            facts["local_hostname"], facts["instance_id"], facts["region"]), theirs["jinja"]
    finally:
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
