"""What scripts/crosscheck_torch.py and scripts/crosscheck_roi.py share: the command line
(--seed, --count, --devices, with the opencl devices dropped and a note printed when
`scripts/convcl devices` lists none), running `scripts/convcl run` and reading its .npy output back,
the relative L2 error against the peer, and the PASS/FAIL lines with their tally."""
import argparse
import os
import subprocess

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAUNCHER = os.path.join(ROOT, "scripts", "convcl")
TOLERANCE = 1e-4


def has_opencl():
    r = subprocess.run([LAUNCHER, "devices"], capture_output=True, text=True)
    return r.returncode == 0 and "opencl:0" in r.stdout


def parse_args(doc, count):
    """The arguments (first seed, problem count defaulting to count, devices) and the devices to
    run on: the opencl ones left out, with a note, when there is no OpenCL device."""
    ap = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=1, help="first seed; problem i uses seed+i")
    ap.add_argument("--count", type=int, default=count, help="number of random problems")
    ap.add_argument("--devices", nargs="+", default=["cpu", "opencl"])
    a = ap.parse_args()
    devices = list(a.devices)
    if any(d.startswith("opencl") for d in devices) and not has_opencl():
        print("note: no OpenCL device (scripts/convcl devices); the opencl runs are skipped")
        devices = [d for d in devices if not d.startswith("opencl")]
    return a, devices


def rel_l2(ref, out, same_nan=False):
    """||ref - out|| / ||ref|| in float64 (||ref - out|| when ref is all zeros); inf when the shapes
    differ or out has a non-finite value. With same_nan, NaN in the same places as in ref is
    allowed (and left out of the norms), and NaN elsewhere is inf."""
    ref, out = ref.astype(np.float64), out.astype(np.float64)
    if ref.shape != out.shape:
        return float("inf")
    if same_nan:
        if not np.array_equal(np.isnan(ref), np.isnan(out)):
            return float("inf")
        keep = ~np.isnan(ref)
        ref, out = ref[keep], out[keep]
    if not np.all(np.isfinite(out)):
        return float("inf")
    den, num = np.linalg.norm(ref), np.linalg.norm(ref - out)
    return float(num / den) if den > 0 else float(num)


def run_and_compare(cmd, out, ref, same_nan=False):
    """Runs the convcl command cmd, which writes out, and returns (relative L2 of out against ref,
    why): inf and the last line of stderr (or the exit status) when the command failed."""
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        return float("inf"), (r.stderr.strip().splitlines() or ["exit %d" % r.returncode])[-1]
    return rel_l2(ref, np.load(out), same_nan), ""


def err_text(err):
    """`rel L2 1.2e-07`, or nothing when the run failed (err is inf)."""
    return "" if np.isinf(err) else f"rel L2 {err:.1e}"


class Tally:
    """Counts the checks and prints one PASS or FAIL line each."""

    def __init__(self):
        self.passed = self.failed = 0

    def record(self, ok, line):
        self.passed += ok
        self.failed += not ok
        print(f"{'PASS' if ok else 'FAIL'}  {line}", flush=True)
