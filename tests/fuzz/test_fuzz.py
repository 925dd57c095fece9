"""Each libFuzzer target runs briefly inside `make test`; a crash fails the run.
`make fuzz FUZZ_SECONDS=N` runs them longer."""
import glob
import os
import subprocess

from netns import Skip

SECONDS = os.environ.get("METABOOT_FUZZ_SECONDS", "5")


def _targets(root):
    return sorted(os.path.basename(p)[len("fuzz_"):-len(".cpp")] for p in glob.glob(os.path.join(root, "tests/fuzz/fuzz_*.cpp")))


def test_fuzz_targets_run_without_crashing(ctx):
    if ctx["sanitize"]:
        raise Skip("fuzzers run in the plain test pass")
    targets = _targets(ctx["root"])
    assert targets, "no fuzz targets found"
    proc = subprocess.run(["bash", "tests/fuzz/run.sh", SECONDS] + targets, cwd=ctx["root"],
                          capture_output=True, text=True)
    print(proc.stdout[-4000:])
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    for name in targets:
        assert ("fuzz %s: ok" % name) in proc.stdout, name
