"""The hand-off to cloud-init (--cloud-init-handoff), checked with cloud-init's
own code: after a run that hands off, cloud-init's network stage on the root
writes nothing; after a run without the flag, it writes its config again.

cloud-init is Debian trixie's, unpacked by scripts/fetch-cloud-init.sh and
run with Debian's /usr/bin/python3 (tests/tools/cloud_init_network_stage.py).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import netns
from netns import Topology
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_run import NETPLAN, make_root, run, serve  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HANDOFF = "etc/cloud/cloud.cfg.d/99-metaboot-network-handoff.cfg"
CLOUD_CFG = "datasource_list: [Ec2, None]\nsystem_info:\n  network:\n    renderers: [netplan, eni]\n"


def _cloud_init():
    proc = subprocess.run(["bash", os.path.join(ROOT, "scripts", "fetch-cloud-init.sh")], capture_output=True, text=True)
    if proc.returncode != 0:
        raise netns.Skip("cloud-init could not be fetched: " + proc.stderr.strip().splitlines()[-1])
    return proc.stdout.strip()


def _network_stage(packages, root):
    proc = subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "tests", "tools", "cloud_init_network_stage.py"), packages, root],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_cloud_init_writes_no_network_after_a_handoff(ctx):
    netns.require_root()
    packages = _cloud_init()
    root = make_root()
    try:
        os.makedirs(os.path.join(root, "etc/cloud/cloud.cfg.d"))
        with open(os.path.join(root, "etc/cloud/cloud.cfg"), "w") as f:
            f.write(CLOUD_CFG)
        # Before any run: cloud-init would write its own network config.
        assert len(_network_stage(packages, root)["rendered"]) == 1

        with Topology() as t:
            serve(t)
            proc = run(t, ctx, root, "--output", "netplan", "--cloud-init-handoff")
            assert proc.returncode == 0, proc.stderr
            assert os.path.exists(os.path.join(root, NETPLAN))
            with open(os.path.join(root, HANDOFF)) as f:
                handoff = f.read()
            assert handoff.startswith("# metaboot: cloud-init network hand-off\n"), handoff
            assert "configuration (netplan)" in handoff, handoff
            stage = _network_stage(packages, root)
            assert stage["rendered"] == [], stage
            assert any("network config is disabled by system_cfg" in line for line in stage["log"]), stage["log"]

            # Its own hand-off is not the user's opt-out: the next run with
            # the flag writes again (the file is rewritten, unchanged).
            os.unlink(os.path.join(root, NETPLAN))
            proc = run(t, ctx, root, "--output", "netplan", "--cloud-init-handoff")
            assert proc.returncode == 0, proc.stderr
            assert os.path.exists(os.path.join(root, NETPLAN))

            # Without the flag, the hand-off is taken back.
            proc = run(t, ctx, root, "--output", "netplan")
            assert proc.returncode == 0, proc.stderr
            assert not os.path.exists(os.path.join(root, HANDOFF))
            assert len(_network_stage(packages, root)["rendered"]) == 1

            # A root that now runs no stack metaboot writes for (exit 7): the
            # hand-off an earlier boot left is taken back, so cloud-init
            # configures the network itself.
            proc = run(t, ctx, root, "--output", "netplan", "--cloud-init-handoff")
            assert proc.returncode == 0 and os.path.exists(os.path.join(root, HANDOFF)), proc.stderr
            for program in ("usr/sbin/netplan", "usr/sbin/ifup"):
                os.unlink(os.path.join(root, program))
            state = tempfile.mkdtemp(prefix="mbt-state-")
            proc = t.client.run([ctx["binary"], "--root", root, "--state-dir", state, "--provider", "ec2", "--timeout", "10",
                                 "--cloud-init-handoff"], check=False)
            shutil.rmtree(state, ignore_errors=True)
            assert proc.returncode == 7, (proc.returncode, proc.stderr)
            assert not os.path.exists(os.path.join(root, HANDOFF))
            assert len(_network_stage(packages, root)["rendered"]) == 1

            # The user's own opt-out still stops metaboot, flag or not.
            with open(os.path.join(root, "etc/cloud/cloud.cfg.d/99-disable-network-config.cfg"), "w") as f:
                f.write("network: {config: disabled}\n")
            os.unlink(os.path.join(root, NETPLAN))
            proc = run(t, ctx, root, "--output", "netplan", "--cloud-init-handoff")
            assert proc.returncode == 0, proc.stderr
            assert "network config disabled by etc/cloud/cloud.cfg.d/99-disable-network-config.cfg" in proc.stderr, proc.stderr
            assert not os.path.exists(os.path.join(root, NETPLAN))
            assert not os.path.exists(os.path.join(root, HANDOFF))
    finally:
        shutil.rmtree(root, ignore_errors=True)
