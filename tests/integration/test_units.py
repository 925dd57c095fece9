"""The systemd units metaboot ships (metaboot.service for systemd initrds,
metaboot-root.service for roots without an initramfs hook), as `make
install` installs them, pass `systemd-analyze verify` against that tree:
every key known, every ordering target real, ExecStart= present. And `make
uninstall` removes every file `make install` installed."""
import os
import shutil
import subprocess
import tempfile

import netns

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_units_verify(ctx):
    analyze = shutil.which("systemd-analyze")
    if not analyze:
        raise netns.Skip("systemd-analyze is not installed")
    stage = tempfile.mkdtemp(prefix="mbt-units-")
    try:
        build = os.path.dirname(ctx["binary"])
        subprocess.run(["make", "-s", "-C", ROOT, "-o", os.path.join(build, "metaboot"), "install", "BUILD=" + build,
                        "DESTDIR=" + stage, "PREFIX=/usr"], check=True, capture_output=True)
        units = [os.path.join(stage, "usr/lib/systemd/system", name) for name in ("metaboot.service", "metaboot-root.service")]
        for unit in units:
            assert os.path.exists(unit), unit
        proc = subprocess.run([analyze, "verify", "--man=no", "--root=" + stage] + units, capture_output=True, text=True)
        assert proc.returncode == 0 and not proc.stdout.strip() and not proc.stderr.strip(), proc.stdout + proc.stderr
        # The check can fail: a unit with an unknown key does.
        broken = os.path.join(stage, "usr/lib/systemd/system/metaboot-broken.service")
        with open(units[0]) as f:
            text = f.read()
        with open(broken, "w") as f:
            f.write(text.replace("RemainAfterExit=yes", "RemainAfterExitt=yes"))
        proc = subprocess.run([analyze, "verify", "--man=no", "--root=" + stage, broken], capture_output=True, text=True)
        assert "RemainAfterExitt" in proc.stdout + proc.stderr, proc.stdout + proc.stderr
        # The dracut module carries the same unit it installs into systemd images.
        with open(os.path.join(stage, "usr/lib/dracut/modules.d/95metaboot/metaboot.service")) as f:
            assert f.read() == text
        # make uninstall takes back every file make install put there.
        os.unlink(broken)
        subprocess.run(["make", "-s", "-C", ROOT, "uninstall", "DESTDIR=" + stage, "PREFIX=/usr"], check=True, capture_output=True)
        left = [os.path.join(d, n) for d, _, names in os.walk(stage) for n in names]
        assert not left, left
    finally:
        shutil.rmtree(stage, ignore_errors=True)
